/**
 * Convolutions (`k.F.conv1d`, `conv2d`, `convTranspose2d`), built from the `im2col`/`col2im`
 * primitives and one batched matmul, so the heavy arithmetic runs in the (native) matmul kernel
 * and the gradients come from the rules of those primitives.
 */

import { isGradEnabled } from '../autograd/grad-mode.js';
import { recycleStorage } from '../backend/storage-pool.js';
import { convFused, convReluPoolFused } from '../ops/conv.js';
import { convReluPoolTrain } from '../ops/conv-pool.js';
import { requireFloat } from '../ops/core.js';
import { composite, tracer } from '../ops/trace.js';
import { col2im, im2col, type Window2d } from '../ops/window.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { batched, checkOutSize, convOutSize, fmtList, perDim, type SizeArg } from './conv-args.js';
import { maxPool2d } from './functional-pool.js';

/** Options of `conv1d` and `conv2d` (PyTorch's keywords). */
export interface ConvOptions {
  /** Step between windows, per spatial dim or one for all (default 1). */
  stride?: SizeArg;
  /**
   * Zero padding on both sides per spatial dim (default 0), or `'valid'` (none) or `'same'`
   * (output size = input size; stride must be 1; an odd total goes to the end, as PyTorch).
   */
  padding?: SizeArg | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: SizeArg;
  /** Split channels into groups convolved separately; `groups = C` is depthwise (default 1). */
  groups?: number;
}

/** Options of `convTranspose2d` (PyTorch's keywords). */
export interface ConvTransposeOptions {
  /** Stride of the convolution this transposes (default 1). */
  stride?: SizeArg;
  /** Padding of the convolution this transposes: crops the output on both sides (default 0). */
  padding?: SizeArg;
  /** Extra rows/columns added at the end of the output (default 0); < stride or < dilation. */
  outputPadding?: SizeArg;
  /** Channel groups (default 1). */
  groups?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: SizeArg;
}

/** Checks dtypes: float input, weight and bias of one dtype (PyTorch raises on a mix as well). */
function checkDtypes(op: string, x: Tensor, w: Tensor, b: Tensor | null | undefined): void {
  requireFloat(x, op);
  for (const [name, t] of [
    ['weight', w],
    ['bias', b],
  ] as const) {
    if (t && t.dtype !== x.dtype)
      throw new DTypeError(`${op}: input is ${x.dtype} but ${name} is ${t.dtype}`);
  }
}

function checkGroups(op: string, groups: number): void {
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
}

function checkBias(op: string, b: Tensor | null | undefined, channels: number): void {
  if (b && (b.ndim !== 1 || b.shape[0] !== channels))
    throw new ShapeError(`${op}: bias must be [${channels}], got ${fmtShape(b.shape)}`);
}

/**
 * The shared convolution over 1 or 2 spatial dims; 1-D work is lifted to 2-D with H = 1 so one
 * kernel pair serves both. Checks are made on the caller's shapes so messages name them.
 */
