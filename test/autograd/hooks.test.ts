// Post-accumulate-grad hooks: once per backward per leaf, after all its gradient arrived.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

describe('registerPostAccumulateGradHook', () => {
  it('runs once per backward, after every path into a shared leaf was accumulated', () => {
    const w = k.tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    w.registerPostAccumulateGradHook((p) => seen.push(p.grad!.toArray() as number[]));
    // w feeds the loss along three edges: w*3, w*w (two edges into one node).
    w.mul(3).add(w.mul(w)).sum().backward();
    assert.deepEqual(seen, [[5, 7]]);
    w.mul(3).sum().backward();
    assert.deepEqual(seen, [
      [5, 7],
      [8, 10],
    ]);
  });

  it('fires in reverse order of use: the last layer first, as DDP buckets assume', () => {
    const a = k.tensor([1], { requiresGrad: true });
    const b = k.tensor([2], { requiresGrad: true });
    const order: string[] = [];
    a.registerPostAccumulateGradHook(() => order.push('a'));
    b.registerPostAccumulateGradHook(() => order.push('b'));
    a.mul(2).exp().mul(b).sum().backward();
    assert.deepEqual(order, ['b', 'a']);
  });

  it('does not fire for a leaf that got no gradient in this pass, and stops after remove()', () => {
    const used = k.tensor([1], { requiresGrad: true });
    const unused = k.tensor([1], { requiresGrad: true });
    let calls = 0;
    unused.registerPostAccumulateGradHook(() => calls++);
    const h = used.registerPostAccumulateGradHook(() => calls++);
    // unused reaches the graph only through a branch whose gradient is never computed.
    const dead = unused.mul(2);
    used.mul(2).sum().backward();
    assert.equal(calls, 1);
    assert.equal(dead.requiresGrad, true);
    h.remove();
    used.mul(2).sum().backward();
    assert.equal(calls, 1);
  });

  it('rejects a non-leaf tensor', () => {
    const x = k.tensor([1], { requiresGrad: true }).mul(2);
    assert.throws(() => x.registerPostAccumulateGradHook(() => {}), /only leaf tensors/);
  });
});
