/**
 * Pooling (`k.F.maxPool1d/2d`, `avgPool1d/2d`, `adaptiveAvgPool2d`). Max pooling is its own
 * primitive (it keeps argmax indices for the backward); average pooling is `im2col` + a sum over
 * the taps divided by PyTorch's divisor, and adaptive pooling is a separable averaging matrix on
 * each side (`A_h @ x @ A_w^T`), so both get their gradients from existing rules.
 */

import { requireFloat } from '../ops/core.js';
import { tensor } from '../ops/creation.js';
import { composite } from '../ops/trace.js';
import { im2col, maxPool, type Window2d } from '../ops/window.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { batched, checkOutSize, fmtList, perDim, poolOutSize, type SizeArg } from './conv-args.js';

/** Options of `maxPool1d`/`maxPool2d` (PyTorch's keywords). */
export interface MaxPoolOptions {
  /** Step between windows (default: the kernel size). */
  stride?: SizeArg | null;
  /** Implicit -infinity padding on both sides, at most half the kernel (default 0). */
  padding?: SizeArg;
  /** Spacing between window taps (default 1). */
  dilation?: SizeArg;
  /** Round the output size up (the last window must start inside the input or left padding). */
  ceilMode?: boolean;
}

/** Options of `avgPool1d`/`avgPool2d` (PyTorch's keywords). */
export interface AvgPoolOptions {
  /** Step between windows (default: the kernel size). */
  stride?: SizeArg | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: SizeArg;
  /** Round the output size up, as in max pooling (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window sum by this instead (2-D only, as PyTorch). */
  divisorOverride?: number | null;
}

interface PoolSetup {
  x4: Tensor;
  added: boolean;
  window: Window2d;
  out: [number, number];
  /** Per lifted dim [h, w]: input size, kernel, stride, padding. */
  dims: { size: number; k: number; s: number; p: number }[];
}

/** Parses and checks a pooling call over 1 or 2 spatial dims, lifted to 2-D (H = 1 for 1-D). */
function setup(
  op: string,
  spatial: 1 | 2,
  input: Tensor,
  kernelSize: SizeArg,
  stride: SizeArg | null | undefined,
  padding: SizeArg,
  dilation: SizeArg,
  ceilMode: boolean,
): PoolSetup {
  requireFloat(input, op);
  const [x, added] = batched(input, spatial, op, spatial === 2 ? '[N,C,H,W]' : '[N,C,L]');
  const k = perDim(kernelSize, spatial, 'kernelSize', op, 1);
  const s =
    stride === null || stride === undefined || (Array.isArray(stride) && stride.length === 0)
      ? k
      : perDim(stride, spatial, 'stride', op, 1);
  const p = perDim(padding, spatial, 'padding', op, 0);
  const d = perDim(dilation, spatial, 'dilation', op, 1);
  if (p.some((v, i) => v > k[i]! / 2)) {
    throw new ValueError(
      `${op}: padding ${fmtList(p)} should be at most half of kernelSize ${fmtList(k)}`,
    );
  }
  const size = x.shape.slice(2);
  const out = size.map((n, i) => poolOutSize(n, k[i]!, s[i]!, p[i]!, d[i]!, ceilMode));
  checkOutSize(
    op,
    input,
    out,
    `kernelSize ${fmtList(k)} with padding ${fmtList(p)}, dilation ${fmtList(d)}`,
  );
  const lift = (v: number[], one: number): [number, number] =>
    spatial === 2 ? [v[0]!, v[1]!] : [one, v[0]!];
  const x4 = spatial === 2 ? x : x.unsqueeze(2);
  const window: Window2d = {
    kernel: lift(k, 1),
    stride: lift(s, 1),
    padding: lift(p, 0),
    dilation: lift(d, 1),
  };
  const sizes = lift(size, 1);
  const dims = [0, 1].map((i) => ({
    size: sizes[i]!,
    k: window.kernel[i]!,
    s: window.stride[i]!,
    p: window.padding[i]!,
  }));
  return { x4, added, window, out: lift(out, 1), dims };
}

