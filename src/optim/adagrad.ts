import type { Tensor } from '../tensor/tensor.js';
import {
  type BaseOptions,
  checkNonNegative,
  checkUnitInterval,
  Optimizer,
  optionsArg,
  type ParamGroup,
  type ParamGroupSpec,
  type UpdateArgs,
} from './optimizer.js';

/** Options of {@link Adagrad}, PyTorch's keywords in camelCase. */
export interface AdagradOptions extends BaseOptions {
  /** Learning-rate decay: step t uses `lr / (1 + (t - 1) * lrDecay)` (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Starting value of the sum of squared gradients (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator, outside the square root (default 1e-10). */
  eps: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * Adagrad, as `torch.optim.Adagrad` (`lr` 1e-2, `eps` 1e-10). Its state is created at
 * construction, as in PyTorch, so `initialAccumulatorValue` appears in `stateDict()` at once.
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adagrad(model.parameters(), { lr: 0.1, initialAccumulatorValue: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(
    params: readonly Tensor[] | readonly ParamGroupSpec<AdagradOptions>[],
    arg: Partial<AdagradOptions> | number = {},
  ) {
    const options = optionsArg<AdagradOptions>('Adagrad', arg);
    super(params, {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
      maximize: options.maximize ?? false,
    });
  }

  override addParamGroup(group: ParamGroupSpec<AdagradOptions>): void {
    super.addParamGroup(group);
    const added = this.paramGroups[this.paramGroups.length - 1]!;
    for (const p of added.params) this.initState(p, added);
  }

  private initState(param: Tensor, group: ParamGroup<AdagradOptions>): void {
    const sum = this.buffer(param);
    sum.fill_(group.initialAccumulatorValue);
    this.state.set(param, { step: 0, sum });
  }

  protected override validate(group: ParamGroup<AdagradOptions>): void {
    super.validate(group);
    checkNonNegative('Adagrad', 'lrDecay', group.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', group.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', group.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', group.eps);
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<AdagradOptions>): void {
    if (state.sum === undefined) this.initState(param, group);
    const own = this.state.get(param)!;
    const step = (own.step as number) + 1;
    own.step = step;
    const sum = (own.sum as Tensor).storage;
    const { lr, lrDecay, weightDecay: wd, eps } = group;
    const sign = group.maximize ? -1 : 1;
    const clr = lr / (1 + (step - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]! + wd * p[pOff + i]!;
      sum[i] = sum[i]! + d * d;
      const std = Math.sqrt(sum[i]!) + eps;
      p[pOff + i] = p[pOff + i]! - clr * (d / std);
    }
  }
}

/** Options of {@link Adadelta}, PyTorch's keywords in camelCase. */
export interface AdadeltaOptions extends BaseOptions {
  /** Decay rate of the running averages (default 0.9). */
  rho: number;
  /** Added inside both square roots (default 1e-6). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * Adadelta, as `torch.optim.Adadelta` (`lr` 1, `rho` 0.9, `eps` 1e-6).
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adadelta(model.parameters(), { rho: 0.95 });
 * ```
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(
    params: readonly Tensor[] | readonly ParamGroupSpec<AdadeltaOptions>[],
    arg: Partial<AdadeltaOptions> | number = {},
  ) {
    const options = optionsArg<AdadeltaOptions>('Adadelta', arg);
    super(params, {
      lr: options.lr ?? 1,
      rho: options.rho ?? 0.9,
      eps: options.eps ?? 1e-6,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override validate(group: ParamGroup<AdadeltaOptions>): void {
    super.validate(group);
    if (group.rho !== 1) checkUnitInterval('Adadelta', 'rho', group.rho);
    checkNonNegative('Adadelta', 'eps', group.eps);
    checkNonNegative('Adadelta', 'weightDecay', group.weightDecay);
  }

  protected update({
    p,
    pOff,
    g,
    gOff,
    n,
    group,
    state,
    param,
  }: UpdateArgs<AdadeltaOptions>): void {
    if (state.step === undefined) {
      state.step = 0;
      state.square_avg = this.buffer(param);
      state.acc_delta = this.buffer(param);
    }
    state.step = (state.step as number) + 1;
    const sq = (state.square_avg as Tensor).storage;
    const acc = (state.acc_delta as Tensor).storage;
    const { lr, rho, eps, weightDecay: wd } = group;
    const sign = group.maximize ? -1 : 1;
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]! + wd * p[pOff + i]!;
      sq[i] = sq[i]! * rho + (1 - rho) * d * d;
      const std = Math.sqrt(sq[i]! + eps);
      const delta = (Math.sqrt(acc[i]! + eps) / std) * d;
      acc[i] = acc[i]! * rho + (1 - rho) * delta * delta;
      p[pOff + i] = p[pOff + i]! - lr * delta;
    }
  }
}
