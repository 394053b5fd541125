// The run lifecycle through the real `kiln` command (issue 9 findings): --version, summary of a
// run folder, early stopping that says so, resume overrides that take effect and are recorded
// (or are refused), non-finite data and diverging runs that fail loudly, failed runs that leave
// no folder, a corrupt final model, Ctrl-C, and run folders usable from any directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLine, BIN, CHILD_ENV, ROOT, runKiln, runMain } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-life-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const IRIS = join(ROOT, 'datasets', 'iris', 'iris.csv');

let count = 0;
function config(overrides: Record<string, unknown> = {}, dir = join(tmp, 'runs')): string {
  const path = join(tmp, `c${count++}.yaml`);
  const base = {
    name: `run${count}`,
    data: { format: 'sklearn', path: IRIS },
    split: { validation: 0.2 },
    preprocess: { standardize: true },
    model: [
      { type: 'Linear', outFeatures: 8 },
      { type: 'ReLU' },
      { type: 'Linear', outFeatures: 3 },
    ],
    optimizer: { type: 'SGD', lr: 0.05 },
    loss: 'crossEntropy',
    training: { epochs: 2, batchSize: 16 },
    output: { dir },
  };
  writeFileSync(path, JSON.stringify({ ...base, ...overrides }, null, 2));
  return path;
}

async function train(args: string[]): Promise<{ out: string; runDir: string }> {
  const r = await runMain(['train', ...args]);
  assert.equal(r.code, 0, r.err);
  const runDir = /run saved to (.+)$/m.exec(r.out)?.[1];
  assert.ok(runDir, r.out);
  return { out: r.out, runDir };
}

/** The run folders under `dir` (kiln.db is the tracking store, not a run). */
const runsIn = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('kiln.db'));

const metricRows = (runDir: string) => {
  const [head, ...rows] = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], Number(v)])));
};

