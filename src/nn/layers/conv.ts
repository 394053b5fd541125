import { empty } from '../../ops/core.js';
import type { DType } from '../../tensor/dtype.js';
import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { perDim, type SizeArg } from '../conv-args.js';
import { conv1d, conv2d, conv2dRelu, conv2dReluPool, convTranspose2d } from '../functional-conv.js';
import { calculateFanInAndFanOut, kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { ReLU } from './activation.js';
import { MaxPool2d } from './pooling.js';

/** Options of `Conv1d` and `Conv2d` (PyTorch's keywords). */
export interface ConvLayerOptions {
  /** Default 1. */
  stride?: SizeArg;
  /** Zero padding per side, or 'same' / 'valid' (default 0). */
  padding?: SizeArg | 'same' | 'valid';
  /** Default 1. */
  dilation?: SizeArg;
  /** Channel groups; in and out channels must both be divisible (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Only 'zeros' is supported for now (PyTorch's default). */
  paddingMode?: 'zeros';
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values (the default generator otherwise). */
  generator?: Generator;
}

/** Options of `ConvTranspose2d` (PyTorch's keywords). */
export interface ConvTransposeLayerOptions {
  stride?: SizeArg;
  padding?: SizeArg;
  outputPadding?: SizeArg;
  groups?: number;
  bias?: boolean;
  dilation?: SizeArg;
  paddingMode?: 'zeros';
  dtype?: DType;
  generator?: Generator;
}

/** Shared parameters and PyTorch's `reset_parameters` of the convolution layers. */
abstract class ConvBase extends Module<[Tensor], Tensor> {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: number[];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: SizeArg,
    spatial: number,
    transposed: boolean,
    options: { groups?: number; bias?: boolean; paddingMode?: string; dtype?: DType },
    generator: Generator | undefined,
  ) {
    super();
    const name = new.target.name;
    this.kernelSize = perDim(kernelSize, spatial, 'kernelSize', name, 1);
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1)
      throw new ValueError(`${name}: groups must be a positive integer, got ${this.groups}`);
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n < 1 || n % this.groups !== 0)
        throw new ValueError(
          `${name}: ${what} ${n} must be a positive integer divisible by groups ${this.groups}`,
        );
    }
    if ((options.paddingMode ?? 'zeros') !== 'zeros') {
      throw new ValueError(
        `${name}: paddingMode '${options.paddingMode}' is not supported (only 'zeros')`,
      );
    }
    const dtype = options.dtype ?? 'float32';
    // PyTorch's layouts: conv [out, in/g, ...k], transposed [in, out/g, ...k].
    const [a, b] = transposed
      ? [inChannels, outChannels / this.groups]
      : [outChannels, inChannels / this.groups];
    this.weight = new Parameter(empty([a, b, ...this.kernelSize], dtype));
    this.bias = (options.bias ?? true) ? new Parameter(empty([outChannels], dtype)) : null;
    this.resetParameters(generator);
  }

  /**
   * Draws fresh initial values as PyTorch's `reset_parameters`: kaimingUniform(a = sqrt(5)) on
   * the weight, U(-1/sqrt(fanIn), 1/sqrt(fanIn)) on the bias.
   */
  resetParameters(generator?: Generator): void {
    kaimingUniform(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform(this.bias, { a: -bound, b: bound, generator });
    }
  }

  /** PyTorch's `extra_repr`: sizes as tuples; padding, dilation, groups only when not default. */
  protected describe(o: ConvLayerOptions | ConvTransposeLayerOptions): string {
    const n = this.kernelSize.length;
    const tuple = (v: SizeArg, name: string, min: number) =>
      pyTuple(perDim(v, n, name, this.constructor.name, min));
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}`;
    s += `, stride=${tuple(o.stride ?? 1, 'stride', 1)}`;
    const padding = o.padding ?? 0;
    if (typeof padding === 'string') s += `, padding=${padding}`;
    else if (perDim(padding, n, 'padding', '', 0).some((p) => p !== 0))
      s += `, padding=${tuple(padding, 'padding', 0)}`;
    if (perDim(o.dilation ?? 1, n, 'dilation', '', 1).some((d) => d !== 1))
      s += `, dilation=${tuple(o.dilation ?? 1, 'dilation', 1)}`;
    if ('outputPadding' in o && o.outputPadding !== undefined) {
      const op = perDim(o.outputPadding, n, 'outputPadding', '', 0);
      if (op.some((p) => p !== 0)) s += `, output_padding=${pyTuple(op)}`;
    }
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/** A Python tuple literal: `(3, 3)`, `(7,)`. */
function pyTuple(v: readonly number[]): string {
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(', ')})`;
}

