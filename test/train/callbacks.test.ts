// Callbacks against hand-computed cases: hooks are driven with crafted TrainContext objects, and
// with short real fits on tiny data where the interaction with the Trainer matters.
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  CSVLogger,
  EarlyStopping,
  LearningRateScheduler,
  ModelCheckpoint,
  ProgressBar,
  ReduceLROnPlateau,
  TerminateOnNaN,
  type TrainContext,
  Trainer,
} from '../../src/train/index.js';

const { nn, optim, F } = k;

const tmpRoot = mkdtempSync(join(tmpdir(), 'kiln-callbacks-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
const tmp = () => join(tmpRoot, `t${tmpCount++}`);

function context(overrides: Partial<TrainContext> = {}): TrainContext {
  const model = overrides.model ?? new nn.Linear(2, 1);
  return {
    model,
    optimizer: overrides.optimizer ?? new optim.SGD(model.parameters(), { lr: 1 }),
    epoch: 0,
    epochs: 10,
    batch: 0,
    batchesPerEpoch: 4,
    step: 0,
    samples: 0,
    logs: {},
    stopTraining: false,
    ...overrides,
  };
}

/** Runs onTrainBegin, then one onEpochEnd per logged value, like fit; returns the epochs run. */
async function drive(
  cb: {
    onTrainBegin?: (c: TrainContext) => unknown;
    onEpochEnd?: (c: TrainContext) => unknown;
    onTrainEnd?: (c: TrainContext) => unknown;
  },
  monitor: string,
  values: number[],
  ctx = context(),
  beforeEpoch?: (epoch: number, ctx: TrainContext) => void,
): Promise<number> {
  await cb.onTrainBegin?.(ctx);
  let epochs = 0;
  for (let e = 0; e < values.length && !ctx.stopTraining; e++) {
    ctx.epoch = e;
    beforeEpoch?.(e, ctx);
    ctx.logs = { loss: 1, [monitor]: values[e]! };
    await cb.onEpochEnd?.(ctx);
    epochs++;
  }
  await cb.onTrainEnd?.(ctx);
  return epochs;
}

function tinyData(n = 8) {
  const x = k.tensor(
    Array.from({ length: n * 2 }, (_, i) => Math.cos(i)),
    { shape: [n, 2] },
  );
  const y = k.tensor(
    Array.from({ length: n }, (_, i) => i % 2),
    { dtype: 'int32' },
  );
  return new k.data.DataLoader(new k.data.TensorDataset(x, y), { batchSize: 4 });
}

describe('EarlyStopping', () => {
  it('stops once the value has not improved for more than patience epochs', async () => {
    const es = new EarlyStopping({ patience: 2 });
    // best 0.9 at epoch 1; epochs 2, 3, 4 do not beat it: wait 1, 2, 3 > 2 -> stop at epoch 4.
    const epochs = await drive(es, 'val_loss', [1, 0.9, 0.95, 0.91, 0.92, 0.5, 0.4]);
    assert.equal(epochs, 5);
    assert.equal(es.stoppedEpoch, 4);
    assert.equal(es.best, 0.9);
    assert.equal(es.bestEpoch, 1);
    assert.equal(es.wait, 3);
  });

  it('patience 0 stops at the first epoch without improvement', async () => {
    const es = new EarlyStopping({ monitor: 'loss' });
    assert.equal(await drive(es, 'loss', [3, 2, 2, 1]), 3);
    assert.equal(es.stoppedEpoch, 2);
  });

  it('requires an improvement larger than minDelta', async () => {
    const es = new EarlyStopping({ patience: 1, minDelta: 0.05 });
    // 1 -> 0.96 (0.04 is not enough), 0.96 -> 0.94 (from best 1: 0.06, improves), 0.93, 0.92
    assert.equal(await drive(es, 'val_loss', [1, 0.96, 0.94, 0.93, 0.92, 0.1]), 5);
    assert.equal(es.best, 0.94);
    assert.equal(es.bestEpoch, 2);
    assert.equal(es.stoppedEpoch, 4);
  });

  it("mode 'auto' maximizes accuracy-like names; an explicit mode wins", async () => {
    const acc = new EarlyStopping({ monitor: 'val_accuracy', patience: 0 });
    assert.equal(await drive(acc, 'val_accuracy', [0.5, 0.6, 0.6, 0.9]), 3);
    assert.equal(acc.best, 0.6);
    const forcedMin = new EarlyStopping({ monitor: 'val_accuracy', mode: 'min', patience: 0 });
    assert.equal(await drive(forcedMin, 'val_accuracy', [0.5, 0.6]), 2);
    assert.equal(forcedMin.best, 0.5);
  });

  it('stops when the baseline is not beaten within patience', async () => {
    const es = new EarlyStopping({ patience: 1, baseline: 0.5 });
    assert.equal(await drive(es, 'val_loss', [0.8, 0.7, 0.1]), 2);
    assert.equal(es.bestEpoch, -1);
    const ok = new EarlyStopping({ patience: 1, baseline: 0.5 });
    assert.equal(await drive(ok, 'val_loss', [0.8, 0.4, 0.3, 0.2]), 4);
  });

  it('restoreBestWeights loads the best epoch weights at the end of training', async () => {
    const model = new nn.Linear(2, 1);
    const es = new EarlyStopping({ patience: 1, restoreBestWeights: true });
    const setEpochWeights = (e: number) =>
      k.noGrad(() => {
        model.weight.copy_(k.full([1, 2], e));
        model.bias!.copy_(k.full([1], -e));
      });
    await drive(es, 'val_loss', [3, 1, 2, 2.5, 0], context({ model }), setEpochWeights);
    assert.equal(es.stoppedEpoch, 3);
    assert.deepEqual(Array.from(model.weight.dataSync()), [1, 1]);
    assert.deepEqual(Array.from(model.bias!.dataSync()), [-1]);
  });

  it('continues from a saved state on resume (counters and best weights)', async () => {
    const first = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const model = new nn.Linear(2, 1);
    const ctx = context({ model });
    const set = (e: number) => k.noGrad(() => void model.weight.copy_(k.full([1, 2], e)));
    await drive(first, 'val_loss', [1, 0.5, 0.7], ctx, set);
    const state = first.stateDict();
    assert.deepEqual(state, { best: 0.5, bestEpoch: 1, wait: 1 });
    // A new process: the counters and the best (epoch 1) weights come from the checkpoint.
    const resumed = new EarlyStopping({ patience: 2, restoreBestWeights: true });
    const bestWeights = { weight: k.full([1, 2], 1), bias: model.bias!.clone() };
    resumed.loadStateDict(state, bestWeights);
    bestWeights.weight = k.full([1, 2], 99); // the snapshot is a copy
    await resumed.onTrainBegin();
    assert.deepEqual(resumed.stateDict(), state);
    for (const [epoch, value] of [
      [3, 0.6],
      [4, 0.8],
    ] as const) {
      set(epoch);
      ctx.epoch = epoch;
      ctx.logs = { val_loss: value };
      resumed.onEpochEnd(ctx);
    }
    assert.equal(resumed.stoppedEpoch, 4); // wait 1 (saved) + 2 > patience 2
    assert.equal(ctx.stopTraining, true);
    resumed.onTrainEnd(ctx);
    assert.deepEqual(Array.from(model.weight.dataSync()), [1, 1]);
  });

  it('names the missing monitor and the logged values; rejects a bad patience', async () => {
    const es = new EarlyStopping({ monitor: 'val_acc' });
    es.onTrainBegin();
    assert.throws(
      () => es.onEpochEnd(context({ logs: { loss: 1, val_accuracy: 0.5 } })),
      (e: Error) =>
        e instanceof k.ConfigError &&
        /monitor 'val_acc' is not logged \(available: loss, val_accuracy\)/.test(e.message),
    );
    assert.throws(() => new EarlyStopping({ patience: -1 }), /patience must be a non-negative/);
  });

  it('stops a real fit early', async () => {
    const model = new nn.Linear(2, 2);
    const es = new EarlyStopping({ monitor: 'loss', patience: 1 });
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0 }), // a constant loss: a plateau
      loss: F.crossEntropy,
      callbacks: [es],
    });
    const history = await trainer.fit(tinyData(), { epochs: 10 });
    assert.equal(history.epochs.length, 3);
    assert.equal(es.stoppedEpoch, 2);
  });
});

