/**
 * Recycled tensor storages. A training step allocates the same large buffers every step
 * (gradients, im2col columns, matmul products); `new Float32Array(n)` zero-fills fresh pages each
 * time and the dropped buffers cost the garbage collector. The op layer takes storages for outputs
 * its kernel overwrites completely from here, and the places that know a storage is dead (the
 * autograd engine after a backward pass, a convolution for its internal columns) give them back.
 *
 * Storages are keyed by dtype and exact length (a step repeats its shapes exactly), so a recycled
 * storage is indistinguishable from a fresh one except that its contents are stale: only kernels
 * that write every element of their output may receive one.
 */
import { allocStorage, type DType, type TypedArray } from '../tensor/dtype.js';

/** Below this many elements V8 allocates cheaply on its own heap: not worth pooling. */
const MIN_ELEMENTS = 4096;
/** Free storages kept per (dtype, length). */
const PER_SIZE = 4;
/** Bytes of free storages kept in all (beyond it, given-back storages are left to the GC). */
const MAX_BYTES = 512 * 1024 * 1024;

const free = new Map<string, TypedArray[]>();
let freeBytes = 0;
let births: Set<TypedArray> | null = null;
let enabled = process.env.KILN_STORAGE_POOL !== '0';

const keyOf = (dtype: DType, n: number): string => `${dtype}:${n}`;

/**
 * A storage of `n` elements of `dtype` whose contents are unspecified (stale values of a
 * recycled storage, or zeros): for kernel outputs that are overwritten in full.
 *
 * @example
 * ```ts
 * const s = takeStorage('float32', 1 << 20); // then a kernel writes all of s
 * ```
 */
export function takeStorage(dtype: DType, n: number): TypedArray {
  if (n < MIN_ELEMENTS || !enabled) return allocStorage(dtype, n);
  const list = free.get(keyOf(dtype, n));
  const reused = list?.pop();
  let s: TypedArray;
  if (reused) {
    freeBytes -= reused.byteLength;
    s = reused;
  } else {
    s = allocStorage(dtype, n);
  }
  births?.add(s);
  return s;
}

/**
 * Gives back a storage that nothing references any more (the caller guarantees it: a recycled
 * storage is handed out again and overwritten).
 *
 * @example
 * ```ts
 * recycleStorage(columns.storage); // columns were internal to a convolution and are dead now
 * ```
 */
export function recycleStorage(s: TypedArray): void {
  if (!enabled || s.length < MIN_ELEMENTS || freeBytes + s.byteLength > MAX_BYTES) return;
  const dtype: DType =
    s instanceof Float32Array
      ? 'float32'
      : s instanceof Float64Array
        ? 'float64'
        : s instanceof Int32Array
          ? 'int32'
          : 'bool';
  const key = keyOf(dtype, s.length);
  let list = free.get(key);
  if (!list) {
    list = [];
    free.set(key, list);
  }
  if (list.length >= PER_SIZE || list.includes(s)) return;
  list.push(s);
  freeBytes += s.byteLength;
}

/**
 * Starts recording the pooled storages taken from now on (the autograd engine brackets a backward
 * pass with this, so it can give back every storage born in the pass that did not become a
 * `.grad`). Returns the record; `stopBirths` ends it.
 *
 * @example
 * ```ts
 * const born = startBirths(); try { ... } finally { stopBirths(); }
 * ```
 */
export function startBirths(): Set<TypedArray> {
  births = new Set();
  return births;
}

/** Ends the recording started by `startBirths`. @example `stopBirths()` */
export function stopBirths(): void {
  births = null;
}

/**
 * Turns the pool on or off (on by default; `KILN_STORAGE_POOL=0` starts it off) and empties it;
 * returns the previous setting. For benchmarks and tests that compare both.
 *
 * @example
 * ```ts
 * const was = setStoragePool(false);
 * ```
 */
export function setStoragePool(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  free.clear();
  freeBytes = 0;
  return was;
}
