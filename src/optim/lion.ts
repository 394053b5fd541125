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

/** Options of {@link Lion}. */
export interface LionOptions extends BaseOptions {
  /** Interpolation factor of the update direction, and decay of the momentum (default [0.9, 0.99]). */
  betas: [number, number];
  /** Decoupled weight decay, as AdamW's (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), which is not in
 * PyTorch: `c = beta1 m + (1 - beta1) g`, `p -= lr (sign(c) + weightDecay p)`,
 * `m = beta2 m + (1 - beta2) g`. Its updates have unit size per element, so it wants a learning
 * rate 3-10x smaller than AdamW's (default 1e-4) and a larger weight decay.
 *
 * @example
 * ```ts
 * const opt = new k.optim.Lion(model.parameters(), { lr: 1e-4, weightDecay: 0.1 });
 * ```
 */
export class Lion extends Optimizer<LionOptions> {
  constructor(
    params: readonly Tensor[] | readonly ParamGroupSpec<LionOptions>[],
    arg: Partial<LionOptions> | number = {},
  ) {
    const options = optionsArg<LionOptions>('Lion', arg);
    super(params, {
      lr: options.lr ?? 1e-4,
      betas: betasOption(options.betas, [0.9, 0.99]),
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override validate(group: ParamGroup<LionOptions>): void {
    super.validate(group);
    checkNonNegative('Lion', 'weightDecay', group.weightDecay);
    checkBetas('Lion', group.betas);
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<LionOptions>): void {
    if (state.exp_avg === undefined) state.exp_avg = this.buffer(param);
    const m = (state.exp_avg as Tensor).storage;
    const { lr, weightDecay: wd } = group;
    const [beta1, beta2] = group.betas;
    const sign = group.maximize ? -1 : 1;
    const shrink = 1 - lr * wd;
    for (let i = 0; i < n; i++) {
      const d = sign * g[gOff + i]!;
      const c = m[i]! * beta1 + (1 - beta1) * d;
      p[pOff + i] = p[pOff + i]! * shrink - lr * Math.sign(c);
      m[i] = m[i]! * beta2 + (1 - beta2) * d;
    }
  }
}
