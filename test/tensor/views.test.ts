// Views share storage (no copies): reshape/view/transpose/permute/expand/narrow/slice/select/
// squeeze/unsqueeze/flatten/split/chunk; contiguous() copies only when needed; clone() always.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertSharesStorage } from '../helpers/gradcheck.js';

const x = () => k.arange(24).reshape([2, 3, 4]);

describe('views without copies', () => {
  it('reshape and view of contiguous data share storage; -1 is inferred', () => {
    const t = x();
    const r = t.reshape([4, -1]);
    assert.deepEqual(r.shape, [4, 6]);
    assertSharesStorage(r, t);
    const v = t.view([-1]);
    assertSharesStorage(v, t);
    assert.deepEqual(
      v.toArray(),
      Array.from({ length: 24 }, (_, i) => i),
    );
    assert.deepEqual(k.tensor(5).reshape([1, 1]).shape, [1, 1]);
    assert.deepEqual(k.zeros([0, 3]).reshape([3, 0]).shape, [3, 0]);
    assert.throws(() => k.zeros([0, 3]).reshape([3, 0, -1]), k.ShapeError, 'ambiguous -1');
  });
  it('reshape of a non-viewable layout copies; view refuses', () => {
    const t = x().transpose(0, 2);
    const r = t.reshape([24]);
    assert.notEqual(r.storage, t.storage);
    assert.deepEqual((r.toArray() as number[]).slice(0, 4), [0, 12, 4, 16]);
    assert.throws(() => t.view([24]), {
      name: 'ShapeError',
      message: /view: size \[24\] is not compatible with the strides of \[4,3,2\]; use reshape/,
    });
    // Splitting a transposed dim is still a view.
    const base = x();
    assertSharesStorage(base.transpose(1, 2).view([2, 2, 2, 3]), base);
    assert.throws(() => x().reshape([5, -1]), {
      name: 'ShapeError',
      message: 'reshape: cannot reshape [2,3,4] (24 elements) to [5,-1]',
    });
    assert.throws(() => x().reshape([-1, -1]), /only one dimension can be -1/);
  });
  it('transpose, permute, T', () => {
    const t = x();
    const tr = t.transpose(0, -1);
    assert.deepEqual(
      [tr.shape, tr.strides],
      [
        [4, 3, 2],
        [1, 4, 12],
      ],
    );
    assertSharesStorage(tr, t);
    const p = t.permute([1, 2, 0]);
    assert.deepEqual(p.shape, [3, 4, 2]);
    assert.deepEqual((p.toArray() as number[][][])[1]![2], [6, 18]);
    assertSharesStorage(p, t);
    assert.deepEqual(k.arange(6).reshape([2, 3]).T.toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.throws(() => t.permute([0, 1]), {
      name: 'ShapeError',
      message: /permute: expected 3 dims/,
    });
    assert.throws(() => t.permute([0, 0, 1]), { name: 'ValueError', message: /repeat a dim/ });
    assert.throws(() => t.transpose(0, 3), {
      name: 'ValueError',
      message: 'transpose: dim 3 out of range for a 3-d tensor (expected -3..2)',
    });
  });
  it('expand gives stride 0 and keeps -1 dims', () => {
    const c = k.tensor([[1], [2]]);
    const e = c.expand([3, -1, 4]);
    assert.deepEqual(
      [e.shape, e.strides],
      [
        [3, 2, 4],
        [0, 1, 0],
      ],
    );
    assertSharesStorage(e, c);
    assert.deepEqual((e.toArray() as number[][][])[2], [
      [1, 1, 1, 1],
      [2, 2, 2, 2],
    ]);
    assert.deepEqual(k.tensor(3).expand([2]).toArray(), [3, 3]);
    assert.deepEqual(c.expandAs(k.zeros([2, 2])).toArray(), [
      [1, 1],
      [2, 2],
    ]);
    assert.throws(() => c.expand([3, 3]), {
      name: 'ShapeError',
      message: 'expand: cannot expand [2,1] to [3,3] (dim 0: 2 vs 3)',
    });
    assert.throws(() => c.expand([2]), /fewer dims/);
  });
  it('narrow, slice with step and negative bounds, select', () => {
    const t = k.arange(10);
    const n = t.narrow(0, 2, 3);
    assert.deepEqual([n.toArray(), n.offset], [[2, 3, 4], 2]);
    assertSharesStorage(n, t);
    assert.deepEqual(t.narrow(0, -3, 2).toArray(), [7, 8]);
    const s = t.slice(0, 1, 8, 3);
    assert.deepEqual([s.toArray(), s.strides, s.offset], [[1, 4, 7], [3], 1]);
    assertSharesStorage(s, t);
    assert.deepEqual(t.slice(0, -3).toArray(), [7, 8, 9]);
    assert.deepEqual(t.slice(0, 2, -5).toArray(), [2, 3, 4]);
    assert.deepEqual(t.slice(0, 8, 2).shape, [0]);
    assert.deepEqual(t.slice(0, -100, 100, 4).toArray(), [0, 4, 8]);
    const m = x().slice(2, undefined, undefined, 2).slice(1, 1);
    assert.deepEqual(m.toArray(), [
      [
        [4, 6],
        [8, 10],
      ],
      [
        [16, 18],
        [20, 22],
      ],
    ]);
    const row = x().select(1, -1);
    assert.deepEqual(row.toArray(), [
      [8, 9, 10, 11],
      [20, 21, 22, 23],
    ]);
    assert.throws(() => t.narrow(0, 8, 3), {
      name: 'ValueError',
      message: /narrow: start 8 and length 3 exceed dim 0 of size 10/,
    });
    assert.throws(() => t.slice(0, 0, 5, 0), {
      name: 'ValueError',
      message: /step must be a positive integer/,
    });
    assert.throws(() => t.select(0, 10), k.ValueError);
  });
  it('squeeze, unsqueeze and flatten', () => {
    const t = k.zeros([1, 3, 1, 2]);
    assert.deepEqual(t.squeeze().shape, [3, 2]);
    assert.deepEqual(t.squeeze(2).shape, [1, 3, 2]);
    assert.deepEqual(t.squeeze(-1).shape, [1, 3, 1, 2], 'a non-1 dim is left alone');
    assert.deepEqual(t.squeeze([0, 2]).shape, [3, 2]);
    assertSharesStorage(t.squeeze(), t);
    assert.deepEqual(k.tensor(1).squeeze().shape, []);
    assert.deepEqual(t.unsqueeze(-1).shape, [1, 3, 1, 2, 1]);
    assert.deepEqual(k.tensor(1).unsqueeze(0).shape, [1]);
    assert.throws(() => t.unsqueeze(5), k.ValueError);
    assert.deepEqual(x().flatten().shape, [24]);
    assert.deepEqual(x().flatten(1).shape, [2, 12]);
    assert.deepEqual(x().flatten(0, 1).shape, [6, 4]);
    assert.deepEqual(x().flatten(-2, -1).shape, [2, 12]);
    assert.deepEqual(k.tensor(2).flatten().shape, [1]);
    const base = x();
    assertSharesStorage(base.flatten(1), base);
    assert.throws(() => x().flatten(2, 1), /startDim 2 comes after endDim 1/);
  });
  it('split and chunk return views', () => {
    const t = k.arange(7);
    const parts = t.split(3);
    assert.deepEqual(
      parts.map((p) => p.toArray()),
      [[0, 1, 2], [3, 4, 5], [6]],
    );
    for (const p of parts) assertSharesStorage(p, t);
    assert.deepEqual(
      k.split(t, [2, 5]).map((p) => p.shape[0]),
      [2, 5],
    );
    assert.deepEqual(
      t.chunk(3).map((p) => p.toArray()),
      [[0, 1, 2], [3, 4, 5], [6]],
    );
    assert.deepEqual(
      k.chunk(k.arange(6), 4).map((p) => p.shape[0]),
      [2, 2, 2],
    );
    assert.deepEqual(
      x()
        .chunk(2, -1)
        .map((p) => p.shape),
      [
        [2, 3, 2],
        [2, 3, 2],
      ],
    );
    assert.throws(() => t.split([2, 2]), {
      name: 'ValueError',
      message: /do not sum to dim 0 of size 7/,
    });
    assert.throws(() => t.chunk(0), k.ValueError);
  });
});

describe('copies', () => {
  it('contiguous() returns the same tensor when contiguous, else a copy', () => {
    const t = x();
    assert.equal(t.contiguous(), t);
    const tr = t.transpose(0, 1);
    const c = tr.contiguous();
    assert.notEqual(c.storage, t.storage);
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.toArray(), tr.toArray());
    const sliced = k.arange(5).slice(0, 1, 4);
    assert.equal(sliced.isContiguous(), true, 'an offset alone keeps it contiguous');
  });
  it('clone() always copies, and writes do not leak back', () => {
    const t = k.arange(4);
    const c = t.clone();
    assert.notEqual(c.storage, t.storage);
    c.fill_(9);
    assert.deepEqual(t.toArray(), [0, 1, 2, 3]);
  });
  it('writes through a view are visible in the base', () => {
    const t = k.zeros([2, 3]);
    t.slice(1, 1, undefined).fill_(5);
    t.T.select(0, 0).copy_(k.tensor([1, 2]));
    assert.deepEqual(t.toArray(), [
      [1, 5, 5],
      [2, 5, 5],
    ]);
  });
});
