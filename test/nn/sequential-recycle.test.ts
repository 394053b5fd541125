// nn.Sequential in a no-grad forward gives the storages of dead intermediates of built-in layers
// back to the storage pool (src/nn/layers/sequential-recycle.ts), and nothing a caller or a
// custom layer can still reach: the input, the output (also when it is a view of an
// intermediate), what a custom layer kept.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setStoragePool, takeStorage } from '../../src/backend/storage-pool.js';
import * as k from '../../src/index.js';

const before = setStoragePool(true);
after(() => setStoragePool(before));

/** A custom layer that keeps every input it sees (so its input must never be recycled). */
class Keep extends k.nn.Module<[k.Tensor], k.Tensor> {
  readonly kept: k.Tensor[] = [];
  forward(x: k.Tensor): k.Tensor {
    this.kept.push(x);
    return x;
  }
}

const snapshot = (t: k.Tensor) => Array.from(t.dataSync());

test('a dead intermediate goes back to the pool: the next taker gets its values', () => {
  k.manualSeed(2);
  const model = new k.nn.Sequential(
    new k.nn.Linear(24, 40),
    new k.nn.Tanh(),
    new k.nn.Linear(40, 5),
  );
  const x = k.randn([16, 24]);
  k.noGrad(() => model.forward(x));
  // The pool hands out its most recent storage of a length first: the forward's [16, 40].
  const taken = Array.from(takeStorage('float32', 16 * 40));
  const hidden = k.noGrad(() => model.at(1)!.forward(model.at(0)!.forward(x)) as k.Tensor);
  assert.deepEqual(taken, snapshot(hidden));
});

test('with grad recorded, nothing is given back during the forward', () => {
  k.manualSeed(3);
  const model = new k.nn.Sequential(
    new k.nn.Linear(24, 41),
    new k.nn.Tanh(),
    new k.nn.Linear(41, 5),
  );
  const x = k.randn([16, 24]);
  const y = model.forward(x);
  const fresh = takeStorage('float32', 16 * 41);
  assert.ok(
    fresh.every((v) => v === 0),
    'a fresh storage, not the live activation',
  );
  y.sum().backward();
});

test('input, output, a view of an intermediate and what a custom layer kept stay intact', () => {
  k.manualSeed(4);
  const keep = new Keep();
  const model = new k.nn.Sequential(
    new k.nn.Conv2d(2, 8, 3),
    new k.nn.ReLU(),
    new k.nn.MaxPool2d(2),
    keep,
    new k.nn.Conv2d(8, 8, 3),
    new k.nn.ReLU(),
    new k.nn.Flatten(),
  );
  model.eval();
  const xs = [k.randn([4, 2, 16, 16]), k.randn([4, 2, 16, 16]), k.randn([4, 2, 16, 16])];
  const inputs = xs.map(snapshot);
  const outs = xs.map((x) => k.noGrad(() => model.forward(x)));
  const values = outs.map(snapshot);
  const kept = keep.kept.map(snapshot);
  // Three more forwards reuse whatever was given back; nothing reachable may change.
  for (const x of xs) k.noGrad(() => model.forward(x));
  for (const [i, x] of xs.entries()) {
    assert.deepEqual(snapshot(x), inputs[i]);
    assert.deepEqual(snapshot(outs[i]!), values[i]);
    assert.deepEqual(snapshot(keep.kept[i]!), kept[i]);
  }
  // And the reused storages give the same answers as fresh ones.
  setStoragePool(false);
  try {
    for (const [i, x] of xs.entries())
      assert.deepEqual(snapshot(k.noGrad(() => model.forward(x))), values[i]);
  } finally {
    setStoragePool(true);
  }
});