/**
 * 2-D convolution layer over [N, C, H, W], as `torch.nn.Conv2d`: `weight`
 * [out, in/groups, kH, kW], `bias` [out], PyTorch's default initialization.
 *
 * @example
 * ```ts
 * const conv = new k.nn.Conv2d(1, 32, 3, { padding: 1 });
 * conv.forward(k.randn([8, 1, 28, 28])).shape; // [8, 32, 28, 28]
 * ```
 */
export class Conv2d extends ConvBase {
  readonly options: ConvLayerOptions;
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    options: ConvLayerOptions = {},
  ) {
    super(inChannels, outChannels, kernelSize, 2, false, options, options.generator);
    this.options = { ...options, generator: undefined };
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
  /**
   * This layer and a plain ReLU after it in one step (`nn.Sequential` asks), or null when
   * `next` is anything else or either class is subclassed (its forward may differ).
   */
  forwardWith(x: Tensor, next: Module): Tensor | null {
    if (this.constructor !== Conv2d || next.constructor !== ReLU) return null;
    return conv2dRelu(x, this.weight, this.bias, this.options);
  }
  /**
   * This layer, a plain ReLU and a plain 2x2 max pool (stride 2, no padding, dilation 1, floor)
   * in one step (`nn.Sequential` asks), or null when the layers are anything else.
   */
  forwardWithTwo(x: Tensor, next: Module, after: Module): Tensor | null {
    if (this.constructor !== Conv2d || next.constructor !== ReLU) return null;
    if (after.constructor !== MaxPool2d) return null;
    const { kernelSize, options } = after as MaxPool2d;
    const two = (v: SizeArg | null | undefined): boolean =>
      v === 2 || (Array.isArray(v) && v.length === 2 && v[0] === 2 && v[1] === 2);
    const zero = (v: SizeArg | undefined, z: number): boolean =>
      v === undefined || v === z || (Array.isArray(v) && v.every((e) => e === z));
    const strideOk = options.stride === undefined || options.stride === null || two(options.stride);
    if (!two(kernelSize) || !strideOk || options.ceilMode) return null;
    if (!zero(options.padding, 0) || !zero(options.dilation, 1)) return null;
    return conv2dReluPool(x, this.weight, this.bias, this.options);
  }
  protected override extraRepr(): string {
    return this.describe(this.options);
  }
}

/**
 * 1-D convolution layer over [N, C, L], as `torch.nn.Conv1d`: `weight` [out, in/groups, k].
 *
 * @example
 * ```ts
 * const conv = new k.nn.Conv1d(4, 8, 5, { padding: 'same' });
 * conv.forward(k.randn([2, 4, 100])).shape; // [2, 8, 100]
 * ```
 */
export class Conv1d extends ConvBase {
  readonly options: ConvLayerOptions;
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    options: ConvLayerOptions = {},
  ) {
    super(inChannels, outChannels, kernelSize, 1, false, options, options.generator);
    this.options = { ...options, generator: undefined };
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.options);
  }
  protected override extraRepr(): string {
    return this.describe(this.options);
  }
}

/**
 * Transposed 2-D convolution layer (learned upsampling), as `torch.nn.ConvTranspose2d`: `weight`
 * [in, out/groups, kH, kW], `bias` [out].
 *
 * @example
 * ```ts
 * const up = new k.nn.ConvTranspose2d(16, 8, 2, { stride: 2 });
 * up.forward(k.randn([1, 16, 7, 7])).shape; // [1, 8, 14, 14]
 * ```
 */
export class ConvTranspose2d extends ConvBase {
  readonly options: ConvTransposeLayerOptions;
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: SizeArg,
    options: ConvTransposeLayerOptions = {},
  ) {
    super(inChannels, outChannels, kernelSize, 2, true, options, options.generator);
    this.options = { ...options, generator: undefined };
  }
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }
  protected override extraRepr(): string {
    return this.describe(this.options);
  }
}
