// Reductions over one, several and negative dims with keepDim; arg-reductions; var/std with
// correction; logsumexp, softmax and logSoftmax stability; empty and 0-d inputs; errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, layouts } from '../helpers/gradcheck.js';

// x[i][j][l] = 12 i + 4 j + l
const x = () => k.arange(24, undefined, 1, { dtype: 'float64' }).reshape([2, 3, 4]);
const m = () =>
  k.tensor([
    [3, -1, 4],
    [1, 5, -9],
  ]);

describe('sum and mean', () => {
  it('over all, one, several and negative dims, with keepDim', () => {
    assertClose(x().sum(), 276);
    assert.deepEqual(x().sum().shape, []);
    assertClose(x().sum(0), [
      [12, 14, 16, 18],
      [20, 22, 24, 26],
      [28, 30, 32, 34],
    ]);
    assertClose(x().sum(-1), [
      [6, 22, 38],
      [54, 70, 86],
    ]);
    assertClose(x().sum([0, 2]), [60, 92, 124]);
    assertClose(x().sum([-1, 0], true), [[[60], [92], [124]]]);
    assert.deepEqual(x().sum(1, true).shape, [2, 1, 4]);
    assert.deepEqual(x().sum(null, true).shape, [1, 1, 1]);
    assertClose(x().mean(), 11.5);
    assertClose(x().mean(1), [
      [4, 5, 6, 7],
      [16, 17, 18, 19],
    ]);
    assertClose(x().mean([0, 1], true), [[[10, 11, 12, 13]]]);
  });
  it('dtypes: int sums stay int32, bool sums count, int means are float32', () => {
    const i = k.tensor([1, 2, 3], { dtype: 'int32' });
    assert.deepEqual([i.sum().dtype, i.sum().item()], ['int32', 6]);
    const b = k.tensor([true, false, true]);
    assert.deepEqual([b.sum().dtype, b.sum().item()], ['int32', 2]);
    assert.deepEqual([i.mean().dtype, i.mean().item()], ['float32', 2]);
    assert.equal(x().sum().dtype, 'float64');
  });
  it('empty dims: sum is 0, mean is NaN; 0-d inputs reduce to themselves', () => {
    assertClose(k.zeros([0, 3]).sum(0), [0, 0, 0]);
    assertClose(k.zeros([0]).sum(), 0);
    assertClose(k.zeros([2, 0]).mean(1), [Number.NaN, Number.NaN]);
    assertClose(k.tensor(5).sum(), 5);
    assertClose(k.tensor(5).mean(0), 5);
    assertClose(k.tensor(5).sum(-1, true), 5);
  });
  it('float32 sums accumulate precisely', () => {
    const t = k.full([100000], 0.1);
    assertClose(t.sum(), 10000, { rtol: 1e-6 });
  });
  it('same results on every layout', () => {
    for (const { name, tensor } of layouts([3, 4], { requiresGrad: false })) {
      const c = tensor.contiguous().clone();
      for (const f of [
        (t: k.Tensor) => t.sum(0),
        (t: k.Tensor) => t.mean(-1, true),
        (t: k.Tensor) => t.amax(1),
        (t: k.Tensor) => t.var(0),
        (t: k.Tensor) => t.logsumexp(1),
        (t: k.Tensor) => t.softmax(0),
        (t: k.Tensor) => t.argmin(1).to('float64'),
      ]) {
        assert.doesNotThrow(() => assertClose(f(tensor), f(c), { atol: 1e-12 }), name);
      }
    }
  });
  it('dim errors', () => {
    assert.throws(() => x().sum(3), {
      name: 'ValueError',
      message: 'sum: dim 3 out of range for a 3-d tensor (expected -3..2)',
    });
    assert.throws(() => x().mean([0, -3]), { name: 'ValueError', message: /repeats a dimension/ });
    assert.throws(() => x().sum(1.5), k.ValueError);
  });
});

describe('max, min, amax, amin, argmax, argmin', () => {
  it('values only, over dims with keepDim', () => {
    assertClose(m().max(), 5);
    assertClose(m().min(), -9);
    assertClose(m().max(1), [4, 5]);
    assertClose(m().min(0, true), [[1, -1, -9]]);
    assertClose(m().amax([0, 1]), 5);
    assertClose(m().amin(-1), [-1, -9]);
    assertClose(x().amax([0, 2], true), [[[15], [19], [23]]]);
    assert.equal(k.tensor([1, 2], { dtype: 'int32' }).max().dtype, 'int32');
  });
  it('argmax/argmin give int32 positions, first on ties, over the flattened tensor by default', () => {
    const t = k.tensor([
      [1, 7, 7],
      [0, 0, -2],
    ]);
    assert.deepEqual([t.argmax().dtype, t.argmax().item()], ['int32', 1]);
    assert.deepEqual(t.argmin().item(), 5);
    assert.deepEqual(t.argmax(1).toArray(), [1, 0]);
    assert.deepEqual(t.argmin(0).toArray(), [1, 1, 1]);
    assert.deepEqual(t.argmax(-1, true).toArray(), [[1], [0]]);
    assert.deepEqual(t.argmax(null, true).shape, [1, 1]);
    assert.deepEqual(k.tensor([1, Number.NaN, 3]).argmax().item(), 1);
    assert.deepEqual(k.tensor(4).argmax(0).item(), 0);
  });
  it('NaN propagates through max; empty dims are errors', () => {
    assertClose(k.tensor([1, Number.NaN, 3]).max(), Number.NaN);
    assert.throws(() => k.zeros([0, 2]).max(0), {
      name: 'ShapeError',
      message: 'amax: cannot reduce over a zero-size dim of [0,2]',
    });
    assert.throws(() => k.zeros([0]).argmax(), {
      name: 'ShapeError',
      message: /argmax: cannot reduce an empty tensor/,
    });
    assert.deepEqual(k.zeros([0, 2]).max(1).shape, [0]);
  });
});