function convolution(
  op: string,
  spatial: 1 | 2,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ConvOptions,
  relu = false,
): Tensor {
  const layout = spatial === 2 ? '[N,C,H,W]' : '[N,C,L]';
  checkDtypes(op, input, weight, bias);
  const groups = options.groups ?? 1;
  checkGroups(op, groups);
  if (weight.ndim !== spatial + 2) {
    throw new ShapeError(
      `${op}: weight must be ${spatial === 2 ? '[out, in/groups, kH, kW]' : '[out, in/groups, k]'}, got ${fmtShape(weight.shape)}`,
    );
  }
  const [x, added] = batched(input, spatial, op, layout);
  const [outC, inPerGroup] = weight.shape as [number, number];
  const c = x.shape[1]!;
  if (c !== inPerGroup * groups) {
    throw new ShapeError(
      `${op}: expected input${layout} with C=${inPerGroup * groups} (weight ${fmtShape(weight.shape)}, groups ${groups}), got ${fmtShape(input.shape)}`,
    );
  }
  if (outC % groups !== 0) {
    throw new ShapeError(
      `${op}: out channels ${outC} (weight ${fmtShape(weight.shape)}) are not divisible by groups ${groups}`,
    );
  }
  checkBias(op, bias, outC);
  const kernel = weight.shape.slice(2);
  const stride = perDim(options.stride ?? 1, spatial, 'stride', op, 1);
  const dilation = perDim(options.dilation ?? 1, spatial, 'dilation', op, 1);
  const padding = options.padding ?? 0;
  let padL: number[];
  let padR: number[];
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw new ValueError(
        `${op}: padding='same' is not supported for strided convolutions (stride ${fmtList(stride)})`,
      );
    }
    // PyTorch puts the odd pixel of an even dilated kernel at the end.
    const total = kernel.map((k, i) => dilation[i]! * (k - 1));
    padL = total.map((t) => Math.floor(t / 2));
    padR = total.map((t, i) => t - padL[i]!);
  } else if (padding === 'valid') {
    padL = new Array<number>(spatial).fill(0);
    padR = padL;
  } else {
    padL = perDim(padding, spatial, 'padding', op, 0);
    padR = padL;
  }
  const size = x.shape.slice(2);
  const out = size.map((s, i) =>
    convOutSize(s, kernel[i]!, stride[i]!, padL[i]!, padR[i]!, dilation[i]!),
  );
  checkOutSize(
    op,
    input,
    out,
    `kernel ${fmtList(kernel)} with padding ${fmtList(padL)}, dilation ${fmtList(dilation)}`,
  );
  const attrs = { stride, padL, padR, dilation, groups };
  const y = composite('conv', [x, weight, bias ?? null], attrs, () => {
    // Lift 1-D to 2-D (H = 1) so one pair of kernels serves both.
    const lift = (v: number[], one: number): [number, number] =>
      spatial === 2 ? [v[0]!, v[1]!] : [one, v[0]!];
    const x4 = spatial === 2 ? x : x.unsqueeze(2);
    const w4 = spatial === 2 ? weight : weight.unsqueeze(2);
    const window: Window2d = {
      kernel: lift(kernel, 1),
      stride: lift(stride, 1),
      padding: lift(padL, 0),
      dilation: lift(dilation, 1),
    };
    const [oh, ow] = lift(out, 1);
    // The native backend's fused kernel when it takes the call; a trace records the composite.
    const fused =
      tracer === null ? convFused(x4, w4, bias ?? null, window, groups, [oh, ow], relu) : null;
    if (fused !== null) return spatial === 1 ? fused.squeeze(2) : fused;
    const n = x.shape[0]!;
    const cols = im2col(x4, window, [oh, ow]); // [C, kh, kw, N, oh, ow]
    const k = inPerGroup * window.kernel[0] * window.kernel[1];
    // One batched matmul over the groups: [G, Og, K] @ [G, K, N*oh*ow] -> [G, Og, N*oh*ow].
    const mm = w4
      .reshape([groups, outC / groups, k])
      .matmul(cols.reshape([groups, k, n * oh * ow]));
    const prod = mm.reshape([outC, n, oh, ow]).permute([1, 0, 2, 3]);
    const y = bias ? prod.add(bias.reshape([1, outC, 1, 1])) : prod.contiguous();
    // The product and the columns never leave this function: the product is dead once copied
    // into y (no rule saves it), the columns once the matmul node no longer needs them. A
    // trace may keep every tensor it saw, so nothing is given back under one.
    if (tracer === null) {
      if (y.storage !== mm.storage) recycleStorage(mm.storage);
      if (mm.gradFn) mm.gradFn.owned.push(cols.storage);
      else recycleStorage(cols.storage);
    }
    const z = relu ? y.relu() : y;
    return spatial === 1 ? z.squeeze(2) : z;
  });
  return added ? y.squeeze(0) : y;
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) of x [N, C, H, W] (or unbatched [C, H, W])
 * with weight [O, C/groups, kH, kW] and optional bias [O], as `torch.nn.functional.conv2d`.
 *
 * @example
 * ```ts
 * const y = k.F.conv2d(k.randn([8, 3, 32, 32]), k.randn([16, 3, 3, 3]), null, { padding: 'same' });
 * y.shape; // [8, 16, 32, 32]
 * ```
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  return convolution('conv2d', 2, x, weight, bias, options);
}

