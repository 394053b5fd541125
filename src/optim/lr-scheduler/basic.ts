import { ValueError } from '../../tensor/errors.js';
import type { Optimizer } from '../optimizer.js';
import { checkInt, checkRange, LRScheduler, type SchedulerOptions } from './scheduler.js';

/** A function of the epoch giving a factor, one for all groups or one per group. */
export type LrLambda = (epoch: number) => number;

function lambdas(
  optimizer: Optimizer,
  who: string,
  lrLambda: LrLambda | readonly LrLambda[],
): LrLambda[] {
  const n = optimizer.paramGroups.length;
  if (typeof lrLambda === 'function') return new Array<LrLambda>(n).fill(lrLambda);
  if (!Array.isArray(lrLambda) || lrLambda.length !== n)
    throw new ValueError(
      `${who}: expected lrLambda to be a function or ${n} functions (one per param group)`,
    );
  return [...lrLambda];
}

/** Options of {@link LambdaLR} and {@link MultiplicativeLR}. */
export interface LambdaLROptions extends SchedulerOptions {
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * `lr = baseLr * lrLambda(epoch)`, as `torch.optim.lr_scheduler.LambdaLR`. The functions are not
 * saved by `stateDict()`; pass the same ones when resuming.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.LambdaLR(opt, { lrLambda: (e) => 0.95 ** e });
 * ```
 */
export class LambdaLR extends LRScheduler<{ lrLambda: LrLambda[] }> {
  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    super(
      optimizer,
      { lrLambda: lambdas(optimizer, 'LambdaLR', options.lrLambda) },
      options.lastEpoch,
    );
  }

  lrAt(epoch: number, baseLr: number, group: number): number {
    return baseLr * this.opts.lrLambda[group]!(epoch);
  }
}

/**
 * Multiplies the learning rate by `lrLambda(epoch)` at every step after the first, as
 * `torch.optim.lr_scheduler.MultiplicativeLR`: `lr = baseLr * prod(lrLambda(1..epoch))`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.MultiplicativeLR(opt, { lrLambda: () => 0.95 });
 * ```
 */
export class MultiplicativeLR extends LRScheduler<{ lrLambda: LrLambda[] }> {
  // The running product makes consecutive steps O(1) while lrAt stays a function of the epoch.
  private cache: { epoch: number; factor: number }[] | undefined;

  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    super(
      optimizer,
      { lrLambda: lambdas(optimizer, 'MultiplicativeLR', options.lrLambda) },
      options.lastEpoch,
    );
  }

  lrAt(epoch: number, baseLr: number, group: number): number {
    this.cache ??= [];
    let c = this.cache[group];
    // Stryker disable next-line ConditionalExpression,EqualityOperator: restarting from epoch 0 gives the same product
    if (!c || c.epoch > epoch) c = { epoch: 0, factor: 1 };
    const fn = this.opts.lrLambda[group]!;
    while (c.epoch < epoch) c = { epoch: c.epoch + 1, factor: c.factor * fn(c.epoch + 1) };
    this.cache[group] = c;
    return baseLr * c.factor;
  }
}

