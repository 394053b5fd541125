// The config schema (src/cli/config.ts) checked directly, without running `kiln train`: defaults,
// the bounds of every constrained field, the wording of each kind of problem, file loading and
// path resolution. Mutation testing showed the CLI-level tests (strict.test.ts) left most of it
// unpinned; these run in milliseconds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  configSchema,
  loadConfig,
  resolveConfigPaths,
  validateConfig,
} from '../../src/cli/config.js';
import { ConfigError } from '../../src/tensor/errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-config-schema-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const BASE = {
  name: 'run',
  data: { format: 'csv', path: 'data.csv', target: 'y' },
  model: [{ type: 'Linear', outFeatures: 2 }],
  optimizer: { type: 'SGD', lr: 0.1 },
  loss: 'crossEntropy',
  training: { epochs: 1, batchSize: 4 },
};

function withOverrides(overrides: Record<string, unknown>): Record<string, unknown> {
  return { ...BASE, ...overrides };
}

/** Asserts that validating fails with one ConfigError naming the source and matching `message`. */
function rejects(raw: unknown, message: RegExp): string {
  let caught: unknown;
  try {
    validateConfig(raw, 'c.yaml');
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.match(caught.message, /^c\.yaml: invalid config: /);
  assert.match(caught.message, message);
  assert.ok(!caught.message.includes('\n'), 'one line');
  return caught.message;
}

describe('config schema: defaults and accepted values', () => {
  it('fills the documented defaults', () => {
    const c = validateConfig(BASE, 'c.yaml');
    assert.equal(c.seed, 0);
    assert.deepEqual(c.preprocess, {});
    assert.deepEqual(c.split, {});
    assert.deepEqual(c.metrics, []);
    assert.deepEqual(c.callbacks, {});
    assert.deepEqual(c.output, { dir: 'runs' });
    assert.equal(c.task, undefined);
    assert.equal(c.schedule, undefined);
    assert.equal(c.init, undefined);
    assert.deepEqual(c.data, BASE.data);
  });

  it("format sklearn is iris's shape without a target file and diabetes's with one", () => {
    const iris = validateConfig(withOverrides({ data: { format: 'sklearn', path: 'x.csv' } }), 's');
    assert.equal(iris.data.format, 'iris');
    const diabetes = validateConfig(
      withOverrides({ data: { format: 'sklearn', path: 'x.csv', target: 't.csv' } }),
      's',
    );
    assert.equal(diabetes.data.format, 'diabetes');
    for (const format of ['mnist', 'idx', 'csv', 'iris', 'diabetes'] as const) {
      const c = validateConfig(withOverrides({ data: { format, path: 'p' } }), 's');
      assert.equal(c.data.format, format);
    }
  });

  it('names: letters, digits, _, . and -, up to 100 characters, not only dots', () => {
    for (const name of ['a', 'run-1.final_2', '.hidden', 'a..b', 'x'.repeat(100)]) {
      assert.equal(validateConfig(withOverrides({ name }), 's').name, name);
    }
    for (const name of ['.', '..', '...', 'a/b', '../x', 'a\\b', 'a b', '', 'é']) {
      rejects(withOverrides({ name }), /name: letters, digits, _, \. and - only/);
    }
    rejects(
      withOverrides({ name: 'x'.repeat(101) }),
      /name: Too big: expected string to have <=100 characters/,
    );
  });

  it('seed is a non-negative integer', () => {
    assert.equal(validateConfig(withOverrides({ seed: 7 }), 's').seed, 7);
    rejects(withOverrides({ seed: -1 }), /seed: Too small: expected number to be >=0/);
    rejects(withOverrides({ seed: 1.5 }), /seed: Invalid input: expected int, received number/);
  });

  it('positive integers: 1 is the smallest epochs, batch size, limits and window', () => {
    const c = validateConfig(
      withOverrides({
        training: { epochs: 1, batchSize: 1, accumulateGradSteps: 1, evalBatchSize: 1 },
        data: { format: 'csv', path: 'p', limit: 1, testLimit: 1, window: 1, horizon: 1 },
      }),
      's',
    );
    assert.equal(c.training.epochs, 1);
    for (const [section, field] of [
      ['training', 'epochs'],
      ['training', 'batchSize'],
      ['training', 'accumulateGradSteps'],
      ['training', 'evalBatchSize'],
      ['data', 'limit'],
      ['data', 'maxCategories'],
      ['data', 'season'],
    ] as const) {
      const base = BASE[section] as Record<string, unknown>;
      rejects(
        withOverrides({ [section]: { ...base, [field]: 0 } }),
        new RegExp(`${section}\\.${field}: Too small: expected number to be >0`),
      );
      rejects(
        withOverrides({ [section]: { ...base, [field]: 2.5 } }),
        new RegExp(`${section}\\.${field}: Invalid input: expected int`),
      );
    }
  });

  it('split fractions are strictly between 0 and 1', () => {
    const c = validateConfig(withOverrides({ split: { validation: 0.25, test: 0.5 } }), 's');
    assert.deepEqual(c.split, { validation: 0.25, test: 0.5 });
    for (const field of ['validation', 'test']) {
      rejects(
        withOverrides({ split: { [field]: 0 } }),
        new RegExp(`split\\.${field}: Too small: expected number to be >0`),
      );
      rejects(
        withOverrides({ split: { [field]: 1 } }),
        new RegExp(`split\\.${field}: Too big: expected number to be <1`),
      );
    }
  });

  it('gradClipNorm is positive; saveTopK may be 0', () => {
    rejects(
      withOverrides({ training: { ...BASE.training, gradClipNorm: 0 } }),
      /training\.gradClipNorm: Too small: expected number to be >0/,
    );
    const c = validateConfig(
      withOverrides({ callbacks: { checkpoint: { saveTopK: 0, monitor: 'val_acc' } } }),
      's',
    );
    assert.deepEqual(c.callbacks.checkpoint, { saveTopK: 0, monitor: 'val_acc' });
    rejects(
      withOverrides({ callbacks: { checkpoint: { saveTopK: -1 } } }),
      /callbacks\.checkpoint\.saveTopK: Too small: expected number to be >=0/,
    );
  });

  it('init.from must be a non-empty path; output.dir too', () => {
    rejects(
      withOverrides({ init: { from: '' } }),
      /init\.from: Too small: expected string to have >=1 characters/,
    );
    rejects(
      withOverrides({ output: { dir: '' } }),
      /output\.dir: Too small: expected string to have >=1 characters/,
    );
    const c = validateConfig(
      withOverrides({ init: { from: 'w.pt', key: 'model', strict: false } }),
      's',
    );
    assert.deepEqual(c.init, { from: 'w.pt', key: 'model', strict: false });
  });

  it('the model lists at least one layer', () => {
    rejects(withOverrides({ model: [] }), /model: must list at least one layer/);
  });

  it('every named entry needs its type', () => {
    rejects(withOverrides({ optimizer: { lr: 0.1 } }), /: optimizer\.type: required$/);
    rejects(withOverrides({ model: [{ outFeatures: 2 }] }), /: model\.0\.type: required$/);
    rejects(withOverrides({ loss: { reduction: 'sum' } }), /: loss: /);
    rejects(withOverrides({ schedule: { stepSize: 2 } }), /: schedule\.type: required$/);
  });

  it('schedule takes an interval of epoch or batch', () => {
    const c = validateConfig(
      withOverrides({ schedule: { type: 'StepLR', stepSize: 2, interval: 'batch' } }),
      's',
    );
    assert.equal(c.schedule?.interval, 'batch');
    rejects(
      withOverrides({ schedule: { type: 'StepLR', stepSize: 2, interval: 'step' } }),
      /schedule\.interval: must be one of "epoch", "batch"/,
    );
  });
});

describe('config schema: how problems are worded', () => {
  it('a value outside an enum lists the allowed values', () => {
    rejects(
      withOverrides({ data: { format: 'parquet' } }),
      /data\.format: must be one of "mnist", "idx", "csv", "sklearn", "iris", "diabetes"$/,
    );
    rejects(
      withOverrides({ task: 'ranking' }),
      /task: must be one of "classification", "regression", "forecast"$/,
    );
  });

  it('a missing field is "required"; a field of the wrong type keeps the type message', () => {
    const { training: _t, ...noTraining } = BASE;
    rejects(noTraining, /: training: required$/);
    rejects(
      withOverrides({ metrics: 'accuracy' }),
      /: metrics: Invalid input: expected array, received string$/,
    );
  });

  it('a config that is not an object is reported at the top level', () => {
    rejects(42, /: \(top level\): Invalid input: expected object, received number$/);
    rejects(null, /: \(top level\): Invalid input: expected object, received null$/);
  });

  it('unknown fields: did-you-mean and the fields of that section, at every level', () => {
    const top = rejects(
      withOverrides({ trainig: {} }),
      /: \(top level\): unknown field 'trainig'; did you mean 'training'\? \(fields: name, seed, /,
    );
    assert.ok(top.endsWith(`(fields: ${Object.keys(configSchema.shape).join(', ')})`), top);
    // data is a pipe (schema -> transform); split, preprocess, callbacks and output have defaults.
    const dataFields = Object.keys(configSchema.shape.data.in.shape).join(', ');
    const msg = rejects(
      withOverrides({ data: { ...BASE.data, targt: 'y' } }),
      /data: unknown field 'targt'; did you mean 'target'\? \(fields: format, path, /,
    );
    assert.ok(msg.endsWith(`(fields: ${dataFields})`), msg);
    rejects(
      withOverrides({ split: { valdation: 0.1 } }),
      /split: unknown field 'valdation'; did you mean 'validation'\? \(fields: validation, test, stratify\)$/,
    );
    rejects(
      withOverrides({ preprocess: { standardise: true } }),
      /preprocess: unknown field 'standardise'; did you mean 'standardize'\? \(fields: standardize, minMax, standardizeTarget\)$/,
    );
    rejects(
      withOverrides({ output: { folder: 'x' } }),
      /output: unknown field 'folder' \(fields: dir\)$/,
    );
    rejects(
      withOverrides({ training: { ...BASE.training, epoch: 3 } }),
      /training: unknown field 'epoch'; did you mean 'epochs'\? \(fields: epochs, batchSize, gradClipNorm, accumulateGradSteps, evalBatchSize\)$/,
    );
    rejects(
      withOverrides({ callbacks: { checkpoint: { monitr: 'loss' } } }),
      /callbacks\.checkpoint: unknown field 'monitr'; did you mean 'monitor'\? \(fields: monitor, saveTopK\)$/,
    );
    rejects(
      withOverrides({ init: { from: 'w.pt', strict: true, keys: 'a' } }),
      /init: unknown field 'keys'; did you mean 'key'\? \(fields: from, key, strict\)$/,
    );
  });

  it('an unknown field where the schema has no field list names only the field', () => {
    // data.missing is a union; its { fill } object has no list reachable from the path.
    const msg = rejects(
      withOverrides({ data: { ...BASE.data, missing: { fill: 0, value: 1 } } }),
      /data\.missing: unknown field 'value'$/,
    );
    assert.ok(!msg.includes('(fields'));
  });

  it('several problems are joined with "; " on one line', () => {
    rejects(
      withOverrides({ seed: -1, task: 'x' }),
      /seed: Too small: expected number to be >=0; task: must be one of/,
    );
  });
});

describe('config schema: named entries checked against their classes', () => {
  it('unknown optimizer, loss and scheduler names with did-you-mean and the known names', () => {
    rejects(
      withOverrides({ optimizer: { type: 'Adm', lr: 0.1 } }),
      /: optimizer\.type: unknown optimizer 'Adm'; did you mean 'Adam'\? \(known: SGD, Adam, AdamW, Adamax, RMSprop, Adagrad, Adadelta, Lion\)$/,
    );
    rejects(
      withOverrides({ loss: 'crossEntropyy' }),
      /: loss\.type: unknown loss 'crossEntropyy'; did you mean 'crossEntropy'\? \(known: crossEntropy, /,
    );
    rejects(
      withOverrides({ schedule: { type: 'StepLr', stepSize: 1 } }),
      /: schedule\.type: unknown scheduler 'StepLr'; did you mean 'StepLR'\? \(known: StepLR, /,
    );
  });

  it('a loss given by name or as { type, ...options } is checked the same way', () => {
    assert.equal(validateConfig(withOverrides({ loss: 'mseLoss' }), 's').loss, 'mseLoss');
    const c = validateConfig(withOverrides({ loss: { type: 'mseLoss', reduction: 'sum' } }), 's');
    assert.deepEqual(c.loss, { type: 'mseLoss', reduction: 'sum' });
    rejects(
      withOverrides({ loss: { type: 'mseLoss', reduction: 'max' } }),
      /loss \(mseLoss\)\.reduction: /,
    );
  });

  it('classWeights only on the losses that take them', () => {
    const ok = validateConfig(
      withOverrides({ loss: { type: 'crossEntropy', classWeights: 'balanced' } }),
      's',
    );
    assert.deepEqual(ok.loss, { type: 'crossEntropy', classWeights: 'balanced' });
    rejects(
      withOverrides({ loss: { type: 'mseLoss', classWeights: 'balanced' } }),
      /: loss\.classWeights: mseLoss takes no class weights \(use crossEntropy, nllLoss, multiMarginLoss; binaryCrossEntropyWithLogits has posWeight\)$/,
    );
    // An unknown loss with classWeights is reported as an unknown loss, not a weights problem.
    rejects(
      withOverrides({ loss: { type: 'focal', classWeights: 'balanced' } }),
      /loss\.type: unknown loss 'focal'/,
    );
  });

  it('layers, schedule and callbacks options are checked; callbacks take no "type" key', () => {
    rejects(
      withOverrides({ model: [{ type: 'Linear' }] }),
      /model\.0 \(Linear\): missing required option 'outFeatures'/,
    );
    rejects(
      withOverrides({ model: [{ type: 'Linear', outFeatures: 2 }, { type: 'Linearr' }] }),
      /model\.1/,
    );
    rejects(
      withOverrides({ schedule: { type: 'StepLR' } }),
      /schedule \(StepLR\): missing required option 'stepSize'/,
    );
    rejects(
      withOverrides({ callbacks: { earlyStopping: { patience: 1, type: 'x' } } }),
      /callbacks\.earlyStopping: unknown option 'type'/,
    );
    rejects(
      withOverrides({ callbacks: { reduceLROnPlateau: { factor: 'half' } } }),
      /callbacks\.reduceLROnPlateau\.factor: /,
    );
    const c = validateConfig(
      withOverrides({
        callbacks: { earlyStopping: { patience: 2 }, reduceLROnPlateau: { patience: 1 } },
      }),
      's',
    );
    assert.deepEqual(c.callbacks.earlyStopping, { patience: 2 });
  });
});

describe('loadConfig', () => {
  function write(name: string, text: string): string {
    const path = join(tmp, name);
    writeFileSync(path, text);
    return path;
  }

  async function loadRejects(path: string, message: RegExp): Promise<void> {
    await assert.rejects(
      loadConfig(path),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }

  it('reads YAML and JSON', async () => {
    const yaml = write(
      'a.yaml',
      'name: y\ndata: {format: csv, path: d.csv}\nmodel: [{type: ReLU}]\noptimizer: {type: SGD, lr: 0.1}\nloss: mseLoss\ntraining: {epochs: 2, batchSize: 3}\n',
    );
    assert.equal((await loadConfig(yaml)).training.epochs, 2);
    const json = write('a.json', JSON.stringify(withOverrides({ name: 'j' })));
    assert.equal((await loadConfig(json)).name, 'j');
  });

  it('a file that cannot be read, bad JSON and bad YAML are one-line ConfigErrors naming the file', async () => {
    const missing = join(tmp, 'nope.yaml');
    await loadRejects(
      missing,
      new RegExp(
        `^${missing.replaceAll('.', '\\.')}: cannot read the config file \\(does it exist\\?\\)$`,
      ),
    );
    const badJson = write('bad.json', '{"name": ');
    await loadRejects(badJson, /bad\.json: not valid JSON: /);
    // YAML text in a .json file is parsed as JSON, so it fails as JSON.
    const yamlInJson = write('yaml.json', 'name: x\n');
    await loadRejects(yamlInJson, /yaml\.json: not valid JSON: /);
    const badYaml = write('bad.yaml', 'name: [unclosed\nmodel: {\n');
    let caught: unknown;
    try {
      await loadConfig(badYaml);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ConfigError);
    // the parser's first line, not a fragment of it
    assert.match(caught.message, /bad\.yaml: not valid YAML: [^\n]{12,}$/);
    assert.ok(!caught.message.includes('\n'), 'only the first line of the parser message');
    const invalid = write('invalid.yaml', 'name: ok\n');
    await loadRejects(invalid, /invalid\.yaml: invalid config: .*data: required/);
  });

  it('iris and diabetes formats print a deprecation note; sklearn does not', async () => {
    const notes: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: unknown) => {
      notes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await loadConfig(
        write('iris.json', JSON.stringify(withOverrides({ data: { format: 'iris', path: 'p' } }))),
      );
      await loadConfig(
        write(
          'diab.json',
          JSON.stringify(withOverrides({ data: { format: 'diabetes', path: 'p', target: 't' } })),
        ),
      );
      await loadConfig(
        write('sk.json', JSON.stringify(withOverrides({ data: { format: 'sklearn', path: 'p' } }))),
      );
    } finally {
      process.stderr.write = original;
    }
    // Only the deprecation notes: other modules may write their own one-time notes meanwhile.
    const deprecations = notes.filter((n) => n.includes('data.format'));
    assert.equal(deprecations.length, 2, deprecations.join(''));
    assert.match(
      deprecations[0]!,
      /^kiln: note: .*iris\.json: data\.format 'iris' is deprecated; it is scikit-learn's file layout, now named 'sklearn' \(format: sklearn\)\n$/,
    );
    assert.match(
      deprecations[1]!,
      /^kiln: note: .*diab\.json: data\.format 'diabetes' is deprecated; .*\(format: sklearn with target\)\n$/,
    );
  });
});

describe('resolveConfigPaths', () => {
  const base = resolve('/work/base');

  it('makes relative data paths and the output dir absolute against base; absolute ones stay', () => {
    const c = validateConfig(
      withOverrides({
        data: {
          format: 'idx',
          path: 'd',
          train: 'tr',
          test: '/abs/te',
          trainLabels: 'trl',
          testLabels: 'tel',
        },
        output: { dir: 'out' },
      }),
      's',
    );
    const r = resolveConfigPaths(c, base);
    assert.equal(r.data.path, join(base, 'd'));
    assert.equal(r.data.train, join(base, 'tr'));
    assert.equal(r.data.test, '/abs/te');
    assert.equal(r.data.trainLabels, join(base, 'trl'));
    assert.equal(r.data.testLabels, join(base, 'tel'));
    assert.equal(r.output.dir, join(base, 'out'));
    assert.equal(c.data.path, 'd', 'the input config is not changed');
  });

  it('leaves absent paths absent and a table target (a column name) alone', () => {
    const c = validateConfig(withOverrides({}), 's');
    const r = resolveConfigPaths(c, base);
    assert.ok(!('train' in r.data) && !('testLabels' in r.data));
    assert.equal(r.data.target, 'y');
    assert.equal(r.output.dir, join(base, 'runs'));
  });

  it("resolves diabetes's target, which names a file", () => {
    const c = validateConfig(
      withOverrides({ data: { format: 'sklearn', path: 'x', target: 't.csv' } }),
      's',
    );
    assert.equal(resolveConfigPaths(c, base).data.target, join(base, 't.csv'));
  });

  it('defaults base to the working directory', () => {
    const c = validateConfig(withOverrides({}), 's');
    assert.equal(resolveConfigPaths(c).data.path, resolve(process.cwd(), 'data.csv'));
  });
});
