// Elementwise ops: binary arithmetic with broadcasting and numbers on both sides, dtype
// promotion, comparisons, where/maskedFill, every unary op and activation, clamp; errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, layouts } from '../helpers/gradcheck.js';

const a = () =>
  k.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const i32 = (d: number[]) => k.tensor(d, { dtype: 'int32' });
const f64 = (d: number[] | number) => k.tensor(d, { dtype: 'float64' });

describe('binary arithmetic', () => {
  it('add/sub/mul/div/pow/maximum/minimum with broadcasting [2,3] x [3] and [2,1]', () => {
    const row = k.tensor([10, 20, 30]);
    const col = k.tensor([[2], [4]]);
    assertClose(a().add(row), [
      [11, 22, 33],
      [14, 25, 36],
    ]);
    assertClose(a().sub(col), [
      [-1, 0, 1],
      [0, 1, 2],
    ]);
    assertClose(col.mul(row), [
      [20, 40, 60],
      [40, 80, 120],
    ]);
    assertClose(a().div(col), [
      [0.5, 1, 1.5],
      [1, 1.25, 1.5],
    ]);
    assertClose(a().pow(col), [
      [1, 4, 9],
      [256, 625, 1296],
    ]);
    assertClose(a().maximum(k.tensor([3, 0, 7])), [
      [3, 2, 7],
      [4, 5, 7],
    ]);
    assertClose(a().minimum(k.tensor([[3], [5]])), [
      [1, 2, 3],
      [4, 5, 5],
    ]);
  });
  it('numbers on either side, top-level and as methods', () => {
    const x = k.tensor([1, 2, 4]);
    assertClose(k.sub(1, x), [0, -1, -3]);
    assertClose(k.sub(x, 1), [0, 1, 3]);
    assertClose(k.div(1, x), [1, 0.5, 0.25]);
    assertClose(k.add(0.5, x), [1.5, 2.5, 4.5]);
    assertClose(k.mul(x, -2), [-2, -4, -8]);
    assertClose(k.pow(2, x), [2, 4, 16]);
    assertClose(k.pow(x, 2), [1, 4, 16]);
    assertClose(k.maximum(x, 2), [2, 2, 4]);
    assertClose(k.minimum(3, x), [1, 2, 3]);
    const s = k.add(1, 2);
    assert.deepEqual([s.shape, s.dtype, s.item()], [[], 'float32', 3]);
  });
  it('results are the same on contiguous, transposed, sliced and broadcast inputs', () => {
    for (const { name, tensor } of layouts([2, 3], { requiresGrad: false })) {
      const copy = tensor.contiguous().clone();
      for (const f of [
        (t: k.Tensor) => t.mul(k.tensor([1, 2, 3], { dtype: 'float64' })).sub(t.exp()),
        (t: k.Tensor) => k.div(1, t).maximum(t),
        (t: k.Tensor) => t.add(t.T.T),
      ]) {
        assert.doesNotThrow(() => assertClose(f(tensor), f(copy), { atol: 0, rtol: 0 }), name);
      }
    }
  });
  it('empty and size-1 broadcasting', () => {
    assert.deepEqual(k.zeros([0, 3]).add(k.ones([3])).shape, [0, 3]);
    assert.deepEqual(k.zeros([2, 1, 3]).add(k.ones([4, 1])).shape, [2, 4, 3]);
    assert.deepEqual(k.tensor(2).mul(k.tensor(3)).shape, []);
  });
  it('shape errors name the op and both shapes', () => {
    assert.throws(() => k.ones([2, 3]).add(k.ones([4])), {
      name: 'ShapeError',
      message: 'add: shapes [2,3] and [4] cannot be broadcast (dim 1: 3 vs 4)',
    });
    assert.throws(() => k.ones([2]).mul(k.ones([3])), { name: 'ShapeError', message: /^mul:/ });
    assert.throws(() => k.tensor([true]).sub(k.tensor([false])), {
      name: 'DTypeError',
      message: /sub: not supported on bool tensors/,
    });
  });
});

describe('dtype promotion', () => {
  it('follows PyTorch: widest dtype; integers with float numbers become float32', () => {
    assert.equal(i32([1]).add(k.tensor([1])).dtype, 'float32');
    assert.equal(k.tensor([1]).add(f64([1])).dtype, 'float64');
    assert.equal(i32([1]).add(2).dtype, 'int32');
    assert.equal(i32([1]).add(2.5).dtype, 'float32');
    assert.equal(f64([1]).mul(2.5).dtype, 'float64');
    assert.equal(k.tensor([true]).add(1).dtype, 'int32');
  });
  it('0-d tensors take part only from a higher category', () => {
    assert.equal(k.tensor([1]).add(f64(1)).dtype, 'float32');
    assert.equal(i32([1]).add(f64(1)).dtype, 'float64');
    assert.equal(f64(1).add(k.tensor(1)).dtype, 'float64');
    assert.equal(k.tensor([1]).add(i32([1]).sum()).dtype, 'float32');
  });
  it('int / int is true division in float32; int * int stays int32', () => {
    const q = i32([1, 7]).div(i32([2, 2]));
    assert.deepEqual([q.dtype, q.toArray()], ['float32', [0.5, 3.5]]);
    assert.deepEqual(
      i32([3])
        .mul(i32([-4]))
        .toArray(),
      [-12],
    );
    assert.deepEqual(k.div(i32([3]), 2).toArray(), [1.5]);
  });
  it('float unary ops on integers give float32; pow by a fraction too', () => {
    for (const t of [i32([4]).sqrt(), i32([0]).exp(), i32([4]).pow(0.5), i32([1]).sigmoid()]) {
      assert.equal(t.dtype, 'float32');
    }
    assert.deepEqual(i32([4]).pow(0.5).toArray(), [2]);
    assert.deepEqual(i32([-3]).abs().toArray(), [3]);
    assert.equal(i32([-3]).abs().dtype, 'int32');
    assert.equal(i32([3]).pow(2).dtype, 'int32');
  });
});

