// Crash and resume through real `kiln` processes: a run is SIGKILLed mid-epoch, resumed, killed
// again while it writes its next checkpoints, and resumed to the end. The final weights, the best
// checkpoint and every metrics row must equal those of an uninterrupted run bit for bit, and the
// checkpoint left by each kill must load. Also: exit codes of real processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildModel, buildOptimizer, buildScheduler } from '../../src/cli/build.js';
import type { TrainConfig } from '../../src/cli/config.js';
import * as k from '../../src/index.js';
import {
  assertOneLine,
  BIN,
  CHILD_ENV,
  ROOT,
  runKiln,
  writeIdx,
  writeIdxDataset,
} from './helpers.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'kiln-resume-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const EPOCHS = 3;
// 2000 training images, 10% held out for validation, batches of 4.
const STEPS_PER_EPOCH = 1800 / 4;

function writeConfig(): string {
  const data = writeIdxDataset(tmpRoot, { train: 2000, test: 200, size: 8, classes: 4 });
  const config = {
    name: 'crash',
    seed: 5,
    data: { format: 'idx', ...data },
    split: { validation: 0.1 },
    model: [
      { type: 'Flatten' },
      { type: 'Linear', outFeatures: 32 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', outFeatures: 4 },
    ],
    optimizer: { type: 'Adam', lr: 0.003 },
    loss: 'crossEntropy',
    schedule: { type: 'StepLR', stepSize: 1, gamma: 0.8 },
    training: { epochs: EPOCHS, batchSize: 4 },
    metrics: ['accuracy'],
    callbacks: {
      earlyStopping: { patience: 10, restoreBestWeights: true },
      reduceLROnPlateau: { factor: 0.5, patience: 0 },
      checkpoint: { saveTopK: 2 },
    },
  };
  const path = join(tmpRoot, 'crash.yaml');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** The epoch of `<run>/checkpoints/last`, or undefined while there is none (or it is mid-swap). */
function lastEpoch(runDir: string): number | undefined {
  try {
    const text = readFileSync(join(runDir, 'checkpoints', 'last', 'checkpoint.json'), 'utf8');
    return (JSON.parse(text) as { epoch: number }).epoch;
  } catch {
    return undefined;
  }
}

/**
 * Starts `kiln train` and SIGKILLs it when `when` says so (polled every few ms). Resolves with the
 * exit signal and the output.
 */
async function trainAndKill(
  args: string[],
  when: (elapsedMs: number) => boolean,
): Promise<{ signal: NodeJS.Signals | null; code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, 'train', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: CHILD_ENV,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const start = performance.now();
  while (!done) {
    if (when(performance.now() - start)) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(4);
  }
  const { code, signal } = await exited;
  return { code, signal, out, err };
}

/** Loads a checkpoint into a freshly built model, optimizer and scheduler of the config. */
async function assertCheckpointLoads(runDir: string, config: TrainConfig): Promise<number> {
  const record = JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8'));
  const model = buildModel(record.layers, record.sampleShape);
  const optimizer = buildOptimizer(config.optimizer, model);
  const scheduler = buildScheduler(config.schedule!, optimizer);
  const info = await k.io.loadCheckpoint(join(runDir, 'checkpoints', 'last'), {
    model,
    optimizer,
    scheduler,
    restoreRng: false,
  });
  assert.ok(
    info.epoch !== undefined && info.epoch >= 1 && info.epoch <= EPOCHS,
    'info.epoch !== undefined && info.epoch >= 1 && info.epoch <= EPOCHS',
  );
  assert.equal(info.step, info.epoch * STEPS_PER_EPOCH);
  return info.epoch;
}

/** metrics.csv without the wall-clock `seconds` column. */
function metricsRows(runDir: string): string[] {
  const lines = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const seconds = lines[0]!.split(',').indexOf('seconds');
  assert.ok(seconds > 0, 'seconds > 0');
  return lines.map((l) =>
    l
      .split(',')
      .filter((_, i) => i !== seconds)
      .join(','),
  );
}

function bytes(path: string): Buffer {
  return readFileSync(path);
}

describe('kiln train --resume after SIGKILL', () => {
  it('continues from the last checkpoint and ends bit-identical to an uninterrupted run', async () => {
    const configPath = writeConfig();
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as TrainConfig;
    const outA = join(tmpRoot, 'uninterrupted');
    const outB = join(tmpRoot, 'killed');
    const runA = join(outA, 'crash');
    const runB = join(outB, 'crash');

    // The reference run goes on in parallel with the killed one.
    const reference = runKiln(['train', configPath, '--out', outA]);

    // Kill 1: early in epoch 2, 50 ms after the checkpoint of epoch 1 appeared (an epoch takes
    // several hundred ms here, so the kill lands mid-epoch).
    let t1: number | undefined;
    const first = await trainAndKill([configPath, '--out', outB], (t) => {
      if (t1 === undefined && lastEpoch(runB) === 1) t1 = t;
      return t1 !== undefined && t >= t1 + 50;
    });
    assert.equal(
      first.signal,
      'SIGKILL',
      `the run ended before the kill: ${first.out}${first.err}`,
    );
    const epochAtKill = await assertCheckpointLoads(runB, config);
    assert.equal(epochAtKill, 1, 'killed mid-epoch 2, after the checkpoint of epoch 1');
    assert.match(first.out, /^Epoch 1\/3 /m);
    assert.doesNotMatch(first.out, /^Epoch 2\/3 /m);
    assert.equal(metricsRows(runB).length, 2); // header + epoch 1
    assert.ok(
      !existsSync(join(runB, 'model.safetensors')),
      "!existsSync(join(runB, 'model.safetensors'))",
    );

    // Kill 2: in the resumed run, as soon as any checkpoint of epoch 2 is on disk (top-k, best
    // or last), which lands the kill inside or just after the epoch's checkpoint writes.
    const second = await trainAndKill([configPath, '--out', outB, '--resume'], () => {
      const dir = join(runB, 'checkpoints');
      return existsSync(join(dir, 'epoch-0002')) || lastEpoch(runB) === 2;
    });
    assert.equal(second.signal, 'SIGKILL', `the run ended before the kill: ${second.out}`);
    assert.match(second.out, /resuming .*crash from epoch 1 \(step 450\)/);
    const epochAtKill2 = await assertCheckpointLoads(runB, config);
    assert.ok(epochAtKill2 === 1 || epochAtKill2 === 2, `epoch ${epochAtKill2}`);

    // Resume to the end.
    const third = await runKiln(['train', configPath, '--out', outB, '--resume']);
    assert.equal(third.code, 0, third.err);
    assert.match(third.out, new RegExp(`resuming .*crash from epoch ${epochAtKill2} `));
    assert.match(third.out, /^Epoch 3\/3 /m);

    const ref = await reference;
    assert.equal(ref.code, 0, ref.err);
    // No second run folder was started (kiln.db is the tracking store, not a run).
    assert.deepEqual(
      readdirSync(outB).filter((f) => !f.startsWith('kiln.db')),
      ['crash'],
    );

    // Bit-identical results: final and best weights, every metrics row (timings aside), the
    // top-k folders, the last checkpoint's bookkeeping and the test metrics.
    assert.ok(
      bytes(join(runA, 'model.safetensors')).equals(bytes(join(runB, 'model.safetensors'))),
      'final model.safetensors differs from the uninterrupted run',
    );
    for (const c of ['best', 'last']) {
      const file = join('checkpoints', c, 'model.safetensors');
      assert.ok(bytes(join(runA, file)).equals(bytes(join(runB, file))), file);
      const opt = join('checkpoints', c, 'optimizer.safetensors');
      assert.ok(bytes(join(runA, opt)).equals(bytes(join(runB, opt))), opt);
    }
    const rowsA = metricsRows(runA);
    assert.equal(rowsA.length, EPOCHS + 1);
    assert.deepEqual(metricsRows(runB), rowsA);
    assert.deepEqual(
      readdirSync(join(runB, 'checkpoints')).sort(),
      readdirSync(join(runA, 'checkpoints')).sort(),
    );
    assert.equal(
      readdirSync(join(runA, 'checkpoints')).filter((d) => d.startsWith('epoch-')).length,
      2,
    );
    const manifest = (run: string) => {
      const m = JSON.parse(
        readFileSync(join(run, 'checkpoints', 'last', 'checkpoint.json'), 'utf8'),
      );
      delete m.metrics.seconds;
      return {
        epoch: m.epoch,
        step: m.step,
        rng: m.rngState,
        metrics: m.metrics,
        scheduler: m.scheduler,
        optimizer: m.optimizer,
        extra: m.extra,
      };
    };
    assert.deepEqual(manifest(runB), manifest(runA));
    const testLine = (out: string) => out.split('\n').find((l) => l.startsWith('test:'));
    assert.ok(testLine(ref.out), 'testLine(ref.out)');
    assert.equal(testLine(third.out), testLine(ref.out));
  });
});

describe('kiln as a real process', () => {
  it('--help exits 0; a bad input exits 1 with one line and no stack trace', async () => {
    const help = await runKiln(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /^kiln: train neural networks from a config file/);
    assert.equal(help.err, '');

    const dir = mkdtempSync(join(tmpRoot, 'bad-'));
    const images = join(dir, 'images.idx');
    writeFileSync(images, 'not an idx file at all');
    const labels = join(dir, 'labels.idx');
    writeIdx(labels, [2], new Uint8Array(2));
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      [
        'name: bad',
        'data:',
        '  format: idx',
        `  train: ${images}`,
        `  trainLabels: ${labels}`,
        'model:',
        '  - type: Flatten',
        'optimizer: { type: SGD, lr: 0.1 }',
        'loss: crossEntropy',
        'training: { epochs: 1, batchSize: 2 }',
        `output: { dir: ${join(dir, 'runs')} }`,
      ].join('\n'),
    );
    const bad = await runKiln(['train', config]);
    assert.equal(bad.code, 1);
    assert.match(assertOneLine(bad.err), /images\.idx: not an IDX file: magic 0x6e6f7420/);
    assert.equal(bad.out, '');
  });
});