/** Options of {@link StepLR}. */
export interface StepLROptions extends SchedulerOptions {
  /** Epochs between two decays. */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/**
 * `lr = baseLr * gamma ** floor(epoch / stepSize)`, as `torch.optim.lr_scheduler.StepLR`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * ```
 */
export class StepLR extends LRScheduler<Required<Omit<StepLROptions, 'lastEpoch'>>> {
  constructor(optimizer: Optimizer, options: StepLROptions) {
    checkInt('StepLR', 'stepSize', options.stepSize, 1);
    super(
      optimizer,
      { stepSize: options.stepSize, gamma: options.gamma ?? 0.1 },
      options.lastEpoch,
    );
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.opts.gamma ** Math.floor(epoch / this.opts.stepSize);
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions extends SchedulerOptions {
  /** Epochs at which the learning rate is multiplied by gamma (a repeated one counts twice). */
  milestones: readonly number[];
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/**
 * `lr = baseLr * gamma ** (number of milestones <= epoch)`, as `MultiStepLR`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler<{ milestones: number[]; gamma: number }> {
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    // lrAt counts the milestones passed, so their order does not matter.
    const milestones = [...options.milestones];
    super(optimizer, { milestones, gamma: options.gamma ?? 0.1 }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    const passed = this.opts.milestones.filter((m) => m <= epoch).length;
    return baseLr * this.opts.gamma ** passed;
  }
}

/** Options of {@link ConstantLR}. */
export interface ConstantLROptions extends SchedulerOptions {
  /** Factor applied before `totalIters` (default 1/3). */
  factor?: number;
  /** Epochs during which the factor applies (default 5). */
  totalIters?: number;
}

/**
 * `lr = baseLr * factor` until `totalIters`, then `baseLr`, as `ConstantLR`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.ConstantLR(opt, { factor: 0.5, totalIters: 4 });
 * ```
 */
export class ConstantLR extends LRScheduler<{ factor: number; totalIters: number }> {
  constructor(optimizer: Optimizer, options: ConstantLROptions = {}) {
    const factor = options.factor ?? 1 / 3;
    const totalIters = options.totalIters ?? 5;
    checkRange('ConstantLR', 'factor', factor, 0, 1);
    checkInt('ConstantLR', 'totalIters', totalIters, 0);
    super(optimizer, { factor, totalIters }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * (epoch < this.opts.totalIters ? this.opts.factor : 1);
  }
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions extends SchedulerOptions {
  /** Factor at epoch 0 (default 1/3). */
  startFactor?: number;
  /** Factor from `totalIters` on (default 1). */
  endFactor?: number;
  /** Epochs of the linear ramp (default 5). */
  totalIters?: number;
}

/**
 * Linear ramp of the factor from `startFactor` to `endFactor` over `totalIters` epochs, as
 * `LinearLR` (a common warm-up).
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 10 });
 * ```
 */
export class LinearLR extends LRScheduler<{
  startFactor: number;
  endFactor: number;
  totalIters: number;
}> {
  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    const startFactor = options.startFactor ?? 1 / 3;
    const endFactor = options.endFactor ?? 1;
    const totalIters = options.totalIters ?? 5;
    if (!(startFactor > 0 && startFactor <= 1))
      throw new ValueError(
        `LinearLR: invalid startFactor ${startFactor}; expected 0 < startFactor <= 1`,
      );
    checkRange('LinearLR', 'endFactor', endFactor, 0, 1);
    checkInt('LinearLR', 'totalIters', totalIters, 1);
    super(optimizer, { startFactor, endFactor, totalIters }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    const { startFactor, endFactor, totalIters } = this.opts;
    return (
      baseLr *
      (startFactor + ((endFactor - startFactor) * Math.min(totalIters, epoch)) / totalIters)
    );
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions extends SchedulerOptions {
  /** Decay factor per epoch. */
  gamma: number;
}

/**
 * `lr = baseLr * gamma ** epoch`, as `ExponentialLR`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.ExponentialLR(opt, { gamma: 0.95 });
 * ```
 */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    if (!Number.isFinite(options.gamma))
      throw new ValueError(`ExponentialLR: invalid gamma ${String(options.gamma)}`);
    super(optimizer, { gamma: options.gamma }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    return baseLr * this.opts.gamma ** epoch;
  }
}

/** Options of {@link PolynomialLR}. */
export interface PolynomialLROptions extends SchedulerOptions {
  /** Epochs until the learning rate reaches 0 (default 5). */
  totalIters?: number;
  /** Power of the polynomial (default 1). */
  power?: number;
}

/**
 * `lr = baseLr * (1 - min(epoch, totalIters) / totalIters) ** power`, as `PolynomialLR`.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.PolynomialLR(opt, { totalIters: 100, power: 2 });
 * ```
 */
export class PolynomialLR extends LRScheduler<{ totalIters: number; power: number }> {
  constructor(optimizer: Optimizer, options: PolynomialLROptions = {}) {
    const totalIters = options.totalIters ?? 5;
    checkInt('PolynomialLR', 'totalIters', totalIters, 1);
    super(optimizer, { totalIters, power: options.power ?? 1 }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    const { totalIters, power } = this.opts;
    return baseLr * (1 - Math.min(totalIters, epoch) / totalIters) ** power;
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Half period, in epochs. */
  tMax: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
}

/**
 * `lr = etaMin + (baseLr - etaMin) (1 + cos(pi epoch / tMax)) / 2`, the closed form of
 * `CosineAnnealingLR` (past `tMax` it rises again, as PyTorch's).
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin: number }> {
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    if (typeof options.tMax !== 'number' || !(options.tMax > 0))
      throw new ValueError(`CosineAnnealingLR: invalid tMax ${String(options.tMax)}; expected > 0`);
    super(optimizer, { tMax: options.tMax, etaMin: options.etaMin ?? 0 }, options.lastEpoch);
  }

  lrAt(epoch: number, baseLr: number): number {
    const { tMax, etaMin } = this.opts;
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
  }
}

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions extends SchedulerOptions {
  /** Epochs of the first cycle. */
  t0: number;
  /** Growth factor of the cycle length after each restart (integer, default 1). */
  tMult?: number;
  /** Minimum learning rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing restarted every cycle (SGDR), as `CosineAnnealingWarmRestarts`, stepped once
 * per epoch (fractional epochs are not supported).
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 });
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler<{
  t0: number;
  tMult: number;
  etaMin: number;
}> {
  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    const tMult = options.tMult ?? 1;
    checkInt('CosineAnnealingWarmRestarts', 't0', options.t0, 1);
    checkInt('CosineAnnealingWarmRestarts', 'tMult', tMult, 1);
    super(optimizer, { t0: options.t0, tMult, etaMin: options.etaMin ?? 0 }, options.lastEpoch);
  }

  /** The position in the current cycle and that cycle's length at `epoch`. */
  cycleAt(epoch: number): { tCur: number; tI: number } {
    const { t0, tMult } = this.opts;
    // Stryker disable next-line ConditionalExpression: a shortcut; the loop below gives the same with tMult 1
    if (tMult === 1) return { tCur: epoch % t0, tI: t0 };
    let tCur = epoch;
    let tI = t0;
    while (tCur >= tI) {
      tCur -= tI;
      tI *= tMult;
    }
    return { tCur, tI };
  }

  lrAt(epoch: number, baseLr: number): number {
    const { tCur, tI } = this.cycleAt(epoch);
    const { etaMin } = this.opts;
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }
}
