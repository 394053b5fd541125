/**
 * Spatial resampling and channel dropout: `k.F.interpolate` and `k.F.dropout2d`. Both are built
 * from existing primitives (indexSelect, mul, add, where), so they need no kernels of their own:
 * nearest is two index selects, bilinear is separable (a weighted pair of rows, then of columns).
 */

import { requireFloat } from '../ops/core.js';
import { rand, tensor } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of `interpolate` (PyTorch's keywords); give exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output size [H, W] (or one number for both). */
  size?: number | readonly [number, number];
  /** Multiplier of the input size per dim; the output size is floor(in * scaleFactor). */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default) or 'bilinear'. */
  mode?: 'nearest' | 'bilinear';
  /** Bilinear only: align the corner pixels' centers (default false). */
  alignCorners?: boolean;
}

/** PyTorch's scale of one dim: 1/scaleFactor when one was given, else in/out. */
function scaleOf(size: number, out: number, factor: number | undefined): number {
  return factor !== undefined && factor > 0 ? 1 / factor : size / out;
}

/** PyTorch's legacy 'nearest' source index: floor(dst * scale) in float32, clamped. */
function nearestIndex(size: number, out: number, factor: number | undefined): Int32Array {
  const idx = new Int32Array(out);
  // Same special cases and float32 arithmetic as PyTorch, so rounding lands on the same pixel.
  const scale = Math.fround(factor !== undefined && factor > 0 ? 1 / factor : size / out);
  for (let i = 0; i < out; i++) {
    if (out === size) idx[i] = i;
    else if (out === 2 * size) idx[i] = i >> 1;
    else idx[i] = Math.min(Math.floor(Math.fround(Math.fround(i) * scale)), size - 1);
  }
  return idx;
}

/** Bilinear source rows (i0, i1) and weights (l0, l1) of one dim, as PyTorch computes them. */
function linearTaps(size: number, out: number, align: boolean, factor: number | undefined) {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const l0 = new Float64Array(out);
  const l1 = new Float64Array(out);
  const scale = align ? (out > 1 ? (size - 1) / (out - 1) : 0) : scaleOf(size, out, factor);
  for (let i = 0; i < out; i++) {
    const src = align ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
    const a = Math.min(Math.floor(src), size - 1);
    i0[i] = a;
    i1[i] = a + (a < size - 1 ? 1 : 0);
    l1[i] = src - a;
    l0[i] = 1 - l1[i]!;
  }
  return { i0, i1, l0, l1 };
}

/** Linear interpolation along `dim` (2 or 3) of a [N, C, H, W] tensor. */
function lerpDim(
  x: Tensor,
  dim: 2 | 3,
  out: number,
  align: boolean,
  factor: number | undefined,
): Tensor {
  const { i0, i1, l0, l1 } = linearTaps(x.shape[dim]!, out, align, factor);
  const shape = dim === 2 ? [out, 1] : [out];
  const w = (v: Float64Array) => tensor(v, { shape, dtype: x.dtype });
  const at = (v: Int32Array) => tensor(v, { dtype: 'int32' });
  return x
    .indexSelect(dim, at(i0))
    .mul(w(l0))
    .add(x.indexSelect(dim, at(i1)).mul(w(l1)));
}

