import type { Tensor } from '../../tensor/tensor.js';
import type { SizeArg } from '../conv-args.js';
import {
  type AvgPoolOptions,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  type MaxPoolOptions,
  maxPool1d,
  maxPool2d,
} from '../functional-pool.js';
import { Module } from '../module.js';

/** A value as Python prints it: `2`, `(2, 3)`, `True`, `None`. */
function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0])},)` : `(${v.map(py).join(', ')})`;
  return String(v);
}

/** PyTorch's `extra_repr` of the max pooling layers (every option, defaults filled in). */
function maxRepr(kernelSize: SizeArg, o: MaxPoolOptions): string {
  const stride = o.stride ?? kernelSize;
  return `kernel_size=${py(kernelSize)}, stride=${py(stride)}, padding=${py(o.padding ?? 0)}, dilation=${py(o.dilation ?? 1)}, ceil_mode=${py(o.ceilMode ?? false)}`;
}

/** PyTorch's `extra_repr` of the average pooling layers. */
function avgRepr(kernelSize: SizeArg, o: AvgPoolOptions): string {
  return `kernel_size=${py(kernelSize)}, stride=${py(o.stride ?? kernelSize)}, padding=${py(o.padding ?? 0)}`;
}

/**
 * 2-D max pooling, as `torch.nn.MaxPool2d(kernelSize, { stride = kernelSize, padding, dilation,
 * ceilMode })`.
 *
 * @example
 * ```ts
 * new k.nn.MaxPool2d(2).forward(k.randn([8, 32, 26, 26])).shape; // [8, 32, 13, 13]
 * ```
 */
export class MaxPool2d extends Module<[Tensor], Tensor> {
  constructor(
    readonly kernelSize: SizeArg,
    readonly options: MaxPoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return maxRepr(this.kernelSize, this.options);
  }
}

/**
 * 1-D max pooling over [N, C, L], as `torch.nn.MaxPool1d`.
 *
 * @example
 * ```ts
 * new k.nn.MaxPool1d(3, { stride: 2 }).forward(k.randn([2, 4, 11])).shape; // [2, 4, 5]
 * ```
 */
export class MaxPool1d extends Module<[Tensor], Tensor> {
  constructor(
    readonly kernelSize: SizeArg,
    readonly options: MaxPoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return maxRepr(this.kernelSize, this.options);
  }
}

/**
 * 2-D average pooling, as `torch.nn.AvgPool2d(kernelSize, { stride = kernelSize, padding,
 * ceilMode, countIncludePad = true, divisorOverride })`.
 *
 * @example
 * ```ts
 * new k.nn.AvgPool2d(2).forward(k.randn([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * ```
 */
export class AvgPool2d extends Module<[Tensor], Tensor> {
  constructor(
    readonly kernelSize: SizeArg,
    readonly options: AvgPoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return avgRepr(this.kernelSize, this.options);
  }
}

/**
 * 1-D average pooling over [N, C, L], as `torch.nn.AvgPool1d`.
 *
 * @example
 * ```ts
 * new k.nn.AvgPool1d(2).forward(k.randn([2, 3, 10])).shape; // [2, 3, 5]
 * ```
 */
export class AvgPool1d extends Module<[Tensor], Tensor> {
  constructor(
    readonly kernelSize: SizeArg,
    readonly options: Omit<AvgPoolOptions, 'divisorOverride'> = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options);
  }
  protected override extraRepr(): string {
    return avgRepr(this.kernelSize, this.options);
  }
}

/**
 * Adaptive 2-D average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`
 * (`outputSize` a number or [H, W] with null keeping that input size).
 *
 * @example
 * ```ts
 * new k.nn.AdaptiveAvgPool2d(1).forward(k.randn([2, 64, 7, 7])).shape; // [2, 64, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module<[Tensor], Tensor> {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  protected override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}
