// The storage pool: recycled storages come back for the same dtype and length, and training with
// the pool on is bit-identical to training with it off, without touching a tensor the caller
// still holds (.grad tensors, the forward output, the batch).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { recycleStorage, setStoragePool, takeStorage } from '../../src/backend/storage-pool.js';
import * as k from '../../src/index.js';

const before = setStoragePool(true);
after(() => setStoragePool(before));

test('a given-back storage is handed out again for the same dtype and length only', () => {
  setStoragePool(true);
  const s = takeStorage('float32', 10000);
  recycleStorage(s);
  assert.notEqual(takeStorage('float64', 10000), s);
  assert.notEqual(takeStorage('float32', 10001), s);
  assert.equal(takeStorage('float32', 10000), s);
  // Twice given back is kept once, so it is never handed to two owners.
  recycleStorage(s);
  recycleStorage(s);
  assert.equal(takeStorage('float32', 10000), s);
  assert.notEqual(takeStorage('float32', 10000), s);
});

test('storages V8 keeps on its heap (64 bytes or less) are never pooled; larger ones are', () => {
  setStoragePool(true);
  const tiny = takeStorage('float32', 16);
  recycleStorage(tiny);
  assert.notEqual(takeStorage('float32', 16), tiny);
  const small = takeStorage('float32', 17);
  recycleStorage(small);
  assert.equal(takeStorage('float32', 17), small);
});

test('turned off, the pool recycles nothing', () => {
  setStoragePool(false);
  const s = takeStorage('float32', 10000);
  recycleStorage(s);
  assert.notEqual(takeStorage('float32', 10000), s);
  setStoragePool(true);
});

/** Three CNN training steps; returns parameters, .grad values and the held outputs per step. */
function train(pool: boolean): { params: number[][]; grads: number[][]; outs: number[][] } {
  setStoragePool(pool);
  k.manualSeed(3);
  const { nn } = k;
  const model = new nn.Sequential(
    new nn.Conv2d(2, 8, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 8, 3),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(8 * 4 * 4, 40), // weight gradient of 5,120 elements: pooled
  );
  const opt = new k.optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = k.randn([12, 2, 12, 12]);
  const y = k.randint(0, 40, [12]);
  const xBefore = Array.from(x.storage);
  const held: { out: k.Tensor; copy: number[] }[] = [];
  const grads: number[][] = [];
  for (let i = 0; i < 3; i++) {
    opt.zeroGrad();
    const out = model.forward(x);
    held.push({ out, copy: Array.from(out.detach().clone().storage) });
    k.F.crossEntropy(out, y).backward();
    const weight = model.parameters()[4]!;
    const grad = weight.grad!;
    const gradCopy = Array.from(grad.storage);
    // The next forward and backward must not write into this step's .grad (held here) or
    // outputs.
    for (const p of model.parameters()) p.grad = null;
    k.F.crossEntropy(model.forward(x.mul(0.5)), y).backward();
    k.noGrad(() => model.forward(x.mul(0.25)));
    assert.deepEqual(Array.from(grad.storage), gradCopy);
    opt.zeroGrad();
    k.F.crossEntropy(model.forward(x), y).backward();
    assert.deepEqual(Array.from(weight.grad!.storage), gradCopy);
    grads.push(gradCopy);
    opt.step();
  }
  for (const h of held) assert.deepEqual(Array.from(h.out.storage), h.copy);
  assert.deepEqual(Array.from(x.storage), xBefore);
  return {
    params: model.parameters().map((p) => Array.from(p.storage)),
    grads,
    outs: held.map((h) => h.copy),
  };
}

for (const name of ['js', 'native'] as const) {
  test(`CNN training with the pool equals training without it (${name})`, (t) => {
    const previous = k.getBackend();
    try {
      k.setBackend(name);
    } catch {
      t.skip(`backend ${name} unavailable`);
      return;
    }
    try {
      const off = train(false);
      const on = train(true);
      assert.deepEqual(on, off);
    } finally {
      k.setBackend(previous);
      setStoragePool(true);
    }
  });
}
