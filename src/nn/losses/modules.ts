import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Buffer } from '../parameter.js';
import {
  type BCEOptions,
  type BCEWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from './binary.js';
import {
  type CrossEntropyOptions,
  crossEntropy,
  type MultiMarginOptions,
  multiMarginLoss,
  type NLLOptions,
  nllLoss,
} from './classification.js';
import type { Reduction, ReductionOptions } from './common.js';
import {
  type HuberOptions,
  huberLoss,
  l1Loss,
  mseLoss,
  type SmoothL1Options,
  smoothL1Loss,
} from './regression.js';
import {
  type CosineEmbeddingOptions,
  cosineEmbeddingLoss,
  type KLDivOptions,
  klDiv,
} from './similarity.js';

/** Base of the loss modules: `forward(input, target)` returns the loss. */
abstract class Loss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction;
  constructor(options: ReductionOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
  }
  protected override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/** A per-class or per-element weight kept as a buffer, as PyTorch's `_WeightedLoss` does. */
function weightBuffer(w: Tensor | null | undefined): Buffer | null {
  return w ? new Buffer(w) : null;
}

/** Mean squared error module. @example `new k.nn.MSELoss().forward(pred, y)` */
export class MSELoss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error module. @example `new k.nn.L1Loss({ reduction: 'sum' }).forward(pred, y)` */
export class L1Loss extends Loss {
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Huber loss module (see `F.huberLoss`). @example `new k.nn.HuberLoss({ delta: 2 })` */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: HuberOptions = {}) {
    super(options);
    this.delta = options.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Smooth L1 loss module (see `F.smoothL1Loss`). @example `new k.nn.SmoothL1Loss({ beta: 0.5 })` */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: SmoothL1Options = {}) {
    super(options);
    this.beta = options.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Binary cross entropy on probabilities (see `F.binaryCrossEntropy`). @example `new k.nn.BCELoss()` */
export class BCELoss extends Loss {
  weight: Buffer | null;
  constructor(options: BCEOptions = {}) {
    super(options);
    this.weight = weightBuffer(options.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { reduction: this.reduction, weight: this.weight });
  }
}

/**
 * Binary cross entropy on logits (see `F.binaryCrossEntropyWithLogits`); `weight` and
 * `posWeight` are buffers with PyTorch's keys `weight` and `pos_weight`.
 *
 * @example
 * ```ts
 * const lossFn = new k.nn.BCEWithLogitsLoss({ posWeight: k.tensor([2]) });
 * ```
 */
export class BCEWithLogitsLoss extends Loss {
  weight: Buffer | null;
  posWeight: Buffer | null;
  constructor(options: BCEWithLogitsOptions = {}) {
    super(options);
    this.weight = weightBuffer(options.weight);
    this.posWeight = weightBuffer(options.posWeight);
    this.setKeyName('posWeight', 'pos_weight');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      posWeight: this.posWeight,
    });
  }
}

/**
 * Cross entropy on logits (see `F.crossEntropy`).
 *
 * @example
 * ```ts
 * const lossFn = new k.nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const loss = lossFn.forward(logits, labels);
 * ```
 */
export class CrossEntropyLoss extends Loss {
  weight: Buffer | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(options: CrossEntropyOptions = {}) {
    super(options);
    this.weight = weightBuffer(options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Negative log likelihood on log probabilities (see `F.nllLoss`). @example `new k.nn.NLLLoss({ ignoreIndex: 0 })` */
export class NLLLoss extends Loss {
  weight: Buffer | null;
  readonly ignoreIndex: number;
  constructor(options: NLLOptions = {}) {
    super(options);
    this.weight = weightBuffer(options.weight);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
    });
  }
}

/** KL divergence on log probabilities (see `F.klDiv`). @example `new k.nn.KLDivLoss({ reduction: 'batchmean' })` */
export class KLDivLoss extends Module<[Tensor, Tensor], Tensor> {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(options: KLDivOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    this.logTarget = options.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** Multi-class hinge loss (see `F.multiMarginLoss`). @example `new k.nn.MultiMarginLoss({ p: 2 })` */
export class MultiMarginLoss extends Loss {
  weight: Buffer | null;
  readonly p: 1 | 2;
  readonly margin: number;
  constructor(options: MultiMarginOptions = {}) {
    super(options);
    this.weight = weightBuffer(options.weight);
    this.p = options.p ?? 1;
    this.margin = options.margin ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiMarginLoss(input, target, {
      reduction: this.reduction,
      weight: this.weight,
      p: this.p,
      margin: this.margin,
    });
  }
}

/**
 * Cosine embedding loss (see `F.cosineEmbeddingLoss`); `forward(a, b, y)`.
 *
 * @example
 * ```ts
 * const loss = new k.nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(a, b, y);
 * ```
 */
export class CosineEmbeddingLoss extends Module<[Tensor, Tensor, Tensor], Tensor> {
  readonly reduction: Reduction;
  readonly margin: number;
  constructor(options: CosineEmbeddingOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
    this.margin = options.margin ?? 0;
  }
  forward(a: Tensor, b: Tensor, y: Tensor): Tensor {
    return cosineEmbeddingLoss(a, b, y, { reduction: this.reduction, margin: this.margin });
  }
}