describe('ModelCheckpoint', () => {
  const readManifest = (dir: string) =>
    JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as {
      epoch: number;
      step: number;
      metrics: Record<string, number>;
      config: unknown;
      extra: unknown;
    };

  it('keeps best/ (only improved epochs), last/ (every epoch) and the top k epochs', async () => {
    const dir = tmp();
    const model = new nn.Linear(2, 1);
    const ctx = context({ model });
    const mc = new ModelCheckpoint({
      dir,
      saveTopK: 2,
      config: { name: 'x' },
      extra: (c) => ({ seen: c.epoch }),
    });
    const values = [0.5, 0.7, 0.3, 0.4, 0.6];
    const bestEpochs: number[] = [];
    await drive(mc, 'val_loss', values, ctx, (e, c) => {
      if (e > 0) bestEpochs.push(readManifest(join(dir, 'best')).epoch);
      c.step = (e + 1) * 10;
      k.noGrad(() => void model.weight.copy_(k.full([1, 2], e)));
    });
    // After epochs 1..4 (from 1): best was written at epochs 1 and 3.
    assert.deepEqual(bestEpochs, [1, 1, 3, 3]);
    const best = readManifest(join(dir, 'best'));
    assert.equal(best.epoch, 3);
    assert.equal(best.metrics.val_loss, 0.3);
    assert.equal(best.metrics.best_val_loss, 0.3);
    assert.deepEqual(best.config, { name: 'x' });
    assert.deepEqual(best.extra, { seen: 2 });
    const last = readManifest(join(dir, 'last'));
    assert.equal(last.epoch, 5);
    assert.equal(last.step, 50);
    assert.equal(last.metrics.val_loss, 0.6);
    assert.equal(last.metrics.best_val_loss, 0.3);
    // Top 2 by val_loss: epochs 3 (0.3) and 4 (0.4); no staging or temp folders are left.
    assert.deepEqual(readdirSync(dir).sort(), ['best', 'epoch-0003', 'epoch-0004', 'last']);
    // Every checkpoint loads, with the weights of its epoch.
    const probe = new nn.Linear(2, 1);
    for (const [name, w] of [
      ['best', 2],
      ['last', 4],
      ['epoch-0004', 3],
    ] as const) {
      const info = await k.io.loadCheckpoint(join(dir, name), {
        model: probe,
        optimizer: new optim.SGD(probe.parameters(), { lr: 1 }),
        restoreRng: false,
      });
      assert.ok(info.epoch! >= 1, 'info.epoch! >= 1');
      assert.deepEqual(Array.from(probe.weight.dataSync()), [w, w]);
    }
  });

  it("mode 'auto' ranks accuracy-like monitors by the maximum", async () => {
    const dir = tmp();
    const mc = new ModelCheckpoint({ dir, monitor: 'val_accuracy', saveLast: false });
    await drive(mc, 'val_accuracy', [0.5, 0.9, 0.7]);
    assert.equal(readManifest(join(dir, 'best')).epoch, 2);
    assert.deepEqual(readdirSync(dir), ['best']);
  });

  it('restores the best value on resume, so best/ is only replaced by a better epoch', async () => {
    const dir = tmp();
    await drive(new ModelCheckpoint({ dir, saveTopK: 2 }), 'val_loss', [0.5, 0.3, 0.4]);
    const saved = readManifest(join(dir, 'last'));
    assert.equal(saved.metrics.best_val_loss, 0.3);
    // A new process resumes after epoch 3: the top-k ranking is read back from the folder.
    const resumed = new ModelCheckpoint({ dir, saveTopK: 2 });
    resumed.setBest(saved.metrics.best_val_loss!);
    const ctx = context();
    await resumed.onTrainBegin();
    for (const [epoch, value] of [
      [3, 0.35],
      [4, 0.2],
    ] as const) {
      ctx.epoch = epoch;
      ctx.logs = { val_loss: value };
      await resumed.onEpochEnd(ctx);
      if (epoch === 3) assert.equal(readManifest(join(dir, 'best')).epoch, 2);
    }
    assert.equal(readManifest(join(dir, 'best')).epoch, 5);
    assert.equal(resumed.best, 0.2);
    // Top 2 over both processes: epochs 5 (0.2) and 2 (0.3); the others were removed.
    assert.deepEqual(readdirSync(dir).sort(), ['best', 'epoch-0002', 'epoch-0005', 'last']);
  });

  it('on resume, finishes what a crash between a top-k save and its removals left', async () => {
    const dir = tmp();
    // Three complete top-k checkpoints for k = 2 (the crash came before the displaced one was
    // removed), and a half-removed folder without its manifest.
    await drive(new ModelCheckpoint({ dir, saveTopK: 3 }), 'val_loss', [0.5, 0.3, 0.4]);
    await drive(new ModelCheckpoint({ dir: join(dir, 'x'), saveTopK: 1 }), 'val_loss', [1]);
    rmSync(join(dir, 'x'), { recursive: true });
    const half = join(dir, 'epoch-0009');
    await drive(new ModelCheckpoint({ dir: half, saveBest: false }), 'val_loss', [1]);
    rmSync(join(half, 'last', 'checkpoint.json'));
    const resumed = new ModelCheckpoint({ dir, saveTopK: 2 });
    await resumed.onTrainBegin();
    assert.deepEqual(readdirSync(dir).sort(), ['best', 'epoch-0002', 'epoch-0003', 'last']);
  });

  it('writes atomically: a failed save leaves the previous checkpoint intact', async () => {
    const dir = tmp();
    const model = new nn.Linear(2, 1);
    const mc = new ModelCheckpoint({ dir, monitor: 'loss' });
    await drive(mc, 'loss', [1], context({ model }));
    const before = readFileSync(join(dir, 'last', 'model.safetensors'));
    // A model whose state cannot be encoded makes the next save fail before anything is replaced.
    const broken = {
      ...context({ model }),
      model: Object.assign(Object.create(model), {
        stateDict: () => ({ weight: 'not a tensor' }),
      }) as k.nn.Module,
    };
    broken.epoch = 1;
    broken.logs = { loss: 0.5 };
    await assert.rejects(mc.onEpochEnd(broken), {
      name: 'CheckpointError',
      message: /"weight" is not a Tensor \(got string\)/,
    });
    assert.deepEqual(readFileSync(join(dir, 'last', 'model.safetensors')), before);
    assert.equal(readManifest(join(dir, 'last')).epoch, 1);
    assert.deepEqual(readdirSync(dir).sort(), ['best', 'last']);
  });

  it('needs the monitored value when ranking, and a valid saveTopK', async () => {
    const mc = new ModelCheckpoint({ dir: tmp() });
    await mc.onTrainBegin();
    await assert.rejects(
      mc.onEpochEnd(context({ logs: { loss: 1 } })),
      /monitor 'val_loss' is not logged \(available: loss\)/,
    );
    assert.throws(() => new ModelCheckpoint({ dir: tmp(), saveTopK: 1.5 }), /saveTopK/);
    // Without ranking, last/ alone is written whatever is logged.
    const dir = tmp();
    const lastOnly = new ModelCheckpoint({ dir, saveBest: false });
    await drive(lastOnly, 'loss', [1]);
    assert.deepEqual(readdirSync(dir), ['last']);
  });
});

