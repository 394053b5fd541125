import type { Tensor } from '../tensor/tensor.js';
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  optionsArg,
  type ParamGroup,
  type ParamGroupSpec,
  type UpdateArgs,
} from './optimizer.js';

/** Options of {@link RMSprop}, PyTorch's keywords in camelCase. */
export interface RMSpropOptions extends BaseOptions {
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator, outside the square root (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. */
  centered: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * RMSprop, as `torch.optim.RMSprop` (`lr` 1e-2, `alpha` 0.99, `eps` 1e-8 outside the root).
 *
 * @example
 * ```ts
 * const opt = new k.optim.RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(
    params: readonly Tensor[] | readonly ParamGroupSpec<RMSpropOptions>[],
    arg: Partial<RMSpropOptions> | number = {},
  ) {
    const options = optionsArg<RMSpropOptions>('RMSprop', arg);
    super(params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override validate(group: ParamGroup<RMSpropOptions>): void {
    super.validate(group);
    checkNonNegative('RMSprop', 'alpha', group.alpha);
    checkNonNegative('RMSprop', 'eps', group.eps);
    checkNonNegative('RMSprop', 'weightDecay', group.weightDecay);
    checkNonNegative('RMSprop', 'momentum', group.momentum);
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<RMSpropOptions>): void {
    const { lr, alpha, eps, weightDecay: wd, momentum, centered } = group;
    if (state.step === undefined) {
      state.step = 0;
      state.square_avg = this.buffer(param);
    }
    state.step = (state.step as number) + 1;
    // Buffers are created on demand: the options of a live group may change between steps.
    if (momentum > 0 && state.momentum_buffer === undefined)
      state.momentum_buffer = this.buffer(param);
    if (centered && state.grad_avg === undefined) state.grad_avg = this.buffer(param);
    const sq = (state.square_avg as Tensor).storage;
    const buf = momentum > 0 ? (state.momentum_buffer as Tensor).storage : null;
    const ga = centered ? (state.grad_avg as Tensor).storage : null;
    const sign = group.maximize ? -1 : 1;
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]! + wd * p[pOff + i]!;
      sq[i] = sq[i]! * alpha + (1 - alpha) * d * d;
      let avg: number;
      if (ga) {
        ga[i] = ga[i]! * alpha + (1 - alpha) * d;
        avg = Math.sqrt(sq[i]! - ga[i]! * ga[i]!) + eps;
      } else {
        avg = Math.sqrt(sq[i]!) + eps;
      }
      if (buf) {
        buf[i] = buf[i]! * momentum + d / avg;
        p[pOff + i] = p[pOff + i]! - lr * buf[i]!;
      } else {
        p[pOff + i] = p[pOff + i]! - lr * (d / avg);
      }
    }
  }
}
