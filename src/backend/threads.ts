import { ValueError } from '../tensor/errors.js';
import { nativeBinding } from './native/index.js';

/**
 * Sets how many threads native kernels may use (default: all cores, or `KILN_NUM_THREADS`).
 * Small operations stay single-threaded whatever the setting, because threading them costs
 * more than it saves. The js backend is single-threaded.
 *
 * @example
 * ```ts
 * k.setNumThreads(1);
 * ```
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new ValueError(`setNumThreads: expected a positive integer, got ${n}`);
  nativeBinding()?.setNumThreads(n);
}

/**
 * The number of threads native kernels may use (1 on the js backend).
 *
 * @example
 * ```ts
 * console.log(k.getNumThreads());
 * ```
 */
export function getNumThreads(): number {
  return nativeBinding()?.getNumThreads() ?? 1;
}