/** Drops the lifted H dim (1-D) and the added batch dim. */
function finish(y: Tensor, spatial: 1 | 2, added: boolean): Tensor {
  const z = spatial === 1 ? y.squeeze(2) : y;
  return added ? z.squeeze(0) : z;
}

function maxPoolNd(
  op: string,
  spatial: 1 | 2,
  x: Tensor,
  kernelSize: SizeArg,
  options: MaxPoolOptions,
): Tensor {
  const { padding = 0, dilation = 1, ceilMode = false } = options;
  const st = setup(op, spatial, x, kernelSize, options.stride, padding, dilation, ceilMode);
  st.window.kernel.forEach((k, i) => {
    const { size, s, p } = st.dims[i]!;
    const d = st.window.dilation[i]!;
    for (let o = 0; o < st.out[i]!; o++) {
      const start = o * s - p;
      let ok = false;
      for (let t = 0; t < k && !ok; t++) ok = start + t * d >= 0 && start + t * d < size;
      if (!ok) {
        throw new ValueError(
          `${op}: window ${o} of dim ${i + 2 - (2 - spatial)} covers only padding (input ${fmtShape(x.shape)}, dilation ${d}); reduce dilation or padding`,
        );
      }
    }
  });
  const { kernel, stride, padding: padL, dilation: dil } = st.window;
  const attrs = { kernel, stride, padding: padL, dilation: dil };
  const y = composite('maxPool', [st.x4], attrs, () => maxPool(st.x4, st.window, st.out)[0]);
  return finish(y, spatial, st.added);
}

/**
 * 2-D max pooling of x [N, C, H, W] (or [C, H, W]), as `torch.nn.functional.max_pool2d`. The
 * gradient flows to the first maximum of each window (indices are kept for the backward).
 *
 * @example
 * ```ts
 * k.F.maxPool2d(k.randn([8, 16, 28, 28]), 2).shape; // [8, 16, 14, 14]
 * ```
 */
export function maxPool2d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor {
  return maxPoolNd('maxPool2d', 2, x, kernelSize, options);
}

/**
 * 1-D max pooling of x [N, C, L] (or [C, L]), as `torch.nn.functional.max_pool1d`.
 *
 * @example
 * ```ts
 * k.F.maxPool1d(k.randn([4, 3, 10]), 3, { stride: 2, padding: 1 }).shape; // [4, 3, 5]
 * ```
 */
export function maxPool1d(x: Tensor, kernelSize: SizeArg, options: MaxPoolOptions = {}): Tensor {
  return maxPoolNd('maxPool1d', 1, x, kernelSize, options);
}

/**
 * PyTorch's avg-pool divisor along one dim, per output position: the window clipped to the
 * padded input (countIncludePad) or to the input itself.
 */
function divisors(dim: PoolSetup['dims'][number], n: number, includePad: boolean): number[] {
  const { size, k, s, p } = dim;
  return Array.from({ length: n }, (_, o) => {
    const start = o * s - p;
    const end = Math.min(start + k, size + p);
    if (includePad) return end - start;
    return Math.min(end, size) - Math.max(start, 0);
  });
}

function avgPoolNd(
  op: string,
  spatial: 1 | 2,
  x: Tensor,
  kernelSize: SizeArg,
  options: AvgPoolOptions,
): Tensor {
  const { padding = 0, ceilMode = false, countIncludePad = true } = options;
  const override = options.divisorOverride ?? null;
  if (override !== null && (!Number.isFinite(override) || override === 0))
    throw new ValueError(`${op}: divisorOverride must be a non-zero number, got ${override}`);
  const st = setup(op, spatial, x, kernelSize, options.stride, padding, 1, ceilMode);
  const [oh, ow] = st.out;
  const [dh, dw] = [0, 1].map((i) => divisors(st.dims[i]!, st.out[i]!, countIncludePad)) as [
    number[],
    number[],
  ];
  const div = new Float64Array(oh * ow);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++) div[i * ow + j] = override ?? dh[i]! * dw[j]!;
  const { kernel, stride, padding: padL } = st.window;
  const attrs = { kernel, stride, padL, out: st.out, divisor: Array.from(div) };
  const y = composite('avgPool', [st.x4], attrs, () => {
    // Sum of the taps of each window (padding reads 0), then PyTorch's divisor per position.
    const sums = im2col(st.x4, st.window, st.out).sum([1, 2]).permute([1, 0, 2, 3]);
    return sums.div(tensor(div, { shape: [oh, ow], dtype: x.dtype }));
  });
  return finish(y, spatial, st.added);
}