describe('ReduceLROnPlateau (callback)', () => {
  it('cuts the lr after patience bad epochs and logs the new lr', async () => {
    const cb = new ReduceLROnPlateau({ factor: 0.5, patience: 1 });
    const ctx = context();
    const lrs: number[] = [];
    await cb.onTrainBegin(ctx);
    // best 1 at epoch 0; bad epochs 1, 2 (2 > patience 1: cut, reset), 3, 4 (cut), 5 improves.
    for (const [e, v] of [1, 1, 1, 1, 1, 0.5].entries()) {
      ctx.epoch = e;
      ctx.logs = { val_loss: v };
      cb.onEpochEnd(ctx);
      lrs.push(ctx.logs.lr!);
    }
    assert.deepEqual(lrs, [1, 1, 1, 0.5, 0.5, 0.25]); // the lr each epoch trained with
    assert.equal(ctx.optimizer.paramGroups[0]!.lr, 0.25);
  });

  it('maximizes accuracy-like monitors, honours threshold, cooldown and minLr', async () => {
    const acc = new ReduceLROnPlateau({ monitor: 'val_accuracy', factor: 0.1, patience: 0 });
    const ctx = context();
    await acc.onTrainBegin(ctx);
    for (const [e, v] of [0.5, 0.6, 0.55].entries()) {
      ctx.epoch = e;
      ctx.logs = { val_accuracy: v };
      acc.onEpochEnd(ctx);
    }
    assert.ok(
      Math.abs(ctx.optimizer.paramGroups[0]!.lr - 0.1) < 1e-12,
      'Math.abs(ctx.optimizer.paramGroups[0]!.lr - 0.1) < 1e-12',
    );

    const cd = new ReduceLROnPlateau({ factor: 0.5, patience: 0, cooldown: 1, minLr: 0.3 });
    const c2 = context();
    await cd.onTrainBegin(c2);
    const lrs: number[] = [];
    for (const [e, v] of [1, 1, 1, 1, 1, 1].entries()) {
      c2.epoch = e;
      c2.logs = { val_loss: v };
      cd.onEpochEnd(c2);
      lrs.push(c2.logs.lr!);
    }
    // cut after epoch 1, cooldown swallows epoch 2, cut after 3 (floored at minLr), then stays.
    assert.deepEqual(lrs, [1, 1, 0.5, 0.5, 0.3, 0.3]);
    assert.equal(c2.optimizer.paramGroups[0]!.lr, 0.3);
  });

  it('continues from a saved state on resume', async () => {
    const first = new ReduceLROnPlateau({ factor: 0.5, patience: 2 });
    const ctx = context();
    await first.onTrainBegin(ctx);
    for (const [e, v] of [1, 1, 1].entries()) {
      ctx.epoch = e;
      ctx.logs = { val_loss: v };
      first.onEpochEnd(ctx);
    }
    const state = JSON.parse(JSON.stringify(first.stateDict()));
    assert.equal(state.numBadEpochs, 2);
    const resumed = new ReduceLROnPlateau({ factor: 0.5, patience: 2 });
    resumed.loadStateDict(state);
    assert.deepEqual(resumed.stateDict(), state);
    await resumed.onTrainBegin(ctx);
    ctx.epoch = 3;
    ctx.logs = { val_loss: 1 };
    resumed.onEpochEnd(ctx); // third bad epoch: 3 > 2, cut
    assert.equal(ctx.logs.lr, 1);
    assert.equal(ctx.optimizer.paramGroups[0]!.lr, 0.5);
  });

  it('names a missing monitor', async () => {
    const cb = new ReduceLROnPlateau({ monitor: 'val_loss' });
    const ctx = context({ logs: { loss: 1 } });
    await cb.onTrainBegin(ctx);
    assert.throws(() => cb.onEpochEnd(ctx), /monitor 'val_loss' is not logged \(available: loss\)/);
  });

  it('lowers the lr of a real fit on a plateau', async () => {
    const model = new nn.Linear(2, 2);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.5 });
    const trainer = new Trainer({
      model,
      optimizer,
      // A constant loss: every epoch after the first is a bad one.
      loss: (o) => o.mul(0).sum().add(2),
      callbacks: [new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 0 })],
    });
    const history = await trainer.fit(tinyData(), { epochs: 3 });
    assert.deepEqual(history.history.lr, [0.5, 0.5, 0.25]);
    assert.equal(optimizer.paramGroups[0]!.lr, 0.125);
  });
});

