// The Trainer against hand-written loops and hand-computed cases: bit-exact SGD parity, gradient
// accumulation, clipping, seeding, evaluate/predict modes, validation logs, scheduler stepping,
// trainStep overrides, async callback ordering, stopping, and input checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGradEnabled } from '../../src/autograd/grad-mode.js';
import * as k from '../../src/index.js';
import { type Batch, type Callback, History, Trainer } from '../../src/train/index.js';

const { nn, optim, F } = k;

/** 12 samples of 4 features, 3 classes; deterministic values. */
function classificationData(n = 12): { x: k.Tensor; y: k.Tensor } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) xs.push(Math.sin(i * 1.3 + j * 0.7) + (j === i % 3 ? 1 : 0));
    ys.push(i % 3);
  }
  return { x: k.tensor(xs, { shape: [n, 4] }), y: k.tensor(ys, { dtype: 'int32' }) };
}

function mlp(seed: number, dropout = 0): k.nn.Sequential {
  k.manualSeed(seed);
  const layers: k.nn.Module[] = [new nn.Linear(4, 5), new nn.ReLU()];
  if (dropout > 0) layers.push(new nn.Dropout(dropout));
  layers.push(new nn.Linear(5, 3));
  return new nn.Sequential(...layers);
}

function loaderOf(x: k.Tensor, y: k.Tensor, batchSize: number, shuffle = false, seed?: number) {
  return new k.data.DataLoader(new k.data.TensorDataset(x, y), {
    batchSize,
    shuffle,
    ...(seed !== undefined ? { seed } : {}),
  });
}

/** Every parameter's values, flattened, keyed by state-dict name. */
function weights(model: k.nn.Module): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(model.stateDict()).map(([name, t]) => [name, Array.from(t.dataSync())]),
  );
}

function assertWeightsClose(a: k.nn.Module, b: k.nn.Module, atol: number): void {
  const wa = weights(a);
  const wb = weights(b);
  assert.deepEqual(Object.keys(wa), Object.keys(wb));
  for (const [name, values] of Object.entries(wa)) {
    values.forEach((v, i) => {
      const d = Math.abs(v - wb[name][i]!);
      assert.ok(d <= atol, `${name}[${i}]: ${v} vs ${wb[name]![i]} (|diff| ${d} > ${atol})`);
    });
  }
}

