// k.distributed's collectives and DDP's unused parameters in a real 2-process group.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { runGroup } from './group.js';

const skip = k.distributed.isAvailable()
  ? false
  : 'the distributed addon is not built (apt-get install libgloo-dev; npm rebuild)';

describe('k.distributed collectives, 2 processes', { skip }, () => {
  let ranks: Record<string, unknown>[] = [];
  before(async () => {
    const results = await runGroup('collectives-worker.ts', 2, () => [], { deadlineMs: 120_000 });
    for (const r of results) assert.equal(r.code, 0, r.err);
    ranks = results.map(
      (r) => JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown>,
    );
  });

  it('allReduce: sum, product, min, max, avg, int32, and a strided view, equal on every rank', () => {
    for (const r of ranks) {
      assert.deepEqual(r.sum, [3, -3, 20]);
      assert.deepEqual(r.product, [2, 2, 100]);
      assert.deepEqual(r.min, [1, -2, 10]);
      assert.deepEqual(r.max, [2, -1, 10]);
      assert.deepEqual(r.avg, [1.5, -1.5, 10]);
      assert.deepEqual(r.int32Max, [1, 7]);
      assert.deepEqual(r.strided, [
        [10, 12, 14],
        [16, 18, 20],
      ]);
    }
  });

  it("broadcast copies the source rank's tensor; allGather lists every rank's", () => {
    for (const r of ranks) {
      assert.deepEqual(r.broadcast, [101, 101, 101, 101]);
      assert.deepEqual(r.allGather, [
        [0, 0],
        [1, 1],
      ]);
    }
  });

  it('DDP: a parameter used on one rank is averaged with zero; one used nowhere keeps grad null', () => {
    const [r0, r1] = ranks as {
      shared: number[][];
      sometimes: number[][] | null;
      never: unknown;
    }[];
    // x = rank + 1 in every column: the shared weight's gradient is (1 + 2) / 2 on both ranks,
    // the branch only rank 0 ran gets (1 + 0) / 2.
    assert.deepEqual(r0!.shared, [
      [1.5, 1.5, 1.5],
      [1.5, 1.5, 1.5],
    ]);
    assert.deepEqual(r1!.shared, r0!.shared);
    assert.deepEqual(r0!.sometimes, [
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
    assert.deepEqual(r1!.sometimes, r0!.sometimes);
    assert.equal(r0!.never, null);
    assert.equal(r1!.never, null);
  });
});

describe('k.distributed without a process group', () => {
  it('is rank 0 of 1, and a collective says to call initProcessGroup', async () => {
    assert.equal(k.distributed.getRank(), 0);
    assert.equal(k.distributed.getWorldSize(), 1);
    assert.equal(k.distributed.isInitialized(), false);
    await assert.rejects(
      k.distributed.allReduce(k.ones([2])),
      /allReduce: the process group is not initialized/,
    );
  });
});