describe('TerminateOnNaN', () => {
  it('stops at the first non-finite batch loss', () => {
    const cb = new TerminateOnNaN({ quiet: true });
    const ctx = context({ epoch: 2, batch: 1, logs: { loss: 1, batchLoss: 0.5 } });
    cb.onBatchEnd(ctx);
    assert.equal(ctx.stopTraining, false);
    assert.equal(cb.stoppedAt, null);
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const c = context({ epoch: 2, batch: 3, logs: { loss: 1, batchLoss: bad } });
      cb.onBatchEnd(c);
      assert.equal(c.stopTraining, true);
      assert.deepEqual(cb.stoppedAt, { epoch: 2, batch: 3 });
    }
  });

  it('ends a real fit after the batch that produced NaN, and says so on stderr', async () => {
    const x = k.tensor([
      [1, 2],
      [3, 4],
      [Number.NaN, 1],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const y = k.tensor([0, 1, 0, 1, 0, 1], { dtype: 'int32' });
    const model = new nn.Linear(2, 2);
    const cb = new TerminateOnNaN();
    const batches: string[] = [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      callbacks: [cb, { onBatchEnd: (c) => void batches.push(`${c.epoch}.${c.batch}`) }],
    });
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((s: string) => {
      written.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    let history: Awaited<ReturnType<Trainer['fit']>>;
    try {
      history = await trainer.fit(
        new k.data.DataLoader(new k.data.TensorDataset(x, y), { batchSize: 2 }),
        { epochs: 3 },
      );
    } finally {
      process.stderr.write = original;
    }
    assert.deepEqual(batches, ['0.0', '0.1']);
    assert.deepEqual(cb.stoppedAt, { epoch: 0, batch: 1 });
    assert.equal(history.epochs.length, 1);
    assert.ok(Number.isNaN(history.last.loss), 'Number.isNaN(history.last.loss)');
    assert.deepEqual(written, ['TerminateOnNaN: loss is NaN at epoch 1, batch 2; stopping\n']);
  });
});

describe('LearningRateScheduler', () => {
  const fitWith = async (cb: LearningRateScheduler, optimizer?: k.optim.Optimizer) => {
    const model = new nn.Linear(2, 2);
    const opt = optimizer ?? new optim.SGD(model.parameters(), { lr: 0.1 });
    const seen: number[] = [];
    const trainer = new Trainer({
      model,
      optimizer: opt,
      loss: F.crossEntropy,
      callbacks: [cb, { onBatchBegin: (c) => void seen.push(c.optimizer.paramGroups[0]!.lr) }],
    });
    const history = await trainer.fit(tinyData(), { epochs: 3 }); // 2 batches per epoch
    return { seen, logged: history.history.lr, opt };
  };

  it('applies a Keras-style (epoch, lr) function at each epoch begin', async () => {
    const calls: [number, number][] = [];
    const r = await fitWith(
      new LearningRateScheduler((epoch, lr) => {
        calls.push([epoch, lr]);
        return epoch === 0 ? lr : lr / 2;
      }),
    );
    assert.deepEqual(calls, [
      [0, 0.1],
      [1, 0.1],
      [2, 0.05],
    ]);
    assert.deepEqual(r.seen, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    assert.deepEqual(r.logged, [0.1, 0.05, 0.025]);
  });

  it('steps a scheduler object per epoch (default) or per batch', async () => {
    const model = new nn.Linear(2, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const perEpoch = await fitWith(
      new LearningRateScheduler(new optim.lrScheduler.StepLR(opt, { stepSize: 1, gamma: 0.1 })),
      opt,
    );
    assert.deepEqual(
      perEpoch.seen.map((v) => Number(v.toPrecision(6))),
      [0.1, 0.1, 0.01, 0.01, 0.001, 0.001],
    );
    // The epoch's logs carry the lr it trained with.
    assert.deepEqual(
      perEpoch.logged!.map((v) => Number(v.toPrecision(6))),
      [0.1, 0.01, 0.001],
    );

    const opt2 = new optim.SGD(model.parameters(), { lr: 1 });
    const perBatch = await fitWith(
      new LearningRateScheduler(new optim.lrScheduler.StepLR(opt2, { stepSize: 1, gamma: 0.5 }), {
        interval: 'batch',
      }),
      opt2,
    );
    assert.deepEqual(perBatch.seen, [1, 0.5, 0.25, 0.125, 0.0625, 0.03125]);
  });

  it('passes the monitored value to a ReduceLROnPlateau scheduler object', () => {
    const model = new nn.Linear(2, 2);
    const opt = new optim.SGD(model.parameters(), { lr: 1 });
    const sched = new optim.lrScheduler.ReduceLROnPlateau(opt, { factor: 0.5, patience: 0 });
    const cb = new LearningRateScheduler(sched, { monitor: 'val_loss' });
    const ctx = context({ model, optimizer: opt });
    for (const v of [1, 2, 3]) {
      ctx.logs = { loss: 0, val_loss: v };
      cb.onEpochEnd(ctx);
    }
    assert.deepEqual(sched.getLastLr(), [0.25]);
    assert.equal(ctx.logs.lr, 0.5);
  });

  it('rejects an unknown interval', () => {
    assert.throws(
      () => new LearningRateScheduler((_e, lr) => lr, { interval: 'step' as 'batch' }),
      /interval must be 'epoch' or 'batch', got 'step'/,
    );
  });
});

describe('ProgressBar', () => {
  const ESC = String.fromCharCode(27);
  const capture = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } };
  };
  const fit = async (bar: ProgressBar) => {
    const model = new nn.Linear(2, 2);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      metrics: ['accuracy'],
      callbacks: [bar],
    });
    await trainer.fit(tinyData(12), { epochs: 2 }); // 3 batches per epoch
  };

  it('prints one line per epoch on a non-TTY stream', async () => {
    const { writes, stream } = capture(false);
    await fit(new ProgressBar({ stream }));
    assert.equal(writes.length, 2);
    for (const [i, line] of writes.entries()) {
      assert.match(
        line,
        new RegExp(
          `^Epoch ${i + 1}/2  \\d+\\.\\ds  loss \\d\\.\\d{4}  accuracy \\d\\.\\d{4}  lr 0\\.1000\\n$`,
        ),
      );
    }
    assert.ok(!writes.join('').includes('\r'), "!writes.join('').includes('\\r')");
  });

  it('draws a live bar on a TTY stream', async () => {
    const { writes, stream } = capture(true);
    await fit(new ProgressBar({ stream, width: 6, intervalMs: 0 }));
    const text = writes.join('');
    assert.equal(writes.filter((w) => /^Epoch \d\/2\n$/.test(w)).length, 2);
    // Batches 1..3 of 3: 2, 4 and 6 of 6 cells filled; ETA while running, elapsed at the end.
    assert.match(
      text,
      new RegExp(
        `\r1/3 \\[=>\\.\\.\\.\\.\\] ETA \\d+s {2}\\d+ samples/s {2}loss \\d\\.\\d{4}${ESC}\\[K`,
      ),
    );
    assert.match(text, /\r2\/3 \[===>\.\.\] ETA /);
    assert.match(text, /\r3\/3 \[=====>\] \d+s {2}/);
    assert.ok(!text.includes('batchLoss'), "!text.includes('batchLoss')");
    // Each epoch ends by clearing the bar and printing the summary on its own line.
    const summary = new RegExp(`\r${ESC}\\[K\\d+\\.\\ds {2}loss [^\n]*lr 0\\.1000\n`, 'g');
    assert.equal(text.match(summary)?.length, 2);
  });

  it('throttles redraws on a TTY but always draws the last batch', async () => {
    const { writes, stream } = capture(true);
    await fit(new ProgressBar({ stream, intervalMs: 60_000 }));
    const bars = writes.filter((w) => /^\r\d\/3 /.test(w));
    assert.deepEqual(
      bars.map((b) => b.slice(1, 4)),
      ['1/3', '3/3', '1/3', '3/3'],
    );
  });
});

