import { where } from '../../ops/elementwise.js';
import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type ReductionOptions, reduce, requireFloatArg, requireSameShape } from './common.js';

function diff(input: Tensor, target: Tensor, op: string): Tensor {
  requireFloatArg(input, op, 'input');
  requireFloatArg(target, op, 'target');
  requireSameShape(input, target, op);
  return input.sub(target);
}

/**
 * Mean squared error, as `torch.nn.functional.mse_loss`.
 *
 * @example
 * ```ts
 * const loss = k.F.mseLoss(pred, y);
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce(diff(input, target, 'mseLoss').square(), options.reduction, 'mseLoss');
}

/** Mean absolute error, as `torch.nn.functional.l1_loss`. @example `k.F.l1Loss(pred, y)` */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  return reduce(diff(input, target, 'l1Loss').abs(), options.reduction, 'l1Loss');
}

/** Options of `huberLoss`. */
export interface HuberOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1, must be positive). */
  delta?: number;
}

/**
 * Huber loss: 0.5 d^2 for |d| < delta, else delta (|d| - 0.5 delta), as
 * `torch.nn.functional.huber_loss`.
 *
 * @example
 * ```ts
 * const loss = k.F.huberLoss(pred, y, { delta: 2 });
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const delta = options.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(`huberLoss: delta must be positive, got ${delta}`);
  const d = diff(input, target, 'huberLoss');
  const a = d.abs();
  const loss = where(a.lt(delta), d.square().mul(0.5), a.sub(0.5 * delta).mul(delta));
  return reduce(loss, options.reduction, 'huberLoss');
}

/** Options of `smoothL1Loss`. */
export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 gives the L1 loss). */
  beta?: number;
}

/**
 * Smooth L1 loss: 0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta, as
 * `torch.nn.functional.smooth_l1_loss` (equal to huberLoss / beta).
 *
 * @example
 * ```ts
 * const loss = k.F.smoothL1Loss(pred, y, { beta: 0.5 });
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const beta = options.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = diff(input, target, 'smoothL1Loss');
  const a = d.abs();
  const loss = beta === 0 ? a : where(a.lt(beta), d.square().mul(0.5 / beta), a.sub(0.5 * beta));
  return reduce(loss, options.reduction, 'smoothL1Loss');
}
