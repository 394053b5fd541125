import { isFloat } from '../../tensor/dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/** How a loss reduces its per-element values: PyTorch's names. */
export type Reduction = 'mean' | 'sum' | 'none';

/** The option every loss accepts. */
export interface ReductionOptions {
  /** 'mean' (default), 'sum', or 'none' (per-element losses). */
  reduction?: Reduction;
}

/** Applies `reduction` to per-element losses. @example `reduce(d.square(), 'mean', 'mseLoss')` */
export function reduce(loss: Tensor, reduction: Reduction | undefined, op: string): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean':
      return loss.mean();
    case 'sum':
      return loss.sum();
    case 'none':
      return loss;
    default:
      throw new ValueError(
        `${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`,
      );
  }
}

/** Throws unless `t` is a float tensor; `role` names it in the message. @example `requireFloatArg(t, 'mseLoss', 'target')` */
export function requireFloatArg(t: Tensor, op: string, role: string): void {
  if (!isFloat(t.dtype))
    throw new DTypeError(`${op}: ${role} must be float32 or float64, got ${t.dtype}`);
}

/**
 * Elementwise losses require equal shapes. PyTorch only warns and broadcasts, which silently
 * turns [N,1] vs [N] into an [N,N] loss; kiln refuses instead (a deliberate difference).
 *
 * @example
 * ```ts
 * requireSameShape(pred, target, 'l1Loss'); // ShapeError: l1Loss: input [4,1] and target [4] ...
 * ```
 */
export function requireSameShape(input: Tensor, target: Tensor, op: string): void {
  if (input.ndim !== target.ndim || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(
      `${op}: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} must have the same shape`,
    );
  }
}
