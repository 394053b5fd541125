// Creation functions: tensor() (nesting, dtype inference, ragged errors, typed arrays), the
// filled constructors, ranges, eye, and reading values back (toArray, dataSync, item).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';

describe('tensor()', () => {
  it('infers shape from nested arrays; numbers are float32, booleans bool', () => {
    const t = k.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.equal(t.ndim, 2);
    assert.equal(t.numel(), 6);
    assert.deepEqual(t.strides, [3, 1]);
    assert.deepEqual(t.toArray(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(k.tensor([true, false]).dtype, 'bool');
    assert.deepEqual(k.tensor([true, false]).toArray(), [true, false]);
    assert.equal(k.tensor([1, true]).dtype, 'float32');
  });
  it('a number gives a 0-d tensor; [] and [[]] give empty tensors', () => {
    const s = k.tensor(2.5);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 2.5);
    assert.equal(s.toArray(), 2.5);
    assert.deepEqual(k.tensor([]).shape, [0]);
    assert.deepEqual(k.tensor([[]]).shape, [1, 0]);
    assert.deepEqual(k.tensor([[], []]).toArray(), [[], []]);
  });
  it('honours dtype and rounds values into it', () => {
    const i = k.tensor([1.7, -2.2], { dtype: 'int32' });
    assert.deepEqual(i.toArray(), [1, -2]);
    assert.equal(i.dtype, 'int32');
    assert.deepEqual(k.tensor([0.1], { dtype: 'float64' }).toArray(), [0.1]);
    assert.deepEqual(k.tensor([0.1]).toArray(), [Math.fround(0.1)]);
    assert.deepEqual(k.tensor([2, 0, -1], { dtype: 'bool' }).toArray(), [true, false, true]);
  });
  it('typed arrays keep their dtype, are copied, and accept a shape', () => {
    const data = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = k.tensor(data, { shape: [2, 3] });
    assert.equal(t.dtype, 'float64');
    assert.deepEqual(t.shape, [2, 3]);
    data[0] = 99;
    assert.equal((t.toArray() as number[][])[0]![0], 1);
    assert.equal(k.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(k.tensor(new Uint8Array([1, 0])).dtype, 'bool');
    assert.equal(k.tensor(new Float32Array(3), { dtype: 'float64' }).dtype, 'float64');
  });
  it('rejects ragged arrays, bad elements, bad dtypes and mismatched shapes', () => {
    assert.throws(() => k.tensor([[1, 2], [3]]), {
      name: 'ValueError',
      message: /ragged nested array: expected length 2 at index \[1\], got length 1/,
    });
    assert.throws(() => k.tensor([[1, 2], 3] as never), /ragged.*got a scalar/);
    assert.throws(() => k.tensor([1, [2]] as never), /ragged nested array: unexpected nesting/);
    assert.throws(() => k.tensor(['a'] as never), { name: 'ValueError', message: /"a"/ });
    assert.throws(() => k.tensor([1], { dtype: 'int64' as never }), {
      name: 'DTypeError',
      message: /tensor: unknown dtype "int64"/,
    });
    assert.throws(() => k.tensor(new Float32Array(5), { shape: [2, 3] }), {
      name: 'ShapeError',
      message: 'tensor: shape [2,3] needs 6 elements, the data has 5',
    });
    assert.throws(() => k.tensor([1, 2, 3], { shape: [2, 2] }), k.ShapeError);
  });
  it('requiresGrad only on float tensors', () => {
    assert.equal(k.tensor([1], { requiresGrad: true }).requiresGrad, true);
    assert.throws(() => k.tensor([1], { dtype: 'int32', requiresGrad: true }), {
      name: 'DTypeError',
      message: /only float32 and float64 tensors can require grad, this is int32/,
    });
  });
});

describe('filled constructors', () => {
  it('zeros, ones, full with dtype', () => {
    assert.deepEqual(k.zeros([2, 2]).toArray(), [
      [0, 0],
      [0, 0],
    ]);
    const o = k.ones([3], { dtype: 'int32' });
    assert.equal(o.dtype, 'int32');
    assert.deepEqual(o.toArray(), [1, 1, 1]);
    assert.deepEqual(k.full([2], 7.5, { dtype: 'float64' }).toArray(), [7.5, 7.5]);
    assert.deepEqual(k.full([], -1).toArray(), -1);
    assert.deepEqual(k.zeros([0, 4]).shape, [0, 4]);
    assert.equal(k.ones([2], { requiresGrad: true }).requiresGrad, true);
  });
  it('*Like copy shape and dtype, with overrides', () => {
    const x = k.tensor([[1, 2]], { dtype: 'float64' });
    const z = k.zerosLike(x);
    assert.deepEqual([z.shape, z.dtype, z.toArray()], [[1, 2], 'float64', [[0, 0]]]);
    const o = k.onesLike(x, { dtype: 'int32' });
    assert.deepEqual([o.dtype, o.toArray()], ['int32', [[1, 1]]]);
    assert.deepEqual(k.fullLike(x, 3).toArray(), [[3, 3]]);
    assert.notEqual(z.storage, x.storage);
  });
  it('reject invalid shapes', () => {
    assert.throws(() => k.zeros([2, -1]), {
      name: 'ShapeError',
      message: 'full: invalid shape [2,-1]: sizes must be non-negative integers',
    });
    assert.throws(() => k.ones([1.5]), k.ShapeError);
  });
});

describe('ranges and eye', () => {
  it('arange with one, two and three arguments', () => {
    assert.deepEqual(k.arange(4).toArray(), [0, 1, 2, 3]);
    assert.deepEqual(k.arange(2, 5).toArray(), [2, 3, 4]);
    assert.deepEqual(k.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(k.arange(3, 0, -1).toArray(), [3, 2, 1]);
    assert.deepEqual(k.arange(0).shape, [0]);
    assert.deepEqual(k.arange(5, 1).shape, [0]);
    assert.equal(k.arange(3, undefined, 1, { dtype: 'int32' }).dtype, 'int32');
    assert.throws(() => k.arange(0, 1, 0), { name: 'ValueError', message: /step must be/ });
    assert.throws(() => k.arange(0, Infinity), k.ValueError);
  });
  it('linspace hits both ends exactly; 0 and 1 steps', () => {
    assertClose(k.linspace(0, 1, 5, { dtype: 'float64' }), [0, 0.25, 0.5, 0.75, 1]);
    const t = k.linspace(-1, 0.3, 7, { dtype: 'float64' });
    assert.equal((t.toArray() as number[])[6], 0.3);
    assert.equal((t.toArray() as number[])[0], -1);
    assert.deepEqual(k.linspace(3, 5, 1).toArray(), [3]);
    assert.deepEqual(k.linspace(3, 5, 0).shape, [0]);
    assert.throws(() => k.linspace(0, 1, -1), k.ValueError);
  });
  it('eye, rectangular eye, and options in second position', () => {
    assert.deepEqual(k.eye(2).toArray(), [
      [1, 0],
      [0, 1],
    ]);
    assert.deepEqual(k.eye(2, 3).toArray(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const e = k.eye(3, { dtype: 'float64' });
    assert.deepEqual([e.shape, e.dtype], [[3, 3], 'float64']);
    assert.equal(k.eye(2, 2, { dtype: 'int32' }).dtype, 'int32');
    assert.deepEqual(k.eye(0).shape, [0, 0]);
  });
});

describe('reading values', () => {
  it('toArray and dataSync of non-contiguous views follow logical order', () => {
    const t = k.arange(6).reshape([2, 3]).T;
    assert.deepEqual(t.toArray(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    const d = t.dataSync();
    assert.ok(d instanceof Float32Array);
    assert.deepEqual(Array.from(d), [0, 3, 1, 4, 2, 5]);
    const base = k.arange(4);
    const copy = base.dataSync();
    copy[0] = 42;
    assert.equal((base.toArray() as number[])[0], 0, 'dataSync returns a copy');
    assert.deepEqual(Array.from(k.arange(6).slice(0, 2, 5).dataSync()), [2, 3, 4]);
  });
  it('item on one-element tensors only', () => {
    assert.equal(k.tensor([[4]]).item(), 4);
    assert.equal(k.arange(5).slice(0, 3, 4).item(), 3);
    assert.throws(() => k.tensor([1, 2]).item(), {
      name: 'ValueError',
      message: 'item: only one-element tensors can be converted to a number, this has shape [2]',
    });
  });
  it('size(), to(), isContiguous', () => {
    const t = k.zeros([2, 3]);
    assert.deepEqual(t.size(), [2, 3]);
    assert.equal(t.size(-1), 3);
    assert.equal(t.to('float32'), t);
    assert.equal(t.to('int32').dtype, 'int32');
    assert.equal(t.isContiguous(), true);
    assert.equal(t.T.isContiguous(), false);
  });
});