describe('Trainer.fit', () => {
  it('with SGD equals a hand-written loop bit for bit on the same seed', async () => {
    const { x, y } = classificationData();
    const model = mlp(7);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
      loss: F.crossEntropy,
    });
    const history = await trainer.fit(loaderOf(x, y, 5, true, 3), { epochs: 3 });

    const ref = mlp(7);
    const opt = new optim.SGD(ref.parameters(), { lr: 0.1, momentum: 0.9 });
    const loader = loaderOf(x, y, 5, true, 3);
    const losses: number[] = [];
    let steps = 0;
    for (let epoch = 0; epoch < 3; epoch++) {
      let sum = 0;
      let n = 0;
      for await (const [xb, yb] of loader) {
        const loss = F.crossEntropy(ref.forward(xb) as k.Tensor, yb);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        steps++;
        sum += loss.item() * xb.shape[0]!;
        n += xb.shape[0]!;
      }
      losses.push(sum / n);
    }
    assert.deepEqual(weights(model), weights(ref));
    assert.deepEqual(history.history.loss, losses);
    assert.deepEqual(history.history.lr, [0.1, 0.1, 0.1]);
    assert.equal(trainer.globalStep, steps);
    assert.equal(steps, 9); // 12 samples in batches of 5: 3 batches per epoch
    assert.deepEqual(history.epochIndices, [0, 1, 2]);
  });

  it('accumulateGradSteps: 2 over two half batches equals one full batch', async () => {
    const { x, y } = classificationData(8);
    const a = mlp(1);
    const b = mlp(1);
    const ta = new Trainer({
      model: a,
      optimizer: new optim.SGD(a.parameters(), { lr: 0.5 }),
      loss: F.crossEntropy,
      accumulateGradSteps: 2,
    });
    const tb = new Trainer({
      model: b,
      optimizer: new optim.SGD(b.parameters(), { lr: 0.5 }),
      loss: F.crossEntropy,
    });
    await ta.fit(loaderOf(x, y, 4), { epochs: 2 });
    await tb.fit(loaderOf(x, y, 8), { epochs: 2 });
    assert.equal(ta.globalStep, 2);
    assert.equal(tb.globalStep, 2);
    assertWeightsClose(a, b, 1e-6);
    // The weights did move, so the comparison above is not vacuous.
    const fresh = mlp(1);
    assert.notDeepEqual(weights(a), weights(fresh));
  });

  it('accumulateGradSteps steps on the trailing partial group at the end of an epoch', async () => {
    const { x, y } = classificationData(12);
    const model = mlp(2);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      accumulateGradSteps: 2,
    });
    const steps: number[] = [];
    trainer.callbacks.push({ onBatchEnd: (ctx) => void steps.push(ctx.step) });
    // 3 batches of 4: steps after batch 2 and (trailing) batch 3.
    await trainer.fit(loaderOf(x, y, 4), { epochs: 1 });
    assert.deepEqual(steps, [0, 1, 2]);
    // A generator without a length: the trailing group is stepped after the loop.
    function* batches(): Generator<Batch> {
      yield [x.narrow(0, 0, 4), y.narrow(0, 0, 4)];
      yield [x.narrow(0, 4, 4), y.narrow(0, 4, 4)];
      yield [x.narrow(0, 8, 4), y.narrow(0, 8, 4)];
    }
    await trainer.fit({ [Symbol.iterator]: batches }, { epochs: 1 });
    assert.equal(trainer.globalStep, 4);
  });

  it('gradClipNorm clips the global gradient norm before the step', async () => {
    const run = async (clip?: number) => {
      const model = new nn.Linear(2, 1, { bias: false });
      nn.init.constant(model.weight, 0);
      const trainer = new Trainer({
        model,
        optimizer: new optim.SGD(model.parameters(), { lr: 1 }),
        loss: F.mseLoss,
        ...(clip !== undefined ? { gradClipNorm: clip } : {}),
      });
      // loss = (w.x - 10)^2 with x = [3, 4]: grad = 2 (0 - 10) x = [-60, -80], norm 100.
      await trainer.fit([[k.tensor([[3, 4]]), k.tensor([[10]])]], { epochs: 1 });
      return Array.from(model.weight.dataSync());
    };
    const unclipped = await run();
    assert.deepEqual(unclipped, [60, 80]);
    const clipped = await run(0.5);
    // clipGradNorm scales by maxNorm / (norm + 1e-6): the step has norm 0.5.
    assert.ok(Math.abs(clipped[0]! - 0.3) < 1e-6, `${clipped}`);
    assert.ok(Math.abs(clipped[1]! - 0.4) < 1e-6, `${clipped}`);
    // Below the limit nothing changes.
    assert.deepEqual(await run(1000), [60, 80]);
  });

  it('the same seed gives an identical History (dropout and shuffling included)', async () => {
    const { x, y } = classificationData();
    const go = async (seed: number) => {
      const model = mlp(0, 0.3);
      const trainer = new Trainer({
        model,
        optimizer: new optim.Adam(model.parameters(), { lr: 0.01 }),
        loss: F.crossEntropy,
        metrics: ['accuracy'],
        seed,
      });
      // No loader seed: shuffling draws from the default generator, which `seed` resets.
      const history = await trainer.fit(loaderOf(x, y, 4, true), { epochs: 3 });
      return { history: history.epochs, w: weights(model) };
    };
    const first = await go(42);
    k.manualSeed(999); // the global state before fit must not matter
    const second = await go(42);
    assert.deepEqual(second, first);
    const other = await go(43);
    assert.notDeepEqual(other.history, first.history);
  });

  it('logs the mean loss over samples, metrics, lr and val_* values from validation', async () => {
    const { x, y } = classificationData();
    const model = mlp(3);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.05 }),
      loss: F.crossEntropy,
      metrics: ['accuracy'],
    });
    const val = loaderOf(x.narrow(0, 0, 6), y.narrow(0, 0, 6), 4);
    const history = await trainer.fit(loaderOf(x, y, 5), { epochs: 2, validation: val });
    assert.deepEqual(Object.keys(history.last).sort(), [
      'accuracy',
      'loss',
      'lr',
      'val_accuracy',
      'val_loss',
    ]);
    // The model does not change after the last validation pass.
    const again = await trainer.evaluate(val);
    assert.equal(history.last.val_loss, again.loss);
    assert.equal(history.last.val_accuracy, again.accuracy);
    assert.equal(history.history.val_loss!.length, 2);
    assert.ok(history instanceof History, 'history instanceof History');
  });

  it('stopTraining set in onBatchEnd ends fit after the current batch', async () => {
    const { x, y } = classificationData();
    const model = mlp(4);
    const seen: string[] = [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.05 }),
      loss: F.crossEntropy,
      callbacks: [
        {
          onBatchEnd: (ctx) => {
            seen.push(`${ctx.epoch}.${ctx.batch}`);
            if (ctx.epoch === 1 && ctx.batch === 1) ctx.stopTraining = true;
          },
        },
      ],
    });
    const history = await trainer.fit(loaderOf(x, y, 3), { epochs: 5 });
    assert.deepEqual(seen, ['0.0', '0.1', '0.2', '0.3', '1.0', '1.1']);
    assert.equal(history.epochs.length, 2);
    assert.equal(trainer.globalStep, 6);
  });

  it('initialEpoch and initialStep continue the epoch and step counts', async () => {
    const { x, y } = classificationData();
    const model = mlp(4);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.05 }),
      loss: F.crossEntropy,
    });
    const epochs: number[] = [];
    trainer.callbacks.push({ onEpochBegin: (ctx) => void epochs.push(ctx.epoch) });
    const history = await trainer.fit(loaderOf(x, y, 6), {
      epochs: 4,
      initialEpoch: 2,
      initialStep: 10,
    });
    assert.deepEqual(epochs, [2, 3]);
    assert.deepEqual(history.epochIndices, [2, 3]);
    assert.equal(trainer.globalStep, 14);
  });

  it('rejects bad options and non-scalar losses with clear errors', async () => {
    const model = mlp(0);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    assert.throws(
      () => new Trainer({ model, optimizer, loss: F.crossEntropy, accumulateGradSteps: 0 }),
      (e: Error) => e instanceof k.ConfigError && /accumulateGradSteps.*got 0/.test(e.message),
    );
    assert.throws(
      () => new Trainer({ model, optimizer, loss: F.crossEntropy, gradClipNorm: -1 }),
      (e: Error) => e instanceof k.ConfigError && /gradClipNorm/.test(e.message),
    );
    const trainer = new Trainer({
      model,
      optimizer,
      loss: (o, t) => F.crossEntropy(o, t, { reduction: 'none' }),
    });
    const { x, y } = classificationData(4);
    await assert.rejects(
      trainer.fit([[x, y]], { epochs: 1 }),
      (e: Error) =>
        e instanceof k.ValueError && /loss must be a scalar, got shape \[4\]/.test(e.message),
    );
    await assert.rejects(trainer.fit([[x, y]], { epochs: -1 }), /epochs must be a non-negative/);
    await assert.rejects(
      trainer.fit([[x] as unknown as Batch], { epochs: 1 }),
      /a batch must be \[input, target\]/,
    );
  });
});

