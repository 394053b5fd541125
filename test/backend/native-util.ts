// Helpers of the native-kernel tests: random strided views over fresh storage and comparisons
// with the js reference backend.
import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import type { View } from '../../src/backend/backend.js';
import type { NativeBinding } from '../../src/backend/native/loader.js';
import type { DType, TypedArray } from '../../src/tensor/dtype.js';

let seed = 0x2545f491;
/** Deterministic uniform numbers in [0, 1) (xorshift32), independent of kiln's generator. */
export function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

/** Values that break careless kernels: NaN, ±Infinity, ±0, halves, a float32 denormal. */
export const SPECIALS = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2.5,
  -2.5,
  1e-40,
  30,
  -30,
  100,
];

function alloc(dtype: DType, n: number): TypedArray {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'float64') return new Float64Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

/** How a test view lays its elements out in storage. */
export type Layout = 'contiguous' | 'transposed' | 'sliced' | 'broadcast' | 'scalar';
export const LAYOUTS: readonly Layout[] = [
  'contiguous',
  'transposed',
  'sliced',
  'broadcast',
  'scalar',
];

/** A random generator of element values for a dtype. */
export type Gen = (i: number) => number;

export function defaultGen(dtype: DType, specials = false): Gen {
  if (dtype === 'bool') return () => (rand() < 0.5 ? 1 : 0);
  if (dtype === 'int32') return () => Math.floor(rand() * 21) - 10;
  return (i) => (specials && i % 3 === 0 ? SPECIALS[(i / 3) % SPECIALS.length]! : rand() * 6 - 3);
}

/**
 * A view of `shape` laid out as `layout`: transposed reverses the storage order of the dims,
 * sliced starts at an offset and steps by 2 on the last dim, broadcast gives the first dim of
 * size > 1 stride 0 (or the last one when `bdim` is 'last'), scalar gives every dim stride 0.
 */
export function makeView(
  dtype: DType,
  shape: readonly number[],
  layout: Layout,
  gen: Gen = defaultGen(dtype),
  bdim: 'first' | 'last' = 'first',
): View {
  const nd = shape.length;
  let strides: number[];
  let offset = 0;
  if (layout === 'transposed') {
    strides = new Array<number>(nd);
    let s = 1;
    for (let d = 0; d < nd; d++) {
      strides[d] = s;
      s *= shape[d]!;
    }
  } else if (layout === 'sliced') {
    strides = contiguousStrides(shape.map((n, d) => (d === nd - 1 ? 2 * n : n)));
    if (nd > 0) strides[nd - 1] = 2;
    offset = 3;
  } else if (layout === 'scalar') {
    strides = shape.map(() => 0);
    offset = 1;
  } else {
    strides = contiguousStrides(shape);
    if (layout === 'broadcast') {
      const dims = shape.map((n, d) => (n > 1 ? d : -1)).filter((d) => d >= 0);
      const d = bdim === 'first' ? dims[0] : dims[dims.length - 1];
      if (d !== undefined) strides[d] = 0;
    }
  }
  let extent = offset + 1;
  shape.forEach((n, d) => {
    if (n > 0) extent += (n - 1) * strides[d]!;
  });
  if (shape.includes(0)) extent = offset;
  const storage = alloc(dtype, extent + 2);
  for (let i = 0; i < storage.length; i++) storage[i] = gen(i);
  return { storage, shape: [...shape], strides, offset, dtype };
}

/** A zero-filled contiguous output view. */
export function outView(dtype: DType, shape: readonly number[], offset = 0): View {
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    storage: alloc(dtype, n + offset),
    shape: [...shape],
    strides: contiguousStrides(shape),
    offset,
    dtype,
  };
}

/** A copy of a view's storage (same layout), for in-place kernels. */
export function cloneView(v: View): View {
  return { ...v, storage: v.storage.slice() };
}

const EPS: Record<string, number> = { float32: 2 ** -23, float64: 2 ** -52 };

/**
 * Asserts two storages equal: bit for bit (Object.is, so ±0 differ and NaN equals NaN) when
 * `ulps` is 0, else within `ulps` units in the last place of the larger value plus `atol`.
 */
export function assertClose(
  actual: TypedArray,
  expected: TypedArray,
  dtype: DType,
  label: string,
  ulps = 0,
  atol = 0,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const eps = EPS[dtype] ?? 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e)) continue;
    if (ulps > 0 && !Number.isNaN(a) && !Number.isNaN(e) && Number.isFinite(e)) {
      const tol = ulps * eps * Math.max(Math.abs(a), Math.abs(e)) + atol;
      if (Math.abs(a - e) <= tol) continue;
    }
    assert.fail(`${label}: element ${i}: native ${a}, js ${e}`);
  }
}

/** Shapes every kernel is checked on: scalars, odd sizes, empty, 2-d and 3-d. */
export const SHAPES: readonly (readonly number[])[] = [
  [],
  [1],
  [3],
  [17],
  [1000],
  [0],
  [3, 0],
  [3, 17],
  [17, 3],
  [2, 3, 5],
  [4, 1, 7],
];

/**
 * Runs `body` inside a suite for 1 and then 2 threads. With 2, the elementwise split is forced
 * even on tiny tensors so that its range bookkeeping is tested; settings are restored after.
 */
export function forEachThreadCount(binding: () => NativeBinding | null, body: () => void): void {
  for (const threads of [1, 2]) {
    describe(`${threads} thread${threads > 1 ? 's' : ''}`, () => {
      let prevThreads = 1;
      let prevMin = 0;
      before(() => {
        const b = binding()!;
        prevThreads = b.getNumThreads();
        b.setNumThreads(threads);
        prevMin = b.setElementwiseParMin(threads > 1 ? 0 : 1 << 16);
      });
      after(() => {
        const b = binding()!;
        b.setNumThreads(prevThreads);
        b.setElementwiseParMin(prevMin);
      });
      body();
    });
  }
}