describe('comparisons, where and maskedFill', () => {
  it('comparisons give bool with broadcasting and numbers', () => {
    const x = k.tensor([1, 2, 3]);
    const eq = x.eq(k.tensor([1, 0, 3]));
    assert.deepEqual([eq.dtype, eq.toArray()], ['bool', [true, false, true]]);
    assert.deepEqual(x.ne(2).toArray(), [true, false, true]);
    assert.deepEqual(x.lt(2).toArray(), [true, false, false]);
    assert.deepEqual(x.le(2).toArray(), [true, true, false]);
    assert.deepEqual(x.gt(2).toArray(), [false, false, true]);
    assert.deepEqual(x.ge(k.tensor([[2], [0]])).toArray(), [
      [false, true, true],
      [true, true, true],
    ]);
    assert.deepEqual(
      i32([1, 2])
        .eq(k.tensor([1, 2.5]))
        .toArray(),
      [true, false],
    );
    assert.deepEqual(
      k
        .tensor([Number.NaN])
        .eq(k.tensor([Number.NaN]))
        .toArray(),
      [false],
    );
    assert.deepEqual(x.gt(1).logicalAnd(x.lt(3)).toArray(), [false, true, false]);
    assert.deepEqual(x.gt(2).logicalOr(x.lt(2)).toArray(), [true, false, true]);
    assert.deepEqual(x.gt(2).logicalNot().toArray(), [true, true, false]);
    assert.equal(x.gt(1).requiresGrad, false);
  });
  it('where broadcasts cond and both branches; numbers allowed', () => {
    const cond = k.tensor([true, false, true]);
    assertClose(k.where(cond, k.tensor([[1], [2]]), 0), [
      [1, 0, 1],
      [2, 0, 2],
    ]);
    assertClose(k.where(cond, -1, k.tensor([5, 6, 7])), [-1, 6, -1]);
    assert.equal(k.where(cond, i32([1, 2, 3]), f64([0, 0, 0])).dtype, 'float64');
    assert.throws(() => k.where(k.tensor([1]), 1, 2), {
      name: 'DTypeError',
      message: 'where: condition must be a bool tensor, got float32',
    });
    assert.throws(() => k.where(cond, k.ones([2]), 0), k.ShapeError);
  });
  it('maskedFill keeps the dtype and refuses masks that would enlarge x', () => {
    const x = k.tensor([
      [1, 2],
      [3, 4],
    ]);
    assertClose(x.maskedFill(k.tensor([true, false]), -5), [
      [-5, 2],
      [-5, 4],
    ]);
    const xi = i32([1, 2, 3]).maskedFill(k.tensor([false, true, false]), 9.7);
    assert.deepEqual([xi.dtype, xi.toArray()], ['int32', [1, 9, 3]]);
    assert.deepEqual(x.maskedFill(k.tensor(true), Number.NEGATIVE_INFINITY).toArray(), [
      [-Infinity, -Infinity],
      [-Infinity, -Infinity],
    ]);
    assert.throws(
      () =>
        k.tensor([1, 2]).maskedFill(
          k.tensor([
            [true, false],
            [true, true],
          ]),
          0,
        ),
      {
        name: 'ValueError',
        message: /would enlarge x/,
      },
    );
    assert.throws(() => x.maskedFill(k.tensor([1, 0]), 0), k.DTypeError);
  });
});

