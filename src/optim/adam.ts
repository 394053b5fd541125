import { fusedOptimizer } from '../backend/native/index.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  type BaseOptions,
  betasOption,
  checkBetas,
  checkNonNegative,
  Optimizer,
  optionsArg,
  type ParamGroup,
  type ParamGroupSpec,
  type UpdateArgs,
} from './optimizer.js';

/** Options of {@link Adam} and {@link AdamW}, PyTorch's keywords in camelCase. */
export interface AdamOptions extends BaseOptions {
  /** Decay rates of the first and second moment averages (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to the denominator, outside the square root (default 1e-8). */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay: number;
  /** Use the maximum of past second moments (AMSGrad; default false). */
  amsgrad: boolean;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/** Params of an Adam-family constructor. */
type Params<O extends BaseOptions> = readonly Tensor[] | readonly ParamGroupSpec<O>[];

function adamDefaults(options: Partial<AdamOptions>, weightDecay: number): AdamOptions {
  return {
    lr: options.lr ?? 1e-3,
    betas: betasOption(options.betas, [0.9, 0.999]),
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? weightDecay,
    amsgrad: options.amsgrad ?? false,
    maximize: options.maximize ?? false,
  };
}

/**
 * Adam, as `torch.optim.Adam`: bias-corrected moment estimates, `eps` added outside the square
 * root, optional AMSGrad. `weightDecay` is an L2 term added to the gradient (see {@link AdamW} for
 * decoupled decay).
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.98] });
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  /** Whether weight decay multiplies the parameter directly (AdamW) instead of joining the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Params<AdamOptions>, arg: Partial<AdamOptions> | number = {}) {
    const options = optionsArg<AdamOptions>('Adam', arg);
    super(params, adamDefaults(options, 0));
  }

  protected override validate(group: ParamGroup<AdamOptions>): void {
    super.validate(group);
    checkNonNegative(this.name, 'eps', group.eps);
    checkNonNegative(this.name, 'weightDecay', group.weightDecay);
    checkBetas(this.name, group.betas);
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<AdamOptions>): void {
    const { lr, eps, weightDecay: wd, amsgrad } = group;
    const [beta1, beta2] = group.betas;
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.buffer(param);
      state.exp_avg_sq = this.buffer(param);
      if (amsgrad) state.max_exp_avg_sq = this.buffer(param);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    const m = (state.exp_avg as Tensor).storage;
    const v = (state.exp_avg_sq as Tensor).storage;
    const vMax = amsgrad ? (state.max_exp_avg_sq as Tensor).storage : null;
    const sign = group.maximize ? -1 : 1;
    const stepSize = lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    const l2 = this.decoupled ? 0 : wd;
    const shrink = this.decoupled ? 1 - lr * wd : 1;
    // The native fused kernel computes exactly this loop (bit-identical); false: not its dtype.
    // Stryker disable next-line ConditionalExpression: without the kernel the identical js loop runs
    const fused = vMax ? null : fusedOptimizer();
    const scalars = { beta1, beta2, stepSize, bc2Sqrt, eps, l2, shrink, sign };
    // Stryker disable next-line ConditionalExpression: skipping the kernel runs the identical js loop
    if (fused?.adamUpdate(p, pOff, g, gOff, m, v, n, scalars)) return;
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]! + l2 * p[pOff + i]!;
      // Adam's shrink is 1 (p * 1 is p exactly, NaN and -0 included).
      p[pOff + i] = p[pOff + i]! * shrink;
      m[i] = m[i]! * beta1 + (1 - beta1) * d;
      v[i] = v[i]! * beta2 + (1 - beta2) * d * d;
      let second = v[i]!;
      if (vMax) {
        // Stryker disable next-line EqualityOperator: on equality both keep the same value
        if (second > vMax[i]! || Number.isNaN(second)) vMax[i] = second;
        second = vMax[i]!;
      }
      const denom = Math.sqrt(second) / bc2Sqrt + eps;
      p[pOff + i] = p[pOff + i]! - stepSize * (m[i]! / denom);
    }
  }
}

/**
 * AdamW, as `torch.optim.AdamW`: Adam with decoupled weight decay (the parameter is multiplied by
 * `1 - lr * weightDecay` before the Adam step); `weightDecay` defaults to 1e-2.
 *
 * @example
 * ```ts
 * const opt = new k.optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 * ```
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Params<AdamOptions>, arg: Partial<AdamOptions> | number = {}) {
    const options = optionsArg<AdamOptions>('AdamW', arg);
    super(params, adamDefaults(options, 1e-2));
  }
}

/** Options of {@link Adamax}. */
export interface AdamaxOptions extends BaseOptions {
  /** Decay rates of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to |grad| before the running maximum (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * Adamax (Adam with the infinity norm), as `torch.optim.Adamax`; `lr` defaults to 2e-3.
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adamax(model.parameters(), { lr: 2e-3 });
 * ```
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, arg: Partial<AdamaxOptions> | number = {}) {
    const options = optionsArg<AdamaxOptions>('Adamax', arg);
    super(params, {
      lr: options.lr ?? 2e-3,
      betas: betasOption(options.betas, [0.9, 0.999]),
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override validate(group: ParamGroup<AdamaxOptions>): void {
    super.validate(group);
    checkNonNegative('Adamax', 'eps', group.eps);
    checkNonNegative('Adamax', 'weightDecay', group.weightDecay);
    checkBetas('Adamax', group.betas);
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<AdamaxOptions>): void {
    const { lr, eps, weightDecay: wd } = group;
    const [beta1, beta2] = group.betas;
    if (state.step === undefined) {
      state.step = 0;
      state.exp_avg = this.buffer(param);
      state.exp_inf = this.buffer(param);
    }
    const step = (state.step as number) + 1;
    state.step = step;
    const m = (state.exp_avg as Tensor).storage;
    const u = (state.exp_inf as Tensor).storage;
    const sign = group.maximize ? -1 : 1;
    const clr = lr / (1 - beta1 ** step);
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]! + wd * p[pOff + i]!;
      m[i] = m[i]! * beta1 + (1 - beta1) * d;
      const decayed = u[i]! * beta2;
      const current = Math.abs(d) + eps;
      // Stryker disable next-line EqualityOperator: on equality both give the same value
      u[i] = decayed > current || Number.isNaN(decayed) ? decayed : current;
      p[pOff + i] = p[pOff + i]! - clr * (m[i]! / u[i]!);
    }
  }
}