/** A module that records the training flag and grad mode of each forward call. */
class Probe extends nn.Module {
  readonly lin = new nn.Linear(4, 3);
  calls: { training: boolean; grad: boolean }[] = [];
  forward(x: k.Tensor): k.Tensor {
    this.calls.push({ training: this.training, grad: isGradEnabled() });
    return this.lin.forward(x);
  }
}

describe('Trainer.evaluate and Trainer.predict', () => {
  it('run in eval mode without grad and restore the previous mode', async () => {
    const model = new Probe();
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      metrics: ['accuracy'],
    });
    const { x, y } = classificationData(6);
    for (const startTraining of [true, false]) {
      model.train(startTraining);
      model.calls = [];
      const logs = await trainer.evaluate(loaderOf(x, y, 4));
      assert.deepEqual(Object.keys(logs), ['loss', 'accuracy']);
      const expectedLoss = k.noGrad(() => F.crossEntropy(model.lin.forward(x), y).item());
      assert.ok(
        Math.abs(logs.loss! - expectedLoss) < 1e-6,
        'Math.abs(logs.loss! - expectedLoss) < 1e-6',
      );
      const out1 = await trainer.predict(x);
      const out2 = await trainer.predict(loaderOf(x, y, 4));
      const out3 = await trainer.predict([x.narrow(0, 0, 2), x.narrow(0, 2, 4)] as never);
      assert.deepEqual(out1.shape, [6, 3]);
      assert.deepEqual(Array.from(out2.dataSync()), Array.from(out1.dataSync()));
      assert.deepEqual(Array.from(out3.dataSync()), Array.from(out1.dataSync()));
      assert.equal(out1.requiresGrad, false);
      assert.ok(model.calls.length >= 6, 'model.calls.length >= 6');
      for (const c of model.calls) assert.deepEqual(c, { training: false, grad: false });
      assert.equal(model.training, startTraining);
      assert.equal(model.lin.training, startTraining);
    }
    await assert.rejects(trainer.predict([]), /yielded no batches/);
    assert.equal(model.training, false);
  });

  it('restores the mode when the loss throws', async () => {
    const model = new Probe();
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: () => {
        throw new Error('boom');
      },
    });
    const { x, y } = classificationData(4);
    await assert.rejects(trainer.evaluate([[x, y]]), /boom/);
    assert.equal(model.training, true);
    assert.equal(isGradEnabled(), true);
  });
});