describe('unary ops and activations (hand-computed)', () => {
  const x = () => f64([-2, -0.5, 0, 0.5, 3]);
  const map = (f: (v: number) => number) => [-2, -0.5, 0, 0.5, 3].map(f);
  const erf = (v: number) => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) by Simpson's rule instead.
    const n = 2000;
    const h = v / n;
    let s = 0;
    for (let i = 0; i <= n; i++) {
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      s += w * Math.exp(-((i * h) ** 2));
    }
    return ((s * h) / 3) * (2 / Math.sqrt(Math.PI));
  };
  const cases: [string, (t: k.Tensor) => k.Tensor, (v: number) => number][] = [
    ['neg', (t) => t.neg(), (v) => -v],
    ['abs', (t) => t.abs(), Math.abs],
    ['exp', (t) => t.exp(), Math.exp],
    ['expm1', (t) => t.expm1(), Math.expm1],
    ['sin', (t) => t.sin(), Math.sin],
    ['cos', (t) => t.cos(), Math.cos],
    ['square', (t) => t.square(), (v) => v * v],
    ['sign', (t) => t.sign(), Math.sign],
    ['erf', (t) => t.erf(), erf],
    ['relu', (t) => t.relu(), (v) => Math.max(v, 0)],
    ['sigmoid', (t) => t.sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
    ['tanh', (t) => t.tanh(), Math.tanh],
    ['floor', (t) => t.floor(), Math.floor],
    ['ceil', (t) => t.ceil(), Math.ceil],
    ['leakyRelu default 0.01', (t) => k.F.leakyRelu(t), (v) => (v > 0 ? v : 0.01 * v)],
    ['leakyRelu 0.2', (t) => k.F.leakyRelu(t, 0.2), (v) => (v > 0 ? v : 0.2 * v)],
    ['elu', (t) => k.F.elu(t), (v) => (v > 0 ? v : Math.exp(v) - 1)],
    ['elu alpha 2', (t) => k.F.elu(t, 2), (v) => (v > 0 ? v : 2 * (Math.exp(v) - 1))],
    ['gelu exact', (t) => k.F.gelu(t), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
    [
      'gelu tanh',
      (t) => k.F.gelu(t, { approximate: 'tanh' }),
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
    ['softplus', (t) => k.F.softplus(t), (v) => Math.log(1 + Math.exp(v))],
    [
      'softplus beta 2',
      (t) => k.F.softplus(t, { beta: 2 }),
      (v) => Math.log(1 + Math.exp(2 * v)) / 2,
    ],
    [
      'F.relu/sigmoid/tanh',
      (t) => k.F.tanh(k.F.sigmoid(k.F.relu(t))),
      (v) => Math.tanh(1 / (1 + Math.exp(-Math.max(v, 0)))),
    ],
    ['clamp', (t) => t.clamp(-1, 1), (v) => Math.min(Math.max(v, -1), 1)],
    ['clamp min only', (t) => t.clamp(0), (v) => Math.max(v, 0)],
    ['clamp max only', (t) => t.clamp(null, 0.25), (v) => Math.min(v, 0.25)],
  ];
  for (const [name, f, ref] of cases) {
    it(name, () => assertClose(f(x()), map(ref), { atol: 1e-9, rtol: 1e-9 }));
  }
  it('log, sqrt, rsqrt, log1p, reciprocal on positive inputs; edge values', () => {
    const p = f64([0.25, 1, 4]);
    assertClose(p.log(), [Math.log(0.25), 0, Math.log(4)]);
    assertClose(p.sqrt(), [0.5, 1, 2]);
    assertClose(p.rsqrt(), [2, 1, 0.5]);
    assertClose(p.log1p(), [Math.log1p(0.25), Math.log(2), Math.log(5)]);
    assertClose(p.reciprocal(), [4, 1, 0.25]);
    assertClose(f64([0, -1]).log(), [-Infinity, Number.NaN]);
    assertClose(f64([1e-10]).log1p(), [1e-10], { rtol: 1e-12 });
  });
  it('round is half to even; softplus is linear above its threshold', () => {
    assertClose(f64([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6]).round(), [-2, -2, -0, 0, 2, 2, 3]);
    assertClose(k.F.softplus(f64([30, 1000])), [30, 1000], { rtol: 1e-12 });
    assertClose(k.F.softplus(f64([3]), { threshold: 2 }), [3]);
  });
  it('NaN propagates through relu, maximum, clamp and isnan/isfinite flag it', () => {
    const n = k.tensor([Number.NaN, 1, Infinity]);
    assertClose(n.relu(), [Number.NaN, 1, Infinity]);
    assertClose(n.maximum(0), [Number.NaN, 1, Infinity]);
    assertClose(n.clamp(0, 2), [Number.NaN, 1, 2]);
    assert.deepEqual(n.isnan().toArray(), [true, false, false]);
    assert.deepEqual(n.isfinite().toArray(), [false, true, false]);
  });
  it('activations are stable at extreme inputs', () => {
    assertClose(k.tensor([-1000, 1000]).sigmoid(), [0, 1]);
    assertClose(k.tensor([-1000, 1000]).tanh(), [-1, 1]);
    assertClose(k.F.elu(k.tensor([-1000])), [-1]);
    assertClose(k.F.gelu(k.tensor([-10, 10])), [0, 10]);
  });
  it('argument errors', () => {
    assert.throws(() => k.ones([1]).clamp(), {
      name: 'ValueError',
      message: /clamp: at least one/,
    });
    assert.throws(() => k.F.gelu(k.ones([1]), { approximate: 'erf' as never }), {
      name: 'ValueError',
      message: "gelu: approximate must be 'none' or 'tanh', got 'erf'",
    });
  });
  it('0-d and empty inputs keep their shapes', () => {
    assert.deepEqual(k.tensor(1).exp().shape, []);
    assert.deepEqual(k.zeros([0, 2]).tanh().shape, [0, 2]);
  });
});
