import { fusedOptimizer } from '../backend/native/index.js';
import { ValueError } from '../tensor/errors.js';
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

/** Options of {@link SGD}, PyTorch's keywords in camelCase. */
export interface SGDOptions extends BaseOptions {
  /** Momentum factor (default 0). */
  momentum: number;
  /** Dampening of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Maximize the objective instead of minimizing it (default false). */
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, as `torch.optim.SGD`. The momentum buffer
 * starts as the first gradient (no dampening on that step), as in PyTorch. `lr` defaults to 1e-3
 * (PyTorch 2.x's default; PyTorch 1.x required it).
 *
 * @example
 * ```ts
 * const opt = new k.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(
    params: readonly Tensor[] | readonly ParamGroupSpec<SGDOptions>[],
    arg: Partial<SGDOptions> | number = {},
  ) {
    const options = optionsArg<SGDOptions>('SGD', arg);
    super(params, {
      lr: options.lr ?? 1e-3,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
    });
  }

  protected override validate(group: ParamGroup<SGDOptions>): void {
    super.validate(group);
    checkNonNegative('SGD', 'momentum', group.momentum);
    checkNonNegative('SGD', 'weightDecay', group.weightDecay);
    if (!Number.isFinite(group.dampening))
      throw new ValueError(`SGD: invalid dampening ${String(group.dampening)}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0))
      throw new ValueError(
        `SGD: nesterov needs momentum > 0 and dampening 0, got momentum ${group.momentum} and dampening ${group.dampening}`,
      );
  }

  protected update({ p, pOff, g, gOff, n, group, state, param }: UpdateArgs<SGDOptions>): void {
    const { lr, momentum, dampening, nesterov, weightDecay: wd } = group;
    const sign = group.maximize ? -1 : 1;
    // The native fused kernel computes exactly these loops (bit-identical); false: not its dtype.
    const fused = fusedOptimizer();
    // Stryker disable next-line BooleanLiteral: `first` is read only with a momentum buffer (set below)
    const scalars = { lr, momentum, dampening, weightDecay: wd, sign, nesterov, first: false };
    if (momentum === 0) {
      // Stryker disable next-line ConditionalExpression: skipping the kernel runs the identical js loop
      if (fused?.sgdUpdate(p, pOff, g, gOff, null, n, scalars)) return;
      for (let i = 0; i < n; i++) {
        const d = sign * g[gOff + i]! + wd * p[pOff + i]!;
        p[pOff + i] = p[pOff + i]! - lr * d;
      }
      return;
    }
    let first = false;
    if (state.momentum_buffer === undefined) {
      state.momentum_buffer = this.buffer(param);
      first = true;
    }
    const buf = (state.momentum_buffer as Tensor).storage;
    scalars.first = first;
    // Stryker disable next-line ConditionalExpression: skipping the kernel runs the identical js loop
    if (fused?.sgdUpdate(p, pOff, g, gOff, buf, n, scalars)) return;
    for (let i = 0; i < n; i++) {
      let d = sign * g[gOff + i]! + wd * p[pOff + i]!;
      const b = first ? d : buf[i]! * momentum + (1 - dampening) * d;
      buf[i] = b;
      // Re-read the stored buffer so float32 parameters see the same rounded value as PyTorch.
      d = nesterov ? d + momentum * buf[i]! : buf[i]!;
      p[pOff + i] = p[pOff + i]! - lr * d;
    }
  }
}
