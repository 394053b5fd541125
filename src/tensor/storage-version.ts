import type { TypedArray } from './dtype.js';

/**
 * A write counter per storage. Every write into a storage that already holds a tensor's values
 * (in-place ops, optimizer steps, gradient accumulation, the storage pool handing a storage out
 * again, a distributed broadcast) bumps it, so a cache derived from a storage's contents (the
 * packed weight of a Linear layer, src/backend/native/linear.ts) can tell that it went stale.
 * Writes through `tensor.storage` directly bypass it: code that does so must call
 * `bumpStorageVersion` itself.
 */
const versions = new WeakMap<TypedArray, number>();

/**
 * The storage's write count (0 for a storage never written in place).
 *
 * @example
 * ```ts
 * const v = storageVersion(w.storage); w.add_(1); storageVersion(w.storage) === v + 1; // true
 * ```
 */
export function storageVersion(s: TypedArray): number {
  return versions.get(s) ?? 0;
}

/**
 * Records a write into `s` (call it for every write into a storage that existing tensors see).
 *
 * @example
 * ```ts
 * t.storage.set(values); bumpStorageVersion(t.storage);
 * ```
 */
export function bumpStorageVersion(s: TypedArray): void {
  versions.set(s, (versions.get(s) ?? 0) + 1);
}
