/**
 * Argument parsing shared by the convolution and pooling functions: per-dim sizes from numbers or
 * tuples, PyTorch's output-size formulas, and the error messages that name the op and values.
 */
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A size per spatial dim, or one number for all of them (as PyTorch's `int or tuple`). */
export type SizeArg = number | readonly number[];

/**
 * One integer per spatial dim from a number or a tuple of `n` numbers; each must be >= `min`.
 *
 * @example
 * ```ts
 * perDim(3, 2, 'kernelSize', 'conv2d', 1); // [3, 3]
 * ```
 */
export function perDim(v: SizeArg, n: number, name: string, op: string, min: number): number[] {
  const values = typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];
  if (values.length !== n || values.some((x) => !Number.isInteger(x) || x < min)) {
    const what = min === 0 ? 'non-negative' : 'positive';
    throw new ValueError(
      `${op}: ${name} must be a ${what} integer or ${n} of them, got ${JSON.stringify(v)}`,
    );
  }
  return values;
}

/**
 * The spatial output size of a convolution: floor((in + padL + padR - d*(k-1) - 1) / s) + 1.
 *
 * @example
 * ```ts
 * convOutSize(28, 3, 1, 0, 0, 1); // 26
 * ```
 */
export function convOutSize(
  size: number,
  k: number,
  s: number,
  padL: number,
  padR: number,
  d: number,
): number {
  return Math.floor((size + padL + padR - d * (k - 1) - 1) / s) + 1;
}

/**
 * The spatial output size of a pooling window as PyTorch's `pooling_output_shape`: with
 * `ceilMode` the size rounds up, but the last window must start inside the input or its left
 * padding.
 *
 * @example
 * ```ts
 * poolOutSize(5, 2, 2, 0, 1, true); // 3
 * ```
 */
export function poolOutSize(
  size: number,
  k: number,
  s: number,
  p: number,
  d: number,
  ceilMode: boolean,
): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Accepts [N, C, ...spatial] or the unbatched [C, ...spatial] and returns the batched input and
 * whether a batch dim was added (to remove from the result).
 *
 * @example
 * ```ts
 * const [x4, added] = batched(x, 2, 'conv2d', '[N,C,H,W]');
 * ```
 */
export function batched(x: Tensor, spatial: number, op: string, layout: string): [Tensor, boolean] {
  if (x.ndim === spatial + 2) return [x, false];
  if (x.ndim === spatial + 1) return [x.unsqueeze(0), true];
  throw new ShapeError(
    `${op}: expected input ${layout} or its unbatched form (${spatial + 1}-D), got ${fmtShape(x.shape)}`,
  );
}

/** A list as error messages print it. @example `fmtList([2, 3]) // '[2,3]'` */
export function fmtList(v: readonly number[]): string {
  return `[${v.join(',')}]`;
}

/**
 * Throws a `ShapeError` naming the input, the window (`detail`) and the computed output size when
 * a spatial output dim would be empty.
 *
 * @example
 * ```ts
 * checkOutSize('conv2d', x, [0, 3], 'kernel [3,3] with padding [0,0], dilation [1,1]');
 * ```
 */
export function checkOutSize(op: string, x: Tensor, out: readonly number[], detail: string): void {
  if (out.some((o) => o < 1)) {
    throw new ShapeError(
      `${op}: input ${fmtShape(x.shape)} is too small for ${detail}: computed output size ${fmtList(out)}`,
    );
  }
}