/**
 * `conv2d(...).relu()` in one step: on the native backend the ReLU runs inside the convolution's
 * kernels (forward and backward), saving two passes over the output. `nn.Sequential` uses it
 * for a Conv2d followed by a ReLU; under a trace it records conv then relu, as written.
 *
 * @example
 * ```ts
 * const y = conv2dRelu(k.randn([8, 1, 28, 28]), k.randn([32, 1, 3, 3]), null);
 * ```
 */
export function conv2dRelu(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  if (tracer !== null) return conv2d(x, weight, bias, options).relu();
  return convolution('conv2d', 2, x, weight, bias, options, true);
}

/** Whether a stride or dilation option is 1 in every dim. */
function allOne(v: SizeArg | undefined): boolean {
  return v === undefined || (typeof v === 'number' ? v === 1 : v.every((e) => e === 1));
}

/**
 * The fused kernel of `conv2dReluPool` where it takes the call, else null: the inference one, or
 * with a gradient to record the training one (which keeps each pooling window's argmax).
 */
function reluPoolFused(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  options: ConvOptions,
): Tensor | null {
  if (x.ndim !== 4 || w.ndim !== 4 || x.shape[1] !== w.shape[1] || (options.groups ?? 1) !== 1)
    return null;
  if (!allOne(options.stride) || !allOne(options.dilation)) return null;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== w.shape[0])) return null;
  const p = options.padding ?? 0;
  const pad = p === 'valid' ? [0, 0] : typeof p === 'number' ? [p, p] : p === 'same' ? null : p;
  if (!pad || pad.length !== 2 || pad.some((v) => !Number.isInteger(v) || v < 0)) return null;
  const [kh, kw] = [w.shape[2]!, w.shape[3]!];
  const size: [number, number] = [
    x.shape[2]! + 2 * pad[0]! - kh + 1,
    x.shape[3]! + 2 * pad[1]! - kw + 1,
  ];
  if (size[0] < 2 || size[1] < 2) return null;
  const window: Window2d = {
    kernel: [kh, kw],
    stride: [1, 1],
    padding: [pad[0]!, pad[1]!],
    dilation: [1, 1],
  };
  const train = isGradEnabled() && (x.requiresGrad || w.requiresGrad || !!bias?.requiresGrad);
  return train
    ? convReluPoolTrain(x, w, bias, window, size)
    : convReluPoolFused(x, w, bias, window, size);
}

/**
 * `maxPool2d(conv2dRelu(x, weight, bias, options), 2)`. On the native backend one float32 kernel
 * runs all three for stride-1 convolutions of one group, and the convolution's output is never
 * stored: in inference only the pooled output is written, in training also each window's argmax
 * (one node records the three for backward). Otherwise, or under a trace, the steps run as
 * written. `nn.Sequential` uses it for a Conv2d, ReLU, MaxPool2d(2) run.
 *
 * @example
 * ```ts
 * const y = k.noGrad(() => conv2dReluPool(k.randn([8, 1, 28, 28]), k.randn([32, 1, 3, 3]), null));
 * y.shape; // [8, 32, 13, 13]
 * ```
 */
export function conv2dReluPool(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  const fused = tracer === null ? reluPoolFused(x, weight, bias ?? null, options) : null;
  return fused ?? maxPool2d(conv2dRelu(x, weight, bias, options), 2);
}