describe('CSVLogger', () => {
  const fitLog = async (logger: CSVLogger, epochs: number, initialEpoch = 0) => {
    const model = new nn.Linear(2, 2);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      metrics: ['accuracy'],
      callbacks: [logger],
    });
    return trainer.fit(tinyData(), { epochs, initialEpoch });
  };

  it('writes a header and one row per epoch with the logged values', async () => {
    const dir = tmp();
    const path = join(dir, 'metrics.csv');
    const history = await fitLog(new CSVLogger(path), 2);
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.deepEqual(lines, [
      'epoch,loss,accuracy,lr',
      ...history.epochs.map((l, i) => `${i + 1},${l.loss},${l.accuracy},0.1`),
      '',
    ]);
    // Written atomically: no temp file is left beside it.
    assert.deepEqual(readdirSync(dir), ['metrics.csv']);
  });

  it('appends to an earlier run, replacing an epoch that is logged again', async () => {
    const path = join(tmp(), 'metrics.csv');
    await fitLog(new CSVLogger(path), 2);
    const before = readFileSync(path, 'utf8').split('\n');
    // A resume from epoch 1 (the crash came after epoch 2 was logged but before its checkpoint).
    await fitLog(new CSVLogger(path, { append: true }), 3, 1);
    const after = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    assert.equal(after.length, 4);
    assert.equal(after[0], 'epoch,loss,accuracy,lr');
    assert.equal(after[1], before[1]);
    assert.deepEqual(
      after.map((l) => l.split(',')[0]),
      ['epoch', '1', '2', '3'],
    );
    // Without append, a new run starts the file over.
    await fitLog(new CSVLogger(path), 1);
    assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 2);
  });

  it('adds columns that appear later and leaves missing cells empty; honours the separator', async () => {
    const path = join(tmp(), 'm.tsv');
    const logger = new CSVLogger(path, { separator: '\t' });
    logger.onTrainBegin();
    await logger.onEpochEnd(context({ epoch: 0, logs: { loss: 1 } }));
    await logger.onEpochEnd(context({ epoch: 1, logs: { loss: 0.5, val_loss: 0.7 } }));
    assert.equal(readFileSync(path, 'utf8'), 'epoch\tloss\tval_loss\n1\t1\t\n2\t0.5\t0.7\n');
  });

  it('replaces the file by rename, never rewriting it in place', async () => {
    const dir = tmp();
    const path = join(dir, 'metrics.csv');
    const logger = new CSVLogger(path);
    logger.onTrainBegin();
    await logger.onEpochEnd(context({ epoch: 0, logs: { loss: 1 } }));
    const before = readFileSync(path, 'utf8');
    // A hard link keeps the old inode: an in-place rewrite would change its content too.
    linkSync(path, join(dir, 'old.csv'));
    await logger.onEpochEnd(context({ epoch: 1, logs: { loss: 0.5 } }));
    assert.equal(readFileSync(join(dir, 'old.csv'), 'utf8'), before);
    assert.equal(readFileSync(path, 'utf8'), 'epoch,loss\n1,1\n2,0.5\n');
    assert.deepEqual(readdirSync(dir).sort(), ['metrics.csv', 'old.csv']);
  });
});