/**
 * Resizes x [N, C, H, W] to `size` or by `scaleFactor`, as `torch.nn.functional.interpolate`:
 * 'nearest' takes source pixel floor(dst * in/out) (PyTorch's legacy 'nearest', float32 index
 * arithmetic included); 'bilinear' follows PyTorch's half-pixel rule, or maps corner to corner
 * with `alignCorners`. With `scaleFactor`, the source positions use 1/scaleFactor (as PyTorch
 * without `recompute_scale_factor`). Bilinear weights are computed in float64.
 *
 * @example
 * ```ts
 * k.F.interpolate(k.randn([1, 3, 8, 8]), { scaleFactor: 2, mode: 'bilinear' }).shape; // [1, 3, 16, 16]
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  const op = 'interpolate';
  const { size, scaleFactor, mode = 'nearest', alignCorners } = options;
  requireFloat(x, op);
  if (x.ndim !== 4) {
    throw new ShapeError(
      `${op}: expected a 4-D input [N,C,H,W] (1-D and 3-D resizing are not supported yet), got ${fmtShape(x.shape)}`,
    );
  }
  if (mode !== 'nearest' && mode !== 'bilinear')
    throw new ValueError(`${op}: mode must be 'nearest' or 'bilinear', got '${String(mode)}'`);
  if (mode === 'nearest' && alignCorners !== undefined) {
    throw new ValueError(
      `${op}: alignCorners can only be set with the interpolating mode 'bilinear', not '${mode}'`,
    );
  }
  if ((size === undefined) === (scaleFactor === undefined))
    throw new ValueError(`${op}: give exactly one of size and scaleFactor`);
  const pair = (v: number | readonly number[]) => (typeof v === 'number' ? [v, v] : [...v]);
  const inSize = [x.shape[2]!, x.shape[3]!];
  let out: number[];
  let factors: (number | undefined)[] = [undefined, undefined];
  if (size !== undefined) {
    out = pair(size);
    if (out.length !== 2 || out.some((v) => !Number.isInteger(v) || v < 1))
      throw new ValueError(
        `${op}: size must be a positive integer or a pair, got ${JSON.stringify(size)}`,
      );
  } else {
    factors = pair(scaleFactor!);
    if (factors.length !== 2 || factors.some((f) => !(f! > 0 && Number.isFinite(f))))
      throw new ValueError(
        `${op}: scaleFactor must be positive, got ${JSON.stringify(scaleFactor)}`,
      );
    out = inSize.map((s, i) => Math.floor(s * factors[i]!));
    if (out.some((v) => v < 1)) {
      throw new ValueError(
        `${op}: scaleFactor ${JSON.stringify(scaleFactor)} gives an empty output ${fmtShape(out)} for input ${fmtShape(x.shape)}`,
      );
    }
  }
  const [oh, ow] = out as [number, number];
  if (mode === 'nearest') {
    const rows = tensor(nearestIndex(inSize[0]!, oh, factors[0]), { dtype: 'int32' });
    const cols = tensor(nearestIndex(inSize[1]!, ow, factors[1]), { dtype: 'int32' });
    return x.indexSelect(2, rows).indexSelect(3, cols);
  }
  // Columns first, then rows: the same order of products and sums as PyTorch's kernel.
  const align = alignCorners ?? false;
  return lerpDim(lerpDim(x, 3, ow, align, factors[1]), 2, oh, align, factors[0]);
}

/** Options of `dropout2d`. */
export interface Dropout2dOptions {
  /** The generator for the mask (the default generator otherwise). */
  generator?: Generator;
}

/**
 * Zeroes whole channels: each [n, c] feature map of x [N, C, H, W] (or [N, C, L], as PyTorch
 * 1.13 reads 3-D input) is dropped with probability `p` and the rest scaled by 1/(1-p), only when
 * `training` (default true), as `torch.nn.functional.dropout2d`.
 *
 * @example
 * ```ts
 * const h = k.F.dropout2d(features, 0.2, model.training);
 * ```
 */
export function dropout2d(
  x: Tensor,
  p = 0.5,
  training = true,
  options: Dropout2dOptions = {},
): Tensor {
  if (!(p >= 0 && p <= 1))
    throw new ValueError(`dropout2d: probability has to be between 0 and 1, but got ${p}`);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(
      `dropout2d: expected [N,C,H,W] or [N,C,L] input, got ${fmtShape(x.shape)}`,
    );
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const maskShape = x.shape.map((d, i) => (i < 2 ? d : 1));
  const keep = rand(maskShape, { generator: options.generator, dtype: 'float64' }).lt(1 - p);
  return where(keep, x.mul(1 / (1 - p)), 0);
}
