// Joining and indexing: cat, stack, split/chunk (see views), gather, scatterAdd, indexSelect,
// indexAdd, oneHot, pad with positive and negative pads; dtypes and error messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';

const idx = (d: number[] | number[][]) => k.tensor(d, { dtype: 'int32' });
const x = () =>
  k.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('cat and stack', () => {
  it('cat along any dim, negative dims, promoted dtypes', () => {
    assertClose(k.cat([x(), k.tensor([[7, 8, 9]])]), [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    assertClose(k.cat([x(), k.tensor([[0], [-1]])], -1), [
      [1, 2, 3, 0],
      [4, 5, 6, -1],
    ]);
    const mixed = k.cat([k.tensor([1], { dtype: 'int32' }), k.tensor([0.5], { dtype: 'float64' })]);
    assert.deepEqual([mixed.dtype, mixed.toArray()], ['float64', [1, 0.5]]);
    assert.deepEqual(k.cat([k.zeros([0, 3]), x()]).shape, [2, 3]);
    assertClose(k.cat([x().T, x().T], 1), [
      [1, 4, 1, 4],
      [2, 5, 2, 5],
      [3, 6, 3, 6],
    ]);
  });
  it('stack adds a dim at any position', () => {
    const a = k.tensor([1, 2]);
    const b = k.tensor([3, 4]);
    assertClose(k.stack([a, b]), [
      [1, 2],
      [3, 4],
    ]);
    assertClose(k.stack([a, b], -1), [
      [1, 3],
      [2, 4],
    ]);
    assert.deepEqual(k.stack([k.tensor(1), k.tensor(2)]).toArray(), [1, 2]);
  });
  it('errors name the tensor and shapes', () => {
    assert.throws(() => k.cat([x(), k.ones([2, 2])], 0), {
      name: 'ShapeError',
      message: 'cat: tensor 1 has shape [2,2], expected [2,3] except at dim 0',
    });
    assert.throws(() => k.cat([]), { name: 'ValueError', message: /non-empty list/ });
    assert.throws(() => k.cat([k.tensor(1)]), { name: 'ShapeError', message: /zero-dimensional/ });
    assert.throws(() => k.stack([k.ones([2]), k.ones([3])]), {
      name: 'ShapeError',
      message: 'stack: tensor 1 has shape [3], expected [2]',
    });
    assert.throws(() => k.cat([x()], 2), k.ValueError);
  });
});

describe('gather and scatterAdd', () => {
  it('gather picks along a dim; the index may be smaller than the input', () => {
    assertClose(
      x().gather(
        1,
        idx([
          [2, 0],
          [1, 1],
        ]),
      ),
      [
        [3, 1],
        [5, 5],
      ],
    );
    assertClose(k.gather(x(), 0, idx([[1, 0, 1]])), [[4, 2, 6]]);
    assertClose(x().T.gather(0, idx([[1, 0]])), [[2, 4]]);
    assert.equal(
      x()
        .to('int32')
        .gather(0, idx([[0]])).dtype,
      'int32',
    );
  });
  it('scatterAdd accumulates repeated indices and leaves self untouched', () => {
    const self = k.zeros([2, 3]);
    const out = self.scatterAdd(
      1,
      idx([
        [0, 0, 2],
        [1, 1, 1],
      ]),
      x(),
    );
    assertClose(out, [
      [3, 0, 3],
      [0, 15, 0],
    ]);
    assertClose(self, [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    assertClose(k.ones([3]).scatterAdd(0, idx([2, 2]), k.tensor([5, 6, 7])), [1, 1, 12]);
  });
  it('errors: dtype, rank, range', () => {
    assert.throws(() => x().gather(1, k.tensor([[0]])), {
      name: 'DTypeError',
      message: 'gather: index must be an int32 tensor, got float32',
    });
    assert.throws(() => x().gather(1, idx([0])), {
      name: 'ShapeError',
      message: 'gather: index [1] does not fit input [2,3] at dim 1',
    });
    assert.throws(() => x().gather(1, idx([[3]])), {
      name: 'ValueError',
      message: 'gather: index 3 out of range for dim 1 of size 3 (at flat position 0)',
    });
    assert.throws(() => x().gather(1, idx([[-1]])), k.ValueError);
    assert.throws(() => k.zeros([2]).scatterAdd(0, idx([0, 1, 1]), k.ones([2])), k.ShapeError);
  });
});

describe('indexSelect and indexAdd', () => {
  it('indexSelect along dims with repeats; 0-d input', () => {
    assertClose(x().indexSelect(1, idx([2, 0, 2])), [
      [3, 1, 3],
      [6, 4, 6],
    ]);
    assertClose(k.indexSelect(x(), 0, idx([1])), [[4, 5, 6]]);
    assertClose(x().indexSelect(-1, idx([])), [[], []]);
    assert.deepEqual(k.tensor(5).indexSelect(0, idx([0])).shape, []);
    assert.throws(() => x().indexSelect(0, idx([[0]])), {
      name: 'ShapeError',
      message: /must be 1-D/,
    });
    assert.throws(() => x().indexSelect(0, idx([2])), {
      name: 'ValueError',
      message: /index 2 out of range for dim 0 of size 2/,
    });
  });
  it('indexAdd adds slices, accumulating repeats', () => {
    const out = k.zeros([3, 2]).indexAdd(
      0,
      idx([2, 0, 2]),
      k.tensor([
        [1, 1],
        [2, 2],
        [3, 3],
      ]),
    );
    assertClose(out, [
      [2, 2],
      [0, 0],
      [4, 4],
    ]);
    assertClose(x().indexAdd(1, idx([1]), k.tensor([[10], [20]])), [
      [1, 12, 3],
      [4, 25, 6],
    ]);
    assert.throws(() => k.zeros([3, 2]).indexAdd(0, idx([0]), k.ones([1, 5])), {
      name: 'ShapeError',
      message: 'indexAdd: src [1,5] must match self [3,2] except at dim 0',
    });
    assert.throws(() => k.zeros([3, 2]).indexAdd(0, idx([0, 1]), k.ones([1, 2])), k.ShapeError);
  });
});

describe('oneHot', () => {
  it('int32 [..., numClasses], inferred or given', () => {
    const o = k.oneHot(idx([0, 2, 1]));
    assert.deepEqual(
      [o.dtype, o.toArray()],
      [
        'int32',
        [
          [1, 0, 0],
          [0, 0, 1],
          [0, 1, 0],
        ],
      ],
    );
    assert.deepEqual(k.F.oneHot(idx([[1], [0]]), 3).shape, [2, 1, 3]);
    assert.throws(() => k.oneHot(idx([3]), 3), {
      name: 'ValueError',
      message: 'oneHot: class value 3 is out of range for numClasses 3 (expected 0..2)',
    });
    assert.throws(() => k.oneHot(idx([-1])), k.ValueError);
    assert.throws(() => k.oneHot(k.tensor([1])), k.DTypeError);
  });
});

describe('pad', () => {
  it('pads the last dims first, with a value', () => {
    assertClose(k.F.pad(k.tensor([1, 2]), [1, 2]), [0, 1, 2, 0, 0]);
    assertClose(k.pad(x(), [0, 1, 1, 0], -1), [
      [-1, -1, -1, -1],
      [1, 2, 3, -1],
      [4, 5, 6, -1],
    ]);
  });
  it('negative pads crop, mixed with positive ones', () => {
    assertClose(k.pad(x(), [-1, 1]), [
      [2, 3, 0],
      [5, 6, 0],
    ]);
    assertClose(k.pad(x(), [1, -2, -1, 0]), [[0, 4]]);
    assert.deepEqual(k.pad(x(), [-3, 0]).shape, [2, 0]);
  });
  it('errors', () => {
    assert.throws(() => k.pad(x(), [1]), {
      name: 'ValueError',
      message: /even number of integer pads/,
    });
    assert.throws(() => k.pad(x(), [1, 1, 1, 1, 1, 1]), k.ValueError);
    assert.throws(() => k.pad(x(), [-2, -2]), {
      name: 'ValueError',
      message: /cropping more than dim 1/,
    });
  });
});
