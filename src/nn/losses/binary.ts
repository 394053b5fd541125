import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import { broadcastShapes } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ReductionOptions, reduce, requireFloatArg, requireSameShape } from './common.js';

/** Checks that `w` broadcasts to `shape` without enlarging it. */
function checkWeight(w: Tensor, shape: readonly number[], op: string, name: string): void {
  const out = broadcastShapes(w.shape, shape, op);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      `${op}: ${name} of shape ${fmtShape(w.shape)} does not broadcast to the input ${fmtShape(shape)}`,
    );
  }
}

/** Options of `binaryCrossEntropy`. */
export interface BCEOptions extends ReductionOptions {
  /** Per-element rescaling weight, broadcast to the input. */
  weight?: Tensor | null;
}

/**
 * Binary cross entropy on probabilities in [0, 1]: -w (t log p + (1 - t) log(1 - p)), each log
 * clamped at -100 as PyTorch does (so p = 0 or 1 gives a finite loss), as
 * `torch.nn.functional.binary_cross_entropy`. Prefer `binaryCrossEntropyWithLogits` on logits.
 *
 * @example
 * ```ts
 * const loss = k.F.binaryCrossEntropy(probs, targets);
 * ```
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: BCEOptions = {},
): Tensor {
  const op = 'binaryCrossEntropy';
  requireFloatArg(input, op, 'input');
  requireFloatArg(target, op, 'target');
  requireSameShape(input, target, op);
  const values = input.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1))
      throw new ValueError(
        `${op}: all elements of input should be between 0 and 1, got ${v} at flat position ${i}`,
      );
  }
  const logP = input.log().clamp(-100);
  const log1mP = input.neg().add(1).log().clamp(-100);
  let loss = target.mul(logP).add(target.neg().add(1).mul(log1mP)).neg();
  if (options.weight) {
    checkWeight(options.weight, input.shape, op, 'weight');
    loss = loss.mul(options.weight);
  }
  return reduce(loss, options.reduction, op);
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** Weight of the positive examples, broadcast along the last (class) dim. */
  posWeight?: Tensor | null;
}

/**
 * Binary cross entropy on logits x, stable for any x, as
 * `torch.nn.functional.binary_cross_entropy_with_logits`:
 * `(1 - t) x + (1 + (posWeight - 1) t) (-log sigmoid(x))`, times `weight`.
 *
 * @example
 * ```ts
 * const loss = k.F.binaryCrossEntropyWithLogits(logits, targets, { posWeight: k.tensor([3]) });
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BCEWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  requireFloatArg(input, op, 'input');
  requireFloatArg(target, op, 'target');
  requireSameShape(input, target, op);
  // -log(sigmoid(x)) = max(-x, 0) + log1p(exp(-|x|)), exact for any x (softplus's threshold
  // would cut the tail). max(-x, 0) is written (|x| - x) / 2 so that the gradient at x = 0 is
  // the true -1/2 (relu's and abs's subgradients at 0 would both give 0 there).
  const a = input.abs();
  const negLogSig = a.sub(input).mul(0.5).add(a.neg().exp().log1p());
  const oneMinusT = target.neg().add(1);
  let loss: Tensor;
  if (options.posWeight) {
    checkWeight(options.posWeight, input.shape, op, 'posWeight');
    const logWeight = options.posWeight.sub(1).mul(target).add(1);
    loss = oneMinusT.mul(input).add(logWeight.mul(negLogSig));
  } else {
    loss = oneMinusT.mul(input).add(negLogSig);
  }
  if (options.weight) {
    checkWeight(options.weight, input.shape, op, 'weight');
    loss = loss.mul(options.weight);
  }
  return reduce(loss, options.reduction, op);
}