describe('var and std', () => {
  it('correction 1 by default, 0 and 2 on request, over dims', () => {
    const t = k.tensor(
      [
        [1, 2, 3, 4],
        [2, 4, 6, 8],
      ],
      { dtype: 'float64' },
    );
    assertClose(t.var(1), [5 / 3, 20 / 3]);
    assertClose(t.var(1, { correction: 0 }), [1.25, 5]);
    assertClose(t.var(1, { correction: 2 }), [2.5, 10]);
    assertClose(t.std(1, { keepDim: true }), [[Math.sqrt(5 / 3)], [Math.sqrt(20 / 3)]]);
    assertClose(t.var(), 37.5 / 7, { rtol: 1e-12 }); // mean 3.75, squared deviations 37.5
    assertClose(t.std(0, { correction: 0 }), [0.5, 1, 1.5, 2]);
    assertClose(t.var([0, 1], { keepDim: true }), [[37.5 / 7]]);
  });
  it('one element with correction 1 gives NaN (0/0), int inputs give float32', () => {
    assertClose(k.tensor([3]).var(), Number.NaN);
    const i = k.tensor([1, 3], { dtype: 'int32' }).var();
    assert.deepEqual([i.dtype, i.item()], ['float32', 2]);
    assert.throws(() => k.ones([2]).var(0, { correction: -1 }), k.ValueError);
  });
});

describe('logsumexp, softmax, logSoftmax', () => {
  it('logsumexp matches the naive formula on small inputs, over dims with keepDim', () => {
    const t = k.tensor(
      [
        [0, 1, 2],
        [-1, 0.5, 3],
      ],
      { dtype: 'float64' },
    );
    const naive = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    assertClose(t.logsumexp(1), [naive([0, 1, 2]), naive([-1, 0.5, 3])]);
    assertClose(t.logsumexp(0, true), [[naive([0, -1]), naive([1, 0.5]), naive([2, 3])]]);
    assertClose(t.logsumexp(), naive([0, 1, 2, -1, 0.5, 3]));
  });
  it('logsumexp is stable for large inputs and handles -inf and +inf', () => {
    assertClose(k.tensor([1000, 1000]).logsumexp(0), 1000 + Math.LN2, { rtol: 1e-6 });
    assertClose(k.tensor([-1000, -1000]).logsumexp(0), -1000 + Math.LN2, { rtol: 1e-6 });
    assertClose(
      k
        .tensor([
          [-Infinity, -Infinity],
          [-Infinity, 0],
        ])
        .logsumexp(1),
      [-Infinity, 0],
    );
    assertClose(k.tensor([Infinity, 1]).logsumexp(0), Infinity);
    assertClose(k.zeros([0]).logsumexp(0), -Infinity);
    assert.throws(() => k.tensor([1], { dtype: 'int32' }).logsumexp(0), k.DTypeError);
  });
  it('softmax rows sum to 1 and are stable for large inputs', () => {
    const big = k.tensor([
      [1000, 1001, 1002],
      [-1000, -1000, -1000],
    ]);
    const s = big.softmax(1);
    const e = [1, Math.E, Math.E ** 2];
    const z = e[0]! + e[1]! + e[2]!;
    assertClose(s, [e.map((v) => v / z), [1 / 3, 1 / 3, 1 / 3]]);
    assertClose(s.sum(-1), [1, 1]);
    assertClose(big.logSoftmax(1), [e.map((v) => Math.log(v / z)), Array(3).fill(-Math.log(3))], {
      atol: 1e-5,
    });
    assertClose(k.tensor([0, -Infinity]).softmax(0), [1, 0]);
    assertClose(k.tensor([-Infinity, -Infinity]).softmax(0), [Number.NaN, Number.NaN]);
  });
  it('softmax over dim 0 and negative dims, 0-d and int inputs', () => {
    const t = k.tensor(
      [
        [0, 0],
        [Math.log(3), 0],
      ],
      { dtype: 'float64' },
    );
    assertClose(t.softmax(0), [
      [0.25, 0.5],
      [0.75, 0.5],
    ]);
    assertClose(t.softmax(-2), t.softmax(0));
    assertClose(k.F.softmax(t, -1), [
      [0.5, 0.5],
      [0.75, 0.25],
    ]);
    assertClose(k.F.logSoftmax(t, 1).exp(), [
      [0.5, 0.5],
      [0.75, 0.25],
    ]);
    assertClose(k.tensor(3).softmax(0), 1);
    assertClose(k.tensor(3).logSoftmax(0), 0);
    assert.equal(k.tensor([1, 2], { dtype: 'int32' }).softmax(0).dtype, 'float32');
    assert.throws(() => t.softmax(2), k.ValueError);
    assert.throws(() => t.softmax(undefined as never), {
      name: 'ValueError',
      message: /dim is required/,
    });
  });
});

describe('all and any', () => {
  it('bool 0-d results, empty tensors included', () => {
    assert.deepEqual(k.tensor([1, 2]).all().toArray(), true);
    assert.deepEqual(k.tensor([1, 0]).all().toArray(), false);
    assert.deepEqual(k.tensor([0, 0]).any().toArray(), false);
    assert.deepEqual(k.tensor([0, 3]).any().toArray(), true);
    assert.deepEqual(k.zeros([0]).all().toArray(), true);
    assert.deepEqual(k.zeros([0]).any().toArray(), false);
    assert.equal(k.tensor([true]).all().dtype, 'bool');
  });
});
