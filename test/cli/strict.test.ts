// Strict configs: every entry of model, optimizer, loss, schedule and callbacks is checked
// against the real options of the class it names (issue 9: `weight_decay: 0.1` used to train
// with no weight decay while the report claimed it), and every section rejects bad values.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LOSS_OPTIONS, OPTIMIZER_OPTIONS } from '../../src/cli/options.js';
import * as k from '../../src/index.js';
import { assertOneLine, ROOT, runMain } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-strict-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const out = join(tmp, 'runs');

let count = 0;
function config(overrides: Record<string, unknown> = {}): string {
  const path = join(tmp, `c${count++}.yaml`);
  const base = {
    name: 'strict',
    data: { format: 'sklearn', path: join(ROOT, 'datasets', 'iris', 'iris.csv') },
    model: [
      { type: 'Linear', outFeatures: 8 },
      { type: 'ReLU' },
      { type: 'Linear', outFeatures: 3 },
    ],
    optimizer: { type: 'SGD', lr: 0.1 },
    loss: 'crossEntropy',
    training: { epochs: 1, batchSize: 16 },
    output: { dir: out },
  };
  writeFileSync(path, JSON.stringify({ ...base, ...overrides }, null, 2));
  return path;
}

async function fails(path: string, message: RegExp): Promise<string> {
  const r = await runMain(['train', path]);
  assert.equal(r.code, 1, `exit ${r.code}: ${r.err}`);
  const line = assertOneLine(r.err);
  assert.match(line, message);
  assert.ok(line.includes(path), `the line names the file: ${line}`);
  return line;
}

