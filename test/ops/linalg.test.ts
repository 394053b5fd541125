// matmul with torch.matmul's rules (1-D, 2-D, batched broadcast), mm/bmm/dot, dtypes, layouts
// and error messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, layouts } from '../helpers/gradcheck.js';

const A = [
  [1, 2, 3],
  [4, 5, 6],
];
const B = [
  [7, 8],
  [9, 10],
  [11, 12],
];
/** Naive product of nested arrays. */
function naive(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, p) => s + v * b[p][j]!, 0)));
}

describe('matmul', () => {
  it('2-D @ 2-D', () => {
    assertClose(k.tensor(A).matmul(k.tensor(B)), [
      [58, 64],
      [139, 154],
    ]);
  });
  it('1-D operands: dot, row and column promotion with the added dim removed', () => {
    const v = k.tensor([1, 2, 3]);
    const d = v.matmul(v);
    assert.deepEqual([d.shape, d.item()], [[], 14]);
    assertClose(v.matmul(k.tensor(B)), [58, 64]);
    assertClose(k.tensor(A).matmul(v), [14, 32]);
    const batched = k.stack([k.tensor(B), k.tensor(B).mul(2)]);
    assertClose(v.matmul(batched), [
      [58, 64],
      [116, 128],
    ]);
    assertClose(k.stack([k.tensor(A), k.tensor(A)]).matmul(v), [
      [14, 32],
      [14, 32],
    ]);
  });
  it('batched with broadcast batch dims', () => {
    const a = k.randn([2, 1, 3, 4], { generator: new k.Generator(1), dtype: 'float64' });
    const b = k.randn([5, 4, 2], { generator: new k.Generator(2), dtype: 'float64' });
    const out = a.matmul(b);
    assert.deepEqual(out.shape, [2, 5, 3, 2]);
    const a1 = (a.toArray() as number[][][][])[1][0]!;
    const b3 = (b.toArray() as number[][][])[3]!;
    assertClose(out.select(0, 1).select(0, 3), naive(a1, b3), { atol: 1e-12 });
    assert.deepEqual(k.ones([3, 4]).matmul(k.ones([2, 4, 5])).shape, [2, 3, 5]);
  });
  it('same results on every layout of both operands (js and default backend)', () => {
    const la = layouts([3, 4], { requiresGrad: false, seed: 8 });
    const lb = layouts([4, 2], { requiresGrad: false, seed: 9 });
    for (const x of la) {
      for (const y of lb) {
        const expected = naive(x.tensor.toArray() as number[][], y.tensor.toArray() as number[][]);
        assertClose(x.tensor.matmul(y.tensor), expected, { atol: 1e-12 });
        const previous = k.getBackend();
        k.setBackend('js');
        try {
          assertClose(x.tensor.matmul(y.tensor), expected, { atol: 1e-12 });
        } finally {
          k.setBackend(previous);
        }
      }
    }
  });
  it('empty and size-1 dims', () => {
    assertClose(k.ones([2, 0]).matmul(k.ones([0, 3])), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    assert.deepEqual(k.ones([0, 3]).matmul(k.ones([3, 2])).shape, [0, 2]);
    assertClose(k.tensor([[2]]).matmul(k.tensor([[3, 4]])), [[6, 8]]);
  });
  it('dtypes: promotion, int32 products, float64 accuracy', () => {
    const i = k.tensor(A, { dtype: 'int32' });
    const ii = i.matmul(k.tensor(B, { dtype: 'int32' }));
    assert.deepEqual(
      [ii.dtype, ii.toArray()],
      [
        'int32',
        [
          [58, 64],
          [139, 154],
        ],
      ],
    );
    assert.equal(i.matmul(k.tensor(B)).dtype, 'float32');
    assert.equal(k.tensor(A).matmul(k.tensor(B, { dtype: 'float64' })).dtype, 'float64');
    assert.throws(() => k.tensor([true]).matmul(k.tensor([true])), k.DTypeError);
  });
  it('errors name both shapes', () => {
    assert.throws(() => k.ones([2, 3]).matmul(k.ones([4, 5])), {
      name: 'ShapeError',
      message: 'matmul: inner dimensions differ: a[2,3] @ b[4,5] (3 != 4)',
    });
    assert.throws(() => k.ones([3]).matmul(k.ones([4])), {
      name: 'ShapeError',
      message: 'matmul: inner dimensions differ: a[3] @ b[4] (3 != 4)',
    });
    assert.throws(() => k.ones([2, 2, 3]).matmul(k.ones([3, 3, 2])), {
      name: 'ShapeError',
      message: /matmul: shapes \[2\] and \[3\] cannot be broadcast/,
    });
    assert.throws(() => k.tensor(1).matmul(k.ones([1])), {
      name: 'ShapeError',
      message: 'matmul: both operands need at least 1 dim, got a[] @ b[1]',
    });
  });
});

describe('mm, bmm, dot', () => {
  it('compute and check their ranks', () => {
    assertClose(k.mm(k.tensor(A), k.tensor(B)), naive(A, B));
    const bb = k.bmm(k.stack([k.tensor(A), k.tensor(A)]), k.stack([k.tensor(B), k.tensor(B)]));
    assertClose(bb, [naive(A, B), naive(A, B)]);
    assertClose(k.dot(k.tensor([1, 2]), k.tensor([3, 4])), 11);
    assert.throws(() => k.mm(k.ones([2]), k.ones([2, 2])), {
      name: 'ShapeError',
      message: /^mm: expected 2-D/,
    });
    assert.throws(() => k.bmm(k.ones([2, 1, 1]), k.ones([3, 1, 1])), {
      name: 'ShapeError',
      message: 'bmm: expected 3-D operands with equal batch size, got a[2,1,1] and b[3,1,1]',
    });
    assert.throws(() => k.dot(k.ones([2]), k.ones([3])), {
      name: 'ShapeError',
      message: /^dot: expected 1-D operands of equal length/,
    });
  });
});
