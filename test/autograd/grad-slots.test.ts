import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

/** Gradients are adopted without copies where safe; these pin the cases where they must not be. */
describe('gradient slots', () => {
  it('gives each leaf its own storage when one rule returns the same gradient twice', () => {
    const a = k.ones([3], { requiresGrad: true });
    const b = k.ones([3], { requiresGrad: true });
    a.add(b).sum().backward();
    assert.notEqual(a.grad!.storage, b.grad!.storage);
    a.grad!.mul_(10);
    assert.deepEqual(b.grad!.toArray(), [1, 1, 1]);
  });

  it('accumulates a second contribution without corrupting a gradient still to be read', () => {
    const a = k.tensor([1, 2, 3], { requiresGrad: true });
    const b = k.tensor([4, 5, 6], { requiresGrad: true });
    // a gets the add's gradient (adopted) and then the mul's; the mul's rule still reads it.
    const u = a.add(b);
    u.mul(u).sum().add(a.sum()).backward();
    assert.deepEqual(a.grad!.toArray(), [11, 15, 19]);
    assert.deepEqual(b.grad!.toArray(), [10, 14, 18]);
  });

  it('never adopts a gradient passed by the caller', () => {
    const a = k.ones([2], { requiresGrad: true });
    const seed = k.tensor([1, 2]);
    a.clone().backward(seed);
    a.clone().backward(seed);
    assert.deepEqual(seed.toArray(), [1, 2]);
    assert.deepEqual(a.grad!.toArray(), [2, 4]);
    assert.notEqual(a.grad!.storage, seed.storage);
  });

  it('keeps retained and leaf gradients apart', () => {
    const a = k.ones([2], { requiresGrad: true });
    const h = a.clone().retainGrad();
    h.sum().backward();
    assert.notEqual(h.grad!.storage, a.grad!.storage);
    h.grad!.fill_(5);
    assert.deepEqual(a.grad!.toArray(), [1, 1]);
  });
});
