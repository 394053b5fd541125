// What backward and zeroGrad give back to the storage pool: a .grad nobody read out, and the
// activations inside nn.Sequential that only built-in layers saw. Nothing a caller can still
// reach may be recycled: a .grad read through `.grad`, the forward output, an activation a
// custom layer kept.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setStoragePool } from '../../src/backend/storage-pool.js';
import * as k from '../../src/index.js';

const before = setStoragePool(true);
after(() => setStoragePool(before));

function mlp(): k.nn.Sequential {
  k.manualSeed(1);
  return new k.nn.Sequential(new k.nn.Linear(24, 40), new k.nn.ReLU(), new k.nn.Linear(40, 5));
}

const x = k.randn([16, 24]);
const y = k.randint(0, 5, [16]);
const lossOf = (m: k.nn.Module<[k.Tensor], k.Tensor>, input = x) =>
  k.F.crossEntropy(m.forward(input), y);

test('zeroGrad recycles a gradient nobody read: the next backward fills the same storage', () => {
  setStoragePool(true);
  const model = mlp();
  const opt = new k.optim.SGD(model.parameters(), { lr: 0.1 });
  const weight = model.parameters()[0]!;
  lossOf(model).backward();
  opt.step();
  const first = (weight as unknown as { peekGrad(): k.Tensor }).peekGrad().storage;
  opt.zeroGrad();
  assert.equal(weight.grad, null);
  lossOf(model).backward();
  assert.equal(weight.grad!.storage, first);
});

test('a gradient read through .grad is never recycled: it keeps its values', () => {
  setStoragePool(true);
  const model = mlp();
  const opt = new k.optim.SGD(model.parameters(), { lr: 0.1 });
  const weight = model.parameters()[0]!;
  lossOf(model).backward();
  const held = weight.grad!;
  const copy = Array.from(held.storage);
  for (let i = 0; i < 3; i++) {
    opt.step();
    opt.zeroGrad();
    lossOf(model).backward();
    assert.notEqual(weight.grad!.storage, held.storage);
  }
  model.zeroGrad();
  lossOf(model, x.mul(2)).backward();
  assert.deepEqual(Array.from(held.storage), copy);
});

/** A layer that keeps its input and output, as a user's layer may. */
class Keeper extends k.nn.Module<[k.Tensor], k.Tensor> {
  kept: k.Tensor[] = [];
  forward(t: k.Tensor): k.Tensor {
    const out = t.tanh();
    this.kept.push(t, out);
    return out;
  }
}

test('activations a custom layer saw survive the next steps; the output is never recycled', () => {
  setStoragePool(true);
  k.manualSeed(2);
  const keeper = new Keeper();
  const model = new k.nn.Sequential(
    new k.nn.Linear(24, 40),
    keeper,
    new k.nn.Flatten(),
    new k.nn.Linear(40, 40),
    new k.nn.ReLU(),
    new k.nn.Linear(40, 5),
  );
  const opt = new k.optim.Adam(model.parameters(), { lr: 0.01 });
  const held: [k.Tensor, number[]][] = [];
  for (let i = 0; i < 4; i++) {
    opt.zeroGrad();
    const out = model.forward(x.mul(1 + i));
    k.F.crossEntropy(out, y).backward();
    opt.step();
    held.push([out, Array.from(out.storage)]);
    for (const t of keeper.kept.slice(-2)) held.push([t, Array.from(t.storage)]);
  }
  for (const [t, copy] of held) assert.deepEqual(Array.from(t.storage), copy);
});

test('Sequential training with recycling equals training with the pool off', () => {
  const run = (pool: boolean): number[][] => {
    setStoragePool(pool);
    const model = mlp();
    const opt = new k.optim.Adam(model.parameters(), { lr: 0.01 });
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      lossOf(model, x.add(i)).backward();
      opt.step();
    }
    return model.parameters().map((p) => Array.from(p.storage));
  };
  const off = run(false);
  assert.deepEqual(run(true), off);
  setStoragePool(true);
});

test('retainGraph keeps recycled-looking activations alive for a second backward', () => {
  setStoragePool(true);
  const model = mlp();
  const loss = lossOf(model);
  loss.backward(undefined, { retainGraph: true });
  const once = model.parameters().map((p) => Array.from(p.grad!.storage));
  model.zeroGrad();
  lossOf(model, x.mul(3)).backward();
  model.zeroGrad();
  loss.backward();
  assert.deepEqual(
    model.parameters().map((p) => Array.from(p.grad!.storage)),
    once,
  );
});

test('backward gives the activations inside Sequential back: the next step reuses them', () => {
  setStoragePool(true);
  const model = mlp();
  const opt = new k.optim.SGD(model.parameters(), { lr: 0.1 });
  // loss <- second Linear <- ReLU, which saved the first Linear's output and its own.
  const activations = (loss: k.Tensor) => {
    const linear = loss.gradFn!.next[0] as NonNullable<k.Tensor['gradFn']>;
    const relu = linear.next[0] as NonNullable<k.Tensor['gradFn']>;
    return relu.saved.map((t) => t.storage);
  };
  const first = lossOf(model);
  const before = activations(first);
  assert.equal(before.length, 2);
  first.backward();
  opt.step();
  opt.zeroGrad();
  const second = lossOf(model);
  assert.deepEqual(new Set(activations(second)), new Set(before));
  second.backward();
});
