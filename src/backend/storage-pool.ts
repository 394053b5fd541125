/**
 * Recycled tensor storages. A training step allocates the same buffers every step (activations,
 * gradients, im2col columns, matmul products). Every typed array above 64 bytes lives outside
 * V8's heap, and V8 collects the dead ones only when its external memory has grown by tens of
 * MiB since the last full collection: a step that drops even 100 KiB of buffers builds up that
 * much dead memory in the process's resident size between collections, zero-fills fresh pages
 * for every `new Float32Array(n)`, and costs the collector. So the op layer takes storages for
 * outputs its kernel overwrites completely from here, and the places that know a storage is dead
 * give them back: the autograd engine after a backward pass (its temporaries, and activations
 * marked with `markGraphOwned`), a convolution for its internal columns, an optimizer's
 * `zeroGrad` for a `.grad` that was never handed out.
 *
 * Storages are keyed by dtype and exact length (a step repeats its shapes exactly), so a recycled
 * storage is indistinguishable from a fresh one except that its contents are stale: only kernels
 * that write every element of their output may receive one.
 */
import { allocStorage, type DType, dtypeOfArray, type TypedArray } from '../tensor/dtype.js';
import { bumpStorageVersion } from '../tensor/storage-version.js';

/**
 * At or below this many bytes V8 keeps a typed array on its own heap (collected cheaply with
 * the object that holds it): not worth pooling.
 */
const MIN_BYTES = 64;
/** Free storages kept per (dtype, length): a step holds several of one size at once. */
const PER_SIZE = 16;
/** Free storages kept per (dtype, length) for storages of at least `LARGE_BYTES`. */
const PER_LARGE_SIZE = 4;
const LARGE_BYTES = 1 << 20;
/** Bytes of free storages kept in all (beyond it, given-back storages are left to the GC). */
const MAX_BYTES = 512 * 1024 * 1024;
const BYTES: Record<DType, number> = { bool: 1, int32: 4, float32: 4, float64: 8 };

const free: Record<DType, Map<number, TypedArray[]>> = {
  bool: new Map(),
  int32: new Map(),
  float32: new Map(),
  float64: new Map(),
};
let freeBytes = 0;
let births: Set<TypedArray> | null = null;
let enabled = process.env.KILN_STORAGE_POOL !== '0';
/** Activation storages that only the autograd graph references (see `markGraphOwned`). */
let graphOwned = new WeakSet<TypedArray>();

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
  if (!enabled || n * BYTES[dtype] <= MIN_BYTES) return allocStorage(dtype, n);
  const reused = free[dtype].get(n)?.pop();
  let s: TypedArray;
  if (reused) {
    freeBytes -= reused.byteLength;
    graphOwned.delete(reused);
    // Its next owner overwrites it: caches of what it held before are stale.
    bumpStorageVersion(reused);
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
  const bytes = s.byteLength;
  graphOwned.delete(s);
  if (!enabled || bytes <= MIN_BYTES || freeBytes + bytes > MAX_BYTES) return;
  const byLength = free[dtypeOfArray(s)];
  let list = byLength.get(s.length);
  if (!list) {
    list = [];
    byLength.set(s.length, list);
  }
  if (list.length >= (bytes >= LARGE_BYTES ? PER_LARGE_SIZE : PER_SIZE) || list.includes(s)) return;
  list.push(s);
  freeBytes += bytes;
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
 * Declares that no tensor outside the autograd graph references `s`: it holds an activation
 * that only the graph's saved tensors hold (an intermediate output inside `nn.Sequential` that
 * no caller can see). The engine gives it back once every node that saved it has been freed by
 * a backward pass.
 *
 * @example
 * ```ts
 * markGraphOwned(hidden.storage); // hidden was computed and consumed inside one forward
 * ```
 */
export function markGraphOwned(s: TypedArray): void {
  if (enabled) graphOwned.add(s);
}

/** Whether `s` was marked with `markGraphOwned`. @example `isGraphOwned(t.storage)` */
export function isGraphOwned(s: TypedArray): boolean {
  return graphOwned.has(s);
}

/** Undoes `markGraphOwned` (the storage outlives the graph). @example `unmarkGraphOwned(s)` */
export function unmarkGraphOwned(s: TypedArray): void {
  graphOwned.delete(s);
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
  for (const byLength of Object.values(free)) byLength.clear();
  freeBytes = 0;
  graphOwned = new WeakSet();
  return was;
}
