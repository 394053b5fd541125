import { arange } from '../../ops/creation.js';
import { fusedCrossEntropy } from '../../ops/cross-entropy.js';
import { where } from '../../ops/elementwise.js';
import { isFloat, type TypedArray } from '../../tensor/dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ReductionOptions, reduce, requireFloatArg } from './common.js';

/** Options of `nllLoss`. */
export interface NLLOptions extends ReductionOptions {
  /** Per-class weight [C]; 'mean' then divides by the sum of the targets' weights. */
  weight?: Tensor | null;
  /** Targets equal to this contribute nothing, not even to the mean's count (default -100). */
  ignoreIndex?: number;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NLLOptions {
  /** Mixes the target with the uniform distribution: (1 - s) target + s / C (default 0). */
  labelSmoothing?: number;
}

/** Validates class-index targets and returns the class dim of the (batched) input. */
/** Checks int32 class indices against the input and returns them in row-major order. */
function checkIndexTarget(
  input: Tensor,
  target: Tensor,
  op: string,
  ignoreIndex: number,
): TypedArray {
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${op}: target must be int32 class indices${op === 'crossEntropy' ? ' or float class probabilities' : ''}, got ${target.dtype}`,
    );
  }
  const expected = [input.shape[0]!, ...input.shape.slice(2)];
  if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(
      `${op}: target ${fmtShape(target.shape)} does not fit input ${fmtShape(input.shape)} (expected target ${fmtShape(expected)})`,
    );
  }
  const c = input.shape[1]!;
  // A contiguous target (a batch cut from a dataset) is read in place, without a copy.
  const data = target.isContiguous()
    ? target.storage.subarray(target.offset, target.offset + target.numel())
    : target.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= c)) {
      throw new ValueError(
        `${op}: target ${v} is out of bounds for ${c} classes (input ${fmtShape(input.shape)}, flat position ${i})`,
      );
    }
  }
  return data;
}

function checkClassWeight(weight: Tensor, c: number, op: string): void {
  requireFloatArg(weight, op, 'weight');
  if (weight.ndim !== 1 || weight.shape[0] !== c)
    throw new ShapeError(`${op}: weight has shape ${fmtShape(weight.shape)}, expected [${c}]`);
}

/** Input and target with a batch dim: unbatched [C] / [] become [1, C] / [1]. */
function batched(input: Tensor, target: Tensor, op: string): [Tensor, Tensor, boolean] {
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have at least 1 dim, got []`);
  if (input.ndim === 1) return [input.unsqueeze(0), target.unsqueeze(0), true];
  return [input, target, false];
}

/**
 * The per-target weights (0 where ignored), the mask of kept targets, and the picked log
 * probabilities, for a batched input [N, C, ...] and int32 target [N, ...].
 */
function pick(
  logp: Tensor,
  target: Tensor,
  weight: Tensor | null | undefined,
  ignoreIndex: number,
): { picked: Tensor; w: Tensor; keep: Tensor } {
  const keep = target.ne(ignoreIndex);
  const safe = where(keep, target, 0);
  const picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1);
  const perTarget = weight
    ? weight.indexSelect(0, safe.reshape([safe.numel()])).reshape(safe.shape)
    : keep.to(logp.dtype);
  const w = where(keep, perTarget, 0).to(logp.dtype);
  return { picked, w, keep };
}

function nllBatched(logp: Tensor, target: Tensor, options: NLLOptions, op: string): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const { picked, w, keep } = pick(logp, target, options.weight, ignoreIndex);
  // where, not a product, so that an ignored -inf log probability cannot make 0 * inf = NaN.
  const loss = where(keep, picked.mul(w).neg(), 0);
  if ((options.reduction ?? 'mean') === 'mean') return loss.sum().div(w.sum());
  return reduce(loss, options.reduction, op);
}