/**
 * 2-D average pooling of x [N, C, H, W] (or [C, H, W]), as `torch.nn.functional.avg_pool2d`:
 * zero padding counts in the divisor unless `countIncludePad: false`.
 *
 * @example
 * ```ts
 * k.F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export function avgPool2d(x: Tensor, kernelSize: SizeArg, options: AvgPoolOptions = {}): Tensor {
  return avgPoolNd('avgPool2d', 2, x, kernelSize, options);
}

/**
 * 1-D average pooling of x [N, C, L] (or [C, L]), as `torch.nn.functional.avg_pool1d`.
 *
 * @example
 * ```ts
 * k.F.avgPool1d(k.randn([2, 3, 9]), 3).shape; // [2, 3, 3]
 * ```
 */
export function avgPool1d(
  x: Tensor,
  kernelSize: SizeArg,
  options: Omit<AvgPoolOptions, 'divisorOverride'> = {},
): Tensor {
  return avgPoolNd('avgPool1d', 1, x, kernelSize, options);
}

/** PyTorch's adaptive window of output i: [floor(i*in/out), ceil((i+1)*in/out)). */
function adaptiveWindow(i: number, size: number, out: number): [number, number] {
  return [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
}

/** The [out, size] matrix whose row i averages input window i. */
function averagingMatrix(size: number, out: number, x: Tensor): Tensor {
  const m = new Float64Array(out * size);
  for (let i = 0; i < out; i++) {
    const [a, b] = adaptiveWindow(i, size, out);
    for (let j = a; j < b; j++) m[i * size + j] = 1 / (b - a);
  }
  return tensor(m, { shape: [out, size], dtype: x.dtype });
}

/**
 * Adaptive 2-D average pooling to `outputSize` (a number, or [H, W] where null keeps that input
 * size), as `torch.nn.functional.adaptive_avg_pool2d`: output cell i averages input rows
 * floor(i*H/OH) .. ceil((i+1)*H/OH) - 1 (windows may overlap).
 *
 * @example
 * ```ts
 * k.F.adaptiveAvgPool2d(k.randn([2, 64, 7, 9]), 1).shape; // [2, 64, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d(
  input: Tensor,
  outputSize: number | readonly [number | null, number | null],
): Tensor {
  const op = 'adaptiveAvgPool2d';
  requireFloat(input, op);
  const [x, added] = batched(input, 2, op, '[N,C,H,W]');
  const [h, w] = [x.shape[2]!, x.shape[3]!];
  const req = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  const out = req.map((v, i) => v ?? (i === 0 ? h : w));
  if (out.length !== 2 || out.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ValueError(
      `${op}: outputSize must be a positive integer or a pair (null keeps the input size), got ${JSON.stringify(outputSize)}`,
    );
  }
  if (h === 0 || w === 0)
    throw new ShapeError(`${op}: input ${fmtShape(input.shape)} has an empty spatial dim`);
  const [oh, ow] = out as [number, number];
  let y: Tensor;
  if (oh === 1 && ow === 1) y = x.mean([2, 3], true);
  else {
    // Separable: average the columns (x @ A_w^T), then the rows (A_h @ .); identity axes skip.
    y = ow === w ? x : x.matmul(averagingMatrix(w, ow, x).transpose(0, 1));
    if (oh !== h) y = averagingMatrix(h, oh, x).matmul(y);
  }
  return added ? y.squeeze(0) : y;
}