/**
 * 1-D convolution of x [N, C, L] (or unbatched [C, L]) with weight [O, C/groups, k] and optional
 * bias [O], as `torch.nn.functional.conv1d`.
 *
 * @example
 * ```ts
 * k.F.conv1d(k.randn([4, 2, 50]), k.randn([6, 2, 5]), null, { stride: 2 }).shape; // [4, 6, 23]
 * ```
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  return convolution('conv1d', 1, x, weight, bias, options);
}

/**
 * Transposed 2-D convolution ("deconvolution": the gradient of conv2d with respect to its input)
 * of x [N, Cin, H, W] with weight [Cin, Cout/groups, kH, kW], as
 * `torch.nn.functional.conv_transpose2d`. Output size per dim:
 * `(in - 1)*stride - 2*padding + dilation*(k - 1) + outputPadding + 1`.
 *
 * @example
 * ```ts
 * const up = k.F.convTranspose2d(k.randn([1, 8, 7, 7]), k.randn([8, 4, 4, 4]), null, { stride: 2, padding: 1 });
 * up.shape; // [1, 4, 14, 14]
 * ```
 */
export function convTranspose2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  options: ConvTransposeOptions = {},
): Tensor {
  const op = 'convTranspose2d';
  checkDtypes(op, input, weight, bias);
  const groups = options.groups ?? 1;
  checkGroups(op, groups);
  if (weight.ndim !== 4) {
    throw new ShapeError(
      `${op}: weight must be [in, out/groups, kH, kW], got ${fmtShape(weight.shape)}`,
    );
  }
  const [x, added] = batched(input, 2, op, '[N,C,H,W]');
  const [inC, outPerGroup, kh, kw] = weight.shape as [number, number, number, number];
  if (x.shape[1] !== inC || inC % groups !== 0) {
    throw new ShapeError(
      `${op}: expected input[N,C,H,W] with C=${inC} divisible by groups ${groups} (weight ${fmtShape(weight.shape)}), got ${fmtShape(input.shape)}`,
    );
  }
  const outC = outPerGroup * groups;
  checkBias(op, bias, outC);
  const stride = perDim(options.stride ?? 1, 2, 'stride', op, 1);
  const padding = perDim(options.padding ?? 0, 2, 'padding', op, 0);
  const dilation = perDim(options.dilation ?? 1, 2, 'dilation', op, 1);
  const outPad = perDim(options.outputPadding ?? 0, 2, 'outputPadding', op, 0);
  if (outPad.some((p, i) => p >= stride[i]! && p >= dilation[i]!)) {
    throw new ValueError(
      `${op}: outputPadding ${fmtList(outPad)} must be smaller than either stride ${fmtList(stride)} or dilation ${fmtList(dilation)}`,
    );
  }
  const [n, , h, w] = x.shape as [number, number, number, number];
  const kernel = [kh, kw];
  const out = [h, w].map(
    (s, i) =>
      (s - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + outPad[i]! + 1,
  );
  checkOutSize(
    op,
    input,
    out,
    `kernel ${fmtList(kernel)} with padding ${fmtList(padding)}, stride ${fmtList(stride)}`,
  );
  const attrs = { stride, padding, dilation, outputPadding: outPad, groups };
  const y = composite('convTranspose', [x, weight, bias ?? null], attrs, () => {
    const inPerGroup = inC / groups;
    const k = outPerGroup * kh * kw;
    // cols[G, Cout_g*kh*kw, N*H*W] = W^T @ x, then col2im scatters each column into the output:
    // exactly the input gradient of the convolution with this window.
    const xr = x.permute([1, 0, 2, 3]).reshape([groups, inPerGroup, n * h * w]);
    const wr = weight.reshape([groups, inPerGroup, k]).transpose(1, 2);
    const cols = wr.matmul(xr).reshape([outC, kh, kw, n, h, w]);
    const window: Window2d = {
      kernel: [kh, kw],
      stride: [stride[0]!, stride[1]!],
      padding: [padding[0]!, padding[1]!],
      dilation: [dilation[0]!, dilation[1]!],
    };
    let y = col2im(cols, window, [out[0]!, out[1]!]);
    if (bias) y = y.add(bias.reshape([1, outC, 1, 1]));
    return y;
  });
  return added ? y.squeeze(0) : y;
}
