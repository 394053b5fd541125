import { where } from '../../ops/elementwise.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  type Reduction,
  type ReductionOptions,
  reduce,
  requireFloatArg,
  requireSameShape,
} from './common.js';

/** Options of `klDiv`. */
export interface KLDivOptions {
  /**
   * 'mean' (default, PyTorch's: the mean over all elements, which is not the KL divergence),
   * 'batchmean' (sum / batch size, the true KL divergence), 'sum' or 'none'.
   */
  reduction?: Reduction | 'batchmean';
  /** Whether the target is given as log probabilities (default false). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence with `input` as log probabilities, as
 * `torch.nn.functional.kl_div`: pointwise `t (log t - input)` (0 where t = 0), or
 * `exp(t) (t - input)` with `logTarget`.
 *
 * @example
 * ```ts
 * const loss = k.F.klDiv(logits.logSoftmax(1), targetProbs, { reduction: 'batchmean' });
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const op = 'klDiv';
  requireFloatArg(input, op, 'input');
  requireFloatArg(target, op, 'target');
  requireSameShape(input, target, op);
  let loss: Tensor;
  if (options.logTarget) {
    loss = target.exp().mul(target.sub(input));
  } else {
    // xlogy(t, t): log of 1 where t <= 0 so that neither the value nor its gradient is NaN.
    const positive = target.gt(0);
    const logT = where(positive, target, 1).log();
    loss = where(positive, target.mul(logT), 0).sub(target.mul(input));
  }
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'batchmean') {
    const batch = input.ndim === 0 ? 1 : input.shape[0]!;
    return loss.sum().div(batch);
  }
  return reduce(loss, reduction, op);
}

/** Options of `cosineEmbeddingLoss`. @example `k.F.cosineEmbeddingLoss(a, b, y, { margin: 0.2, reduction: 'sum' })` */
export interface CosineEmbeddingOptions extends ReductionOptions {
  /** For dissimilar pairs (y = -1): max(0, cos - margin). Default 0. */
  margin?: number;
}

/**
 * Cosine embedding loss, as `torch.nn.functional.cosine_embedding_loss`: 1 - cos(a, b) for
 * y = 1 and max(0, cos(a, b) - margin) for y = -1, with a, b of shape [N, D] (or [D]) and y of
 * shape [N] (or []) holding 1 or -1.
 *
 * @example
 * ```ts
 * const loss = k.F.cosineEmbeddingLoss(a, b, k.tensor([1, -1]), { margin: 0.2 });
 * ```
 */
export function cosineEmbeddingLoss(
  a: Tensor,
  b: Tensor,
  y: Tensor,
  options: CosineEmbeddingOptions = {},
): Tensor {
  const op = 'cosineEmbeddingLoss';
  requireFloatArg(a, op, 'input1');
  requireFloatArg(b, op, 'input2');
  requireSameShape(a, b, op);
  if (a.ndim !== 1 && a.ndim !== 2)
    throw new ShapeError(`${op}: inputs must be [N, D] or [D], got ${fmtShape(a.shape)}`);
  const expected = a.shape.slice(0, -1);
  if (y.ndim !== expected.length || y.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `${op}: target ${fmtShape(y.shape)} does not fit inputs ${fmtShape(a.shape)} (expected ${fmtShape(expected)})`,
    );
  }
  const values = y.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 1 && values[i] !== -1)
      throw new ValueError(`${op}: target values must be 1 or -1, got ${values[i]} at ${i}`);
  }
  const margin = options.margin ?? 0;
  const dim = a.ndim - 1;
  // The 1e-12 under the root is PyTorch's EPSILON: it keeps zero vectors finite.
  const dot = a.mul(b).sum(dim);
  const denom = a.square().sum(dim).add(1e-12).mul(b.square().sum(dim).add(1e-12)).sqrt();
  const cos = dot.div(denom);
  const loss = where(y.eq(1), cos.neg().add(1), cos.sub(margin).clamp(0));
  return reduce(loss, options.reduction, op);
}