describe('Trainer scheduling', () => {
  const lrsSeen = async (interval: 'epoch' | 'batch') => {
    const { x, y } = classificationData();
    const model = mlp(5);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
    const lrs: number[] = [];
    const trainer = new Trainer({
      model,
      optimizer,
      loss: F.crossEntropy,
      scheduler,
      schedulerInterval: interval,
      callbacks: [{ onBatchBegin: (ctx) => void lrs.push(ctx.optimizer.paramGroups[0]!.lr) }],
    });
    const history = await trainer.fit(loaderOf(x, y, 4), { epochs: 2 }); // 3 batches per epoch
    return { lrs, logged: history.history.lr, final: optimizer.paramGroups[0]!.lr };
  };

  it('steps the scheduler once per epoch by default', async () => {
    const r = await lrsSeen('epoch');
    assert.deepEqual(r.lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
    assert.deepEqual(r.logged, [0.1, 0.05]); // the lr the epoch trained with
    assert.equal(r.final, 0.025);
  });

  it('steps the scheduler after every optimizer step with schedulerInterval: batch', async () => {
    const r = await lrsSeen('batch');
    assert.deepEqual(r.lrs, [0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125]);
    assert.equal(r.final, 0.0015625);
  });

  it('feeds a ReduceLROnPlateau scheduler the monitored value', async () => {
    const model = new nn.Linear(1, 1);
    const optimizer = new optim.SGD(model.parameters(), { lr: 1 });
    const scheduler = new optim.lrScheduler.ReduceLROnPlateau(optimizer, {
      factor: 0.5,
      patience: 0,
    });
    // lr 0 in the model's own optimizer would stall; the loss is constant: a plateau.
    const trainer = new Trainer({
      model,
      optimizer,
      loss: (o) => o.mul(0).sum().add(1),
      scheduler,
      schedulerMonitor: 'loss',
    });
    const history = await trainer.fit([[k.tensor([[1]]), k.tensor([[0]])]], { epochs: 4 });
    // epoch 0 sets best = 1; each later epoch is a bad one, patience 0 halves the lr.
    assert.deepEqual(history.history.lr, [1, 1, 0.5, 0.25]);
    assert.equal(optimizer.paramGroups[0]!.lr, 0.125);
  });
});

describe('Trainer extension points and callbacks', () => {
  it('uses an overridden trainStep (extra batch entries, custom loss)', async () => {
    class Weighted extends Trainer {
      calls = 0;
      override trainStep(batch: Batch) {
        const [x, y, w] = batch as [k.Tensor, k.Tensor, k.Tensor];
        this.calls++;
        const output = this.model.forward(x) as k.Tensor;
        const perSample = F.crossEntropy(output, y, { reduction: 'none' });
        return { loss: perSample.mul(w).sum().div(w.sum()), output, target: y };
      }
    }
    const { x, y } = classificationData(6);
    const w = k.tensor([1, 0, 2, 0, 1, 1]);
    const model = mlp(6);
    const trainer = new Weighted({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0 }),
      loss: () => {
        throw new Error('the default loss must not be used');
      },
      metrics: ['accuracy'],
    });
    const history = await trainer.fit([[x, y, w]], { epochs: 2 });
    assert.equal(trainer.calls, 2);
    const expected = k.noGrad(() =>
      F.crossEntropy(model.forward(x) as k.Tensor, y, { reduction: 'none' })
        .mul(w)
        .sum()
        .div(w.sum())
        .item(),
    );
    assert.ok(
      Math.abs(history.last.loss! - expected) < 1e-6,
      'Math.abs(history.last.loss! - expected) < 1e-6',
    );
    assert.equal(typeof history.last.accuracy, 'number');
  });

  it('awaits async hooks one callback at a time, in order', async () => {
    const events: string[] = [];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const make = (name: string, delay: number): Callback => {
      const hook = (hookName: string) => async () => {
        events.push(`${name}:${hookName}:start`);
        await sleep(delay);
        events.push(`${name}:${hookName}:end`);
      };
      return {
        onTrainBegin: hook('trainBegin'),
        onEpochBegin: hook('epochBegin'),
        onBatchBegin: hook('batchBegin'),
        onBatchEnd: hook('batchEnd'),
        onEpochEnd: hook('epochEnd'),
        onTrainEnd: hook('trainEnd'),
      };
    };
    const sync: Callback = { onBatchEnd: () => void events.push('sync:batchEnd') };
    const model = mlp(0);
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
      loss: F.crossEntropy,
      callbacks: [make('a', 5), make('b', 0), sync],
    });
    const { x, y } = classificationData(4);
    await trainer.fit(loaderOf(x, y, 2), { epochs: 1 });
    const pair = (hook: string) => [
      `a:${hook}:start`,
      `a:${hook}:end`,
      `b:${hook}:start`,
      `b:${hook}:end`,
    ];
    assert.deepEqual(events, [
      ...pair('trainBegin'),
      ...pair('epochBegin'),
      ...pair('batchBegin'),
      ...pair('batchEnd'),
      'sync:batchEnd',
      ...pair('batchBegin'),
      ...pair('batchEnd'),
      'sync:batchEnd',
      ...pair('epochEnd'),
      ...pair('trainEnd'),
    ]);
  });

  it('gives batch hooks the running loss, the batch tensors and the sample count', async () => {
    const { x, y } = classificationData(5);
    const model = mlp(0);
    const seen: { batch: number; samples: number; loss: number; batchLoss: number; n: number }[] =
      [];
    const trainer = new Trainer({
      model,
      optimizer: new optim.SGD(model.parameters(), { lr: 0 }),
      loss: F.crossEntropy,
      callbacks: [
        {
          onBatchEnd: (ctx) =>
            void seen.push({
              batch: ctx.batch,
              samples: ctx.samples,
              loss: ctx.logs.loss!,
              batchLoss: ctx.logs.batchLoss!,
              n: ctx.input?.shape[0] ?? -1,
            }),
        },
      ],
    });
    const history = await trainer.fit(loaderOf(x, y, 3), { epochs: 1 });
    assert.deepEqual(
      seen.map((s) => [s.batch, s.samples, s.n]),
      [
        [0, 3, 3],
        [1, 5, 2],
      ],
    );
    const l0 = seen[0]!.batchLoss;
    const l1 = seen[1]!.batchLoss;
    assert.equal(seen[0]!.loss, l0);
    assert.equal(seen[1]!.loss, (l0 * 3 + l1 * 2) / 5);
    assert.equal(history.last.loss, (l0 * 3 + l1 * 2) / 5);
  });
});
