import { ones, zeros } from '../../ops/creation.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { batchNorm, layerNorm } from '../functional-layers.js';
import { Module } from '../module.js';
import { Buffer, Parameter } from '../parameter.js';

/** Options of the batch norm layers. */
export interface BatchNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Running-average weight of each new batch (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn `weight` (ones) and `bias` (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Dtype of the parameters and running statistics (float32 by default). */
  dtype?: DType;
}

/** Shared batch norm logic; subclasses fix the accepted input ranks. */
abstract class BatchNormBase extends Module<[Tensor], Tensor> {
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Buffer | null;
  runningVar: Buffer | null;
  numBatchesTracked: Buffer | null;
  readonly eps: number;
  readonly momentum: number | null;
  protected abstract readonly ranks: readonly number[];

  constructor(
    readonly numFeatures: number,
    options: BatchNormLayerOptions = {},
  ) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const affine = options.affine ?? true;
    const track = options.trackRunningStats ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures], { dtype })) : null;
    this.runningMean = track ? new Buffer(zeros([numFeatures], { dtype })) : null;
    this.runningVar = track ? new Buffer(ones([numFeatures], { dtype })) : null;
    this.numBatchesTracked = track ? new Buffer(zeros([], { dtype: 'int32' })) : null;
    this.setKeyName('runningMean', 'running_mean');
    this.setKeyName('runningVar', 'running_var');
    this.setKeyName('numBatchesTracked', 'num_batches_tracked');
  }

  /** Resets the running statistics to mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    this.runningMean?.fill_(0);
    this.runningVar?.fill_(1);
    this.numBatchesTracked?.fill_(0);
  }

  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    if (!this.ranks.includes(x.ndim)) {
      throw new ShapeError(
        `${name}: expected ${this.ranks.map((r) => `${r}-D`).join(' or ')} input, got ${fmtShape(x.shape)}`,
      );
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `${name}: input ${fmtShape(x.shape)} has ${x.shape[1]} channels at dim 1, expected ${this.numFeatures}`,
      );
    }
    if (this.training && x.numel() <= this.numFeatures) {
      // Checked before counting the batch (PyTorch counts it, then fails in batch_norm).
      throw new ValueError(
        `${name}: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`,
      );
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      this.numBatchesTracked.add_(1);
      // momentum null: the cumulative moving average, 1 / number of batches seen.
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.item();
    }
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training || this.runningMean === null,
      momentum: factor,
      eps: this.eps,
    });
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, track_running_stats=${this.runningMean !== null}`;
  }
}

/**
 * Batch normalization over [N, C] or [N, C, L] input, as `torch.nn.BatchNorm1d`: batch
 * statistics in training (biased variance to normalize, unbiased in the running update), running
 * statistics in eval. State-dict keys `weight`, `bias`, `running_mean`, `running_var`,
 * `num_batches_tracked` (int32).
 *
 * @example
 * ```ts
 * const bn = new k.nn.BatchNorm1d(16);
 * bn.forward(k.randn([8, 16]));
 * ```
 */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
}

/** Batch normalization over [N, C, H, W] input, as `torch.nn.BatchNorm2d`. @example `new k.nn.BatchNorm2d(3)` */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn `weight` (and `bias`) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** Learn a bias when affine (default true). */
  bias?: boolean;
  dtype?: DType;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims, as `torch.nn.LayerNorm`.
 *
 * @example
 * ```ts
 * const ln = new k.nn.LayerNorm(64);
 * ln.forward(k.randn([2, 10, 64]));
 * ```
 */
export class LayerNorm extends Module<[Tensor], Tensor> {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const dtype = options.dtype ?? 'float32';
    this.normalizedShape =
      typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias =
      affine && (options.bias ?? true)
        ? new Parameter(zeros(this.normalizedShape, { dtype }))
        : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}, elementwise_affine=${this.weight !== null}`;
  }
}
