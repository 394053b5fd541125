import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

/**
 * The graph is reachable only from outputs and backward frees saved tensors, so a training loop
 * must not grow the heap. Runs a small MLP step repeatedly and checks that the heap after many
 * steps is no larger than after the warm-up, within a margin for GC timing.
 */
describe('memory over a long training loop', () => {
  it('keeps the heap flat over 1800 forward/backward/update steps', () => {
    k.manualSeed(0);
    const x = k.randn([32, 64]);
    const target = k.oneHot(k.randint(0, 10, [32]), 10).to('float32');
    const w1 = k.randn([64, 64]).mul(0.1).requiresGrad_();
    const w2 = k.randn([64, 10]).mul(0.1).requiresGrad_();
    const b2 = k.zeros([10], { requiresGrad: true });
    const params = [w1, w2, b2];
    const step = (): number => {
      const logits = x.matmul(w1).relu().matmul(w2).add(b2);
      const loss = logits.logSoftmax(1).mul(target).sum(1).mean().neg();
      for (const p of params) p.grad = null;
      loss.backward();
      k.noGrad(() => {
        for (const p of params) p.sub_(p.grad!.mul(0.05));
      });
      return loss.item();
    };
    const heapAfter = (steps: number): number => {
      for (let i = 0; i < steps; i++) step();
      assert.ok(globalThis.gc, 'run with --expose-gc (scripts/run-tests.mjs does)');
      globalThis.gc();
      return process.memoryUsage().heapUsed / 1048576;
    };
    const warm = heapAfter(300);
    const later = heapAfter(1500);
    const loss = step();
    assert.ok(Number.isFinite(loss) && loss < 2.3, `training should make progress, loss ${loss}`);
    assert.ok(later - warm < 2, `heap grew from ${warm.toFixed(1)} MiB to ${later.toFixed(1)} MiB`);
  });
});