describe('kiln --version and summary of a run folder', () => {
  it('prints the package version (in-process and as a command)', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const r = await runMain(['--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `kiln ${version}\n`);
    const sub = await runKiln(['--version']);
    assert.equal(sub.code, 0, sub.err);
    assert.equal(sub.out, `kiln ${version}\n`);
  });

  it('summarizes a run folder without its YAML', async () => {
    const { runDir } = await train([config()]);
    const r = await runMain(['summary', runDir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /0 \(Linear\) +\[1, 8\] +40/);
    assert.match(r.out, /Total params: 67/);
    // model.json holds complete layer configs (inferred sizes filled in).
    const record = JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8'));
    assert.deepEqual(record.layers[0], {
      type: 'Linear',
      inFeatures: 4,
      outFeatures: 8,
      bias: true,
    });
  });
});

describe('kiln train: early stopping, resume overrides', () => {
  it('early stopping prints why it stopped, and the report says so', async () => {
    const { out, runDir } = await train([
      config({
        training: { epochs: 20, batchSize: 16 },
        callbacks: { earlyStopping: { patience: 1, minDelta: 100, restoreBestWeights: true } },
      }),
    ]);
    assert.match(
      out,
      /^early stopping: val_loss did not improve for 2 epochs \(best [\d.]+ at epoch 1\); stopped after epoch 3; restored the weights of epoch 1$/m,
    );
    assert.match(readFileSync(join(runDir, 'report.md'), 'utf8'), /- early stopping: val_loss/);
  });

  it('--resume --lr takes effect from the next epoch and is recorded in the run folder', async () => {
    const path = config({ name: 'resumed' });
    const first = await train([path]);
    const { out, runDir } = await train([path, '--resume', '--epochs', '4', '--lr', '0.5']);
    assert.equal(runDir, first.runDir);
    assert.match(out, /changed on resume: optimizer\.lr 0\.05 -> 0\.5 from epoch 3/);
    assert.match(out, /changed on resume: training\.epochs 2 -> 4 from epoch 3/);
    // The lr the optimizer really used, as logged per epoch.
    assert.deepEqual(
      metricRows(runDir).map((r) => r.lr),
      [0.05, 0.05, 0.5, 0.5],
    );
    const resumes = JSON.parse(readFileSync(join(runDir, 'resumes.json'), 'utf8'));
    assert.equal(resumes.length, 1);
    assert.equal(resumes[0].epoch, 2);
    assert.deepEqual(
      [...resumes[0].changes].sort((x: { field: string }, y: { field: string }) =>
        x.field.localeCompare(y.field),
      ),
      [
        { field: 'optimizer.lr', from: 0.05, to: 0.5 },
        { field: 'training.epochs', from: 2, to: 4 },
      ],
    );
    assert.equal(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).optimizer.lr, 0.5);
    assert.match(
      readFileSync(join(runDir, 'report.md'), 'utf8'),
      /- changed on resume: optimizer\.lr 0\.05 -> 0\.5 from epoch 3/,
    );
  });

  it('--resume refuses overrides it cannot honour, in one line', async () => {
    const path = config({ name: 'refused' });
    await train([path]);
    const batch = await runMain(['train', path, '--resume', '--batch-size', '8']);
    assert.equal(batch.code, 1);
    assert.match(
      assertOneLine(batch.err),
      /--resume: cannot change training\.batchSize \(16 in the run, 8 now\)/,
    );
    const scheduled = config({ name: 'sched', schedule: { type: 'StepLR', stepSize: 1 } });
    await train([scheduled]);
    const lr = await runMain(['train', scheduled, '--resume', '--lr', '0.5', '--epochs', '3']);
    assert.equal(lr.code, 1);
    assert.match(
      assertOneLine(lr.err),
      /cannot change optimizer\.lr .*schedule StepLR sets the learning rate/,
    );
  });
});

describe('kiln train: non-finite data and diverging runs fail', () => {
  const csv = (name: string, cell: string) => {
    const path = join(tmp, name);
    writeFileSync(path, `a,b,y\n1,2,0.5\n3,${cell},1.5\n5,6,2\n7,8,1\n1,1,1\n2,2,2\n`);
    return path;
  };
  const regression = (path: string, more: Record<string, unknown> = {}) =>
    config({
      data: { format: 'csv', path, label: 'y' },
      split: {},
      preprocess: {},
      model: [{ type: 'Linear', outFeatures: 1 }],
      loss: 'mseLoss',
      training: { epochs: 2, batchSize: 2 },
      ...more,
    });

  for (const cell of ['Infinity', '-Infinity', '1e39']) {
    it(`a CSV cell ${cell} is a data error naming file, line and column`, async () => {
      const path = csv(`bad-${cell}.csv`, cell);
      const r = await runMain(['train', regression(path)]);
      assert.equal(r.code, 1, r.err);
      assert.match(
        assertOneLine(r.err),
        new RegExp(
          `bad-${cell}\\.csv line 3, column "b": "${cell}" is (not finite|beyond the float32 range)`,
        ),
      );
    });
  }

  it('a run whose loss diverges exits 1, says so, and leaves no empty run folder', async () => {
    const dir = join(tmp, 'nan-runs');
    const path = regression(csv('ok.csv', '4'), {
      optimizer: { type: 'SGD', lr: 1e30 },
      output: { dir },
    });
    const r = await runMain(['train', path]);
    assert.equal(r.code, 1, r.out);
    assert.match(
      assertOneLine(r.err),
      /training diverged: the loss is (NaN|Infinity) at epoch 1, batch \d+; no epoch finished/,
    );
    assert.deepEqual(runsIn(dir), []);
    // With terminateOnNaN off, a run that ends on NaN still fails, and saves no final model.
    const off = regression(csv('ok2.csv', '4'), {
      optimizer: { type: 'SGD', lr: 1e30 },
      output: { dir },
      callbacks: { terminateOnNaN: false },
    });
    const r2 = await runMain(['train', off]);
    assert.equal(r2.code, 1);
    assert.match(
      assertOneLine(r2.err),
      /training ended with loss (NaN|Infinity) at epoch 2; no final model was saved/,
    );
    const runs = runsIn(dir);
    assert.equal(runs.length, 1);
    assert.ok(!existsSync(join(dir, runs[0]!, 'model.safetensors')));
  });

  it('a run that fails at its first epoch end leaves no run folder', async () => {
    const dir = join(tmp, 'fail-runs');
    const path = config({ output: { dir }, callbacks: { earlyStopping: { monitor: 'val_acc' } } });
    const r = await runMain(['train', path]);
    assert.equal(r.code, 1);
    assert.match(assertOneLine(r.err), /monitor 'val_acc' is not logged/);
    assert.deepEqual(runsIn(dir), []);
  });
});

describe('kiln run folders: integrity, Ctrl-C, any working directory', () => {
  it('a bit-flipped final model.safetensors is detected by eval', async () => {
    const { runDir } = await train([config({ name: 'flip' })]);
    assert.match(
      readFileSync(join(runDir, 'model.safetensors.sha256'), 'utf8'),
      /^[0-9a-f]{64} {2}model\.safetensors\n$/,
    );
    const path = join(runDir, 'model.safetensors');
    const bytes = readFileSync(path);
    bytes[bytes.length - 3]! ^= 0x10;
    writeFileSync(path, bytes);
    const r = await runMain(['eval', runDir]);
    assert.equal(r.code, 1);
    assert.match(assertOneLine(r.err), /model\.safetensors is corrupt: its SHA-256 differs/);
  });

  it('relative paths are stored absolute: kiln eval /abs/run works from another directory', async () => {
    const path = join(tmp, 'relative.yaml');
    writeFileSync(
      path,
      JSON.stringify({
        name: 'relative',
        data: { format: 'sklearn', path: 'datasets/iris/iris.csv' },
        model: [{ type: 'Linear', outFeatures: 3 }],
        optimizer: { type: 'SGD', lr: 0.1 },
        loss: 'crossEntropy',
        training: { epochs: 1, batchSize: 16 },
        output: { dir: join(tmp, 'rel-runs') },
      }),
    );
    const t = await runKiln(['train', path], { cwd: ROOT });
    assert.equal(t.code, 0, t.err);
    const runDir = join(tmp, 'rel-runs', 'relative');
    assert.equal(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).data.path, IRIS);
    const e = await runKiln(['eval', runDir], { cwd: tmp });
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /^loss [\d.]+\nconfusion matrix/m);
  });

  it('Ctrl-C prints "interrupted; continue with --resume" and exits 130', async () => {
    const path = config({ name: 'sigint', training: { epochs: 100000, batchSize: 16 } });
    const child = spawn(process.execPath, [BIN, 'train', path], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: CHILD_ENV,
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (/^Epoch 3\//m.test(out)) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    assert.equal(code, 130, err);
    assert.match(err, /\nkiln: interrupted; continue with --resume\n$/);
    const runDir = join(tmp, 'runs', 'sigint');
    const done = JSON.parse(
      readFileSync(join(runDir, 'checkpoints', 'last', 'checkpoint.json'), 'utf8'),
    ).epoch;
    assert.ok(done >= 2, `checkpoint of epoch ${done}`);
    const more = String(done + 1);
    const resumed = await runKiln(['train', path, '--resume', '--epochs', more]);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`resuming .* from epoch ${done} `));
  });
});