/**
 * Negative log likelihood of class indices from log probabilities, as
 * `torch.nn.functional.nll_loss`: input [N, C] (or [N, C, d1, ...], or [C]) and int32 target
 * [N] (or [N, d1, ...], or []). With `weight`, 'mean' divides by the sum of the weights of the
 * non-ignored targets, as PyTorch.
 *
 * @example
 * ```ts
 * const loss = k.F.nllLoss(logits.logSoftmax(1), labels, { ignoreIndex: 0 });
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLOptions = {}): Tensor {
  const op = 'nllLoss';
  requireFloatArg(input, op, 'input');
  const [x, t, unbatched] = batched(input, target, op);
  checkIndexTarget(x, t, op, options.ignoreIndex ?? -100);
  if (options.weight) checkClassWeight(options.weight, x.shape[1]!, op);
  const loss = nllBatched(x, t, options, op);
  return unbatched && options.reduction === 'none' ? loss.squeeze(0) : loss;
}

/**
 * Cross entropy between logits and targets, as `torch.nn.functional.cross_entropy`: logits
 * [N, C] (or [N, C, d1, ...], or [C]) with int32 class indices [N] (or [N, d1, ...], or []), or
 * float class probabilities of the logits' shape. Computed from logSoftmax, so it is stable for
 * any logits. `weight`, `ignoreIndex` and `labelSmoothing` follow PyTorch's formulas exactly
 * (with indices, the smoothing term is normalized like the NLL term).
 *
 * @example
 * ```ts
 * const loss = k.F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 * ```
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  requireFloatArg(input, op, 'input');
  const ls = options.labelSmoothing ?? 0;
  if (!(ls >= 0 && ls <= 1))
    throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${ls}`);
  const [x, t, unbatched] = batched(input, target, op);
  const c = x.shape[1]!;
  if (options.weight) checkClassWeight(options.weight, c, op);
  const fused = !isFloat(t.dtype) && ls === 0 && x.ndim === 2;
  const logp = fused ? x : x.logSoftmax(1);
  const wb = options.weight?.reshape([c, ...x.shape.slice(2).map(() => 1)]);
  const reduction = options.reduction ?? 'mean';
  let loss: Tensor;
  if (isFloat(t.dtype)) {
    if (t.ndim !== x.ndim || t.shape.some((d, i) => d !== x.shape[i])) {
      // A float target one dim short is class indices made with k.tensor([0, 1, 1]) (float32).
      const indices =
        t.ndim === x.ndim - 1
          ? `; class indices must be int32: k.tensor([0, 1, 1], { dtype: 'int32' }) or target.long()`
          : '';
      throw new ShapeError(
        `${op}: probability target ${fmtShape(target.shape)} must have the input's shape ${fmtShape(input.shape)}${indices}`,
      );
    }
    const probs = ls > 0 ? t.mul(1 - ls).add(ls / c) : t;
    const terms = wb ? logp.mul(probs).mul(wb) : logp.mul(probs);
    const perSample = terms.sum(1).neg();
    loss =
      reduction === 'mean' ? perSample.sum().div(x.numel() / c) : reduce(perSample, reduction, op);
  } else {
    const ignoreIndex = options.ignoreIndex ?? -100;
    const classes = checkIndexTarget(x, t, op, ignoreIndex);
    if (fused) {
      // The common case runs as one fused primitive (same values, far fewer ops).
      const loss = fusedCrossEntropy(x, classes, options.weight ?? null, ignoreIndex, reduction);
      return unbatched && reduction === 'none' ? loss.squeeze(0) : loss;
    }
    const nll = nllBatched(logp, t, options, op);
    if (ls === 0) {
      loss = nll;
    } else {
      const { w, keep } = pick(logp, t, options.weight, ignoreIndex);
      const smooth = where(keep, (wb ? logp.mul(wb) : logp).sum(1).neg(), 0);
      const smoothReduced =
        reduction === 'mean' ? smooth.sum().div(w.sum()) : reduce(smooth, reduction, op);
      loss = nll.mul(1 - ls).add(smoothReduced.mul(ls / c));
    }
  }
  return unbatched && reduction === 'none' ? loss.squeeze(0) : loss;
}

/** Options of `multiMarginLoss`. */
export interface MultiMarginOptions extends ReductionOptions {
  /** 1 (default) or 2: the power of the hinge. */
  p?: 1 | 2;
  /** Default 1. */
  margin?: number;
  /** Per-class weight [C], applied by the target's class. */
  weight?: Tensor | null;
}

/**
 * Multi-class hinge loss, as `torch.nn.functional.multi_margin_loss`: for each sample,
 * sum over j != y of w[y] max(0, margin - x[y] + x[j])^p, divided by C.
 *
 * @example
 * ```ts
 * const loss = k.F.multiMarginLoss(scores, labels, { margin: 0.5 });
 * ```
 */
export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultiMarginOptions = {},
): Tensor {
  const op = 'multiMarginLoss';
  const { p = 1, margin = 1 } = options;
  if (p !== 1 && p !== 2)
    throw new ValueError(`${op}: only p = 1 and p = 2 are supported, got ${p}`);
  requireFloatArg(input, op, 'input');
  const [x, t, unbatched] = batched(input, target, op);
  if (x.ndim !== 2)
    throw new ShapeError(`${op}: input must be [N, C] or [C], got ${fmtShape(input.shape)}`);
  checkIndexTarget(x, t, op, Number.NaN);
  const c = x.shape[1]!;
  if (options.weight) checkClassWeight(options.weight, c, op);
  const idx = t.unsqueeze(1);
  const z = x.sub(x.gather(1, idx)).add(margin).relu();
  let h = p === 2 ? z.square() : z;
  if (options.weight) h = h.mul(options.weight.indexSelect(0, t).unsqueeze(1));
  const isTarget = idx.eq(arange(0, c, 1, { dtype: 'int32' }).unsqueeze(0));
  const loss = where(isTarget, 0, h).sum(1).div(c);
  const out = reduce(loss, options.reduction, op);
  return unbatched && options.reduction === 'none' ? out.squeeze(0) : out;
}
