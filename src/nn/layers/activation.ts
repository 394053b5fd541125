import { elu, type GeluOptions, gelu, leakyRelu } from '../../ops/activation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** max(x, 0), as `torch.nn.ReLU`. @example `new k.nn.ReLU().forward(x)` */
export class ReLU extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** Leaky ReLU with `negativeSlope` (default 0.01). @example `new k.nn.LeakyReLU(0.2)` */
export class LeakyReLU extends Module<[Tensor], Tensor> {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negative_slope=${this.negativeSlope}`;
  }
}

/** Exponential linear unit with `alpha` (default 1). @example `new k.nn.ELU(0.5)` */
export class ELU extends Module<[Tensor], Tensor> {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** GELU, exact (erf) by default or `{ approximate: 'tanh' }`. @example `new k.nn.GELU({ approximate: 'tanh' })` */
export class GELU extends Module<[Tensor], Tensor> {
  readonly approximate: 'none' | 'tanh';
  constructor(options: GeluOptions = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** Logistic sigmoid. @example `new k.nn.Sigmoid()` */
export class Sigmoid extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Hyperbolic tangent. @example `new k.nn.Tanh()` */
export class Tanh extends Module<[Tensor], Tensor> {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * Softmax along `dim` (required: PyTorch's implicit dim is deprecated).
 *
 * @example
 * ```ts
 * new k.nn.Softmax(1).forward(logits);
 * ```
 */
export class Softmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.softmax(this.dim);
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Log-softmax along `dim` (required). @example `new k.nn.LogSoftmax(1)` */
export class LogSoftmax extends Module<[Tensor], Tensor> {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.logSoftmax(this.dim);
  }
  protected override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