describe('kiln train: unknown options of named entries (with did-you-mean)', () => {
  it('optimizer weight_decay -> weightDecay', async () => {
    await fails(
      config({ optimizer: { type: 'AdamW', lr: 0.01, weight_decay: 0.1 } }),
      /optimizer \(AdamW\): unknown option 'weight_decay'; did you mean 'weightDecay'\? \(options: lr, betas, eps, weightDecay/,
    );
  });

  it('layer Dropout {rate} and a snake_case layer option', async () => {
    await fails(
      config({
        model: [
          { type: 'Dropout', rate: 0.9 },
          { type: 'Linear', outFeatures: 3 },
        ],
      }),
      /model\.0 \(Dropout\): unknown option 'rate' \(options: p\)/,
    );
    await fails(
      config({ model: [{ type: 'Linear', out_features: 3 }] }),
      /model\.0 \(Linear\): unknown option 'out_features'; did you mean 'outFeatures'\?/,
    );
    await fails(
      config({ model: [{ type: 'Linear', outFeatures: 3.5 }] }),
      /model\.0 \(Linear\)\.outFeatures: must be an integer, got 3\.5/,
    );
  });

  it('loss {label_smoothing}, schedule and callbacks options', async () => {
    await fails(
      config({ loss: { type: 'crossEntropy', label_smoothing: 0.1 } }),
      /loss \(crossEntropy\): unknown option 'label_smoothing'; did you mean 'labelSmoothing'\?/,
    );
    await fails(
      config({ schedule: { type: 'StepLR', step_size: 2 } }),
      /schedule \(StepLR\): unknown option 'step_size'; did you mean 'stepSize'\?/,
    );
    await fails(
      config({ schedule: { type: 'StepLR' } }),
      /schedule \(StepLR\): missing required option 'stepSize'/,
    );
    await fails(
      config({ callbacks: { earlyStopping: { patience: 2, restore_best_weights: true } } }),
      /callbacks\.earlyStopping: unknown option 'restore_best_weights'; did you mean 'restoreBestWeights'\?/,
    );
    await fails(
      config({ callbacks: { reduceLROnPlateau: { patience: -1 } } }),
      /callbacks\.reduceLROnPlateau\.patience: must be >= 0, got -1/,
    );
    await fails(
      config({ callbacks: { earlyStoping: { patience: 2 } } }),
      /callbacks: unknown field 'earlyStoping'; did you mean 'earlyStopping'\?/,
    );
  });
});

describe('kiln train: every section is strict', () => {
  it('names with a slash or only dots never leave the output folder', async () => {
    for (const name of ['../escape', 'a/b', '..', '.', '/abs']) {
      await fails(config({ name }), /name: letters, digits, _, \. and - only/);
    }
    const r = await runMain(['train', config(), '--name', '../../escape']);
    assert.equal(r.code, 1);
    assert.match(assertOneLine(r.err), /name: letters, digits/);
    assert.ok(!existsSync(join(tmp, 'escape')) && !existsSync(join(out, '..', '..', 'escape')));
  });

  it('split fractions 0 and 1, non-integer epochs, empty model lists, unknown sections', async () => {
    await fails(config({ split: { test: 0 } }), /split\.test: Too small: expected number to be >0/);
    await fails(
      config({ split: { validation: 1 } }),
      /split\.validation: Too big: expected number to be <1/,
    );
    await fails(config({ training: { epochs: 2.5, batchSize: 4 } }), /training\.epochs: .*int/);
    await fails(config({ training: { epochs: 1e300, batchSize: 4 } }), /training\.epochs: /);
    await fails(config({ model: [] }), /model: must list at least one layer/);
    await fails(config({ trainig: {} }), /unknown field 'trainig'; did you mean 'training'\?/);
    await fails(config({ metrics: 'accuracy' }), /metrics: /);
  });

  it('a config that fails leaves no run folder behind', async () => {
    const before = existsSync(out) ? readdirSync(out) : [];
    await fails(
      config({ name: 'never', model: [{ type: 'Conv2d', outChannels: 2, kernelSize: 3 }] }),
      /model\.0 \(Conv2d\) does not accept/,
    );
    const after = existsSync(out) ? readdirSync(out) : [];
    assert.deepEqual(after, before);
  });
});

describe('option tables match the classes they describe', () => {
  it("optimizer defaults equal the optimizers' own defaults", () => {
    const p = [k.zeros([1], { requiresGrad: true })];
    for (const [name, schema] of Object.entries(OPTIMIZER_OPTIONS)) {
      const Ctor = (
        k.optim as unknown as Record<string, new (p: k.Tensor[], o: object) => k.optim.Optimizer>
      )[name]!;
      const { params: _params, ...defaults } = new Ctor(p, {}).paramGroups[0]!;
      const fromSchema = Object.fromEntries(
        Object.entries(schema).map(([key, s]) => [key, s.default]),
      );
      assert.deepEqual(fromSchema, defaults, name);
    }
  });

  it('every loss option is accepted by its loss', async () => {
    const { buildLoss } = await import('../../src/cli/build.js');
    for (const [name, schema] of Object.entries(LOSS_OPTIONS)) {
      const options = Object.fromEntries(
        Object.entries(schema)
          .filter(([key]) => key !== 'classWeights')
          .map(([key, s]) => [key, s.default ?? 1]),
      );
      const loss = buildLoss({ type: name, ...options }).loss as (
        x: k.Tensor,
        t: k.Tensor,
      ) => k.Tensor;
      const x = k.randn([4, 3]);
      const indices = ['crossEntropy', 'nllLoss', 'multiMarginLoss'].includes(name);
      const t = indices ? k.tensor([0, 1, 2, 1], { dtype: 'int32' }) : k.rand([4, 3]);
      assert.ok(Number.isFinite(loss(x, t).item()), name);
    }
  });
});

describe("data.format: sklearn (scikit-learn's file layout)", () => {
  it('trains iris under its honest name; the old name still works with a deprecation note', async () => {
    const sklearn = await runMain([
      'train',
      config({
        name: 'sk',
        data: { format: 'sklearn', path: join(ROOT, 'datasets', 'iris', 'iris.csv') },
      }),
    ]);
    assert.equal(sklearn.code, 0, sklearn.err);
    assert.equal(sklearn.err, '');
    const old = await runMain([
      'train',
      config({
        name: 'old',
        data: { format: 'iris', path: join(ROOT, 'datasets', 'iris', 'iris.csv') },
      }),
    ]);
    assert.equal(old.code, 0, old.err);
    assert.match(
      old.err,
      /^kiln: note: .*data\.format 'iris' is deprecated; it is scikit-learn's file layout, now named 'sklearn'/,
    );
  });
});
