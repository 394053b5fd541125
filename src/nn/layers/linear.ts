import { empty } from '../../ops/core.js';
import type { DType } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { linear } from '../functional-layers.js';
import { kaimingUniform, uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values (the default generator otherwise). */
  generator?: Generator;
}

/**
 * Fully connected layer y = x W^T + b, as `torch.nn.Linear`: `weight` [out, in], `bias` [out],
 * both initialized as PyTorch does, U(-1/sqrt(in), 1/sqrt(in)) (the weight through
 * kaimingUniform with a = sqrt(5)).
 *
 * @example
 * ```ts
 * const fc = new k.nn.Linear(4, 2);
 * fc.forward(k.randn([8, 4])).shape; // [8, 2]
 * ```
 */
export class Linear extends Module<[Tensor], Tensor> {
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(empty([outFeatures, inFeatures], dtype));
    this.bias = (options.bias ?? true) ? new Parameter(empty([outFeatures], dtype)) : null;
    this.resetParameters(options.generator);
  }

  /** Draws fresh initial values, as PyTorch's `reset_parameters`. */
  resetParameters(generator?: Generator): void {
    kaimingUniform(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      uniform(this.bias, { a: -bound, b: bound, generator });
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input, as `torch.nn.Identity` (a placeholder in architectures). @example `new k.nn.Identity()` */
export class Identity extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Flattens dims `startDim`..`endDim` (default 1..-1, keeping the batch dim), as
 * `torch.nn.Flatten`.
 *
 * @example
 * ```ts
 * new k.nn.Flatten().forward(k.zeros([8, 3, 4, 4])).shape; // [8, 48]
 * ```
 */
export class Flatten extends Module<[Tensor], Tensor> {
  readonly startDim: number;
  readonly endDim: number;
  constructor(options: { startDim?: number; endDim?: number } = {}) {
    super();
    this.startDim = options.startDim ?? 1;
    this.endDim = options.endDim ?? -1;
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  protected override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
