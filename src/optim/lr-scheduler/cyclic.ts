import { ValueError } from '../../tensor/errors.js';
import type { Optimizer } from '../optimizer.js';
import {
  checkCyclableMomentum,
  checkInt,
  checkRange,
  LRScheduler,
  perGroup,
  type SchedulerOptions,
} from './scheduler.js';

/** Options of {@link CyclicLR}, PyTorch's keywords in camelCase. */
export interface CyclicLROptions extends SchedulerOptions {
  /** Lower learning rate of the cycle (one value, or one per param group). */
  baseLr: number | readonly number[];
  /** Upper learning rate of the cycle (one value, or one per param group). */
  maxLr: number | readonly number[];
  /** Steps of the rising half (default 2000). */
  stepSizeUp?: number;
  /** Steps of the falling half (default: stepSizeUp). */
  stepSizeDown?: number | null;
  /** Amplitude policy (default 'triangular'); ignored when `scaleFn` is given. */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Decay of 'exp_range': the amplitude is scaled by gamma ** step (default 1). */
  gamma?: number;
  /** Custom amplitude scaling, of the cycle number or of the step (see `scaleMode`). */
  scaleFn?: (x: number) => number;
  /** What `scaleFn` receives (default 'cycle'). */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle the momentum (SGD's `momentum`, Adam's `betas[0]`) inversely (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the learning rate's peak (default 0.8). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the learning rate's trough (default 0.9). */
  maxMomentum?: number | readonly number[];
}

interface CyclicConfig {
  baseLrs: number[];
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  baseMomentums: number[];
  maxMomentums: number[];
  scaleFn?: (x: number) => number;
}

/**
 * Cyclical learning rates (Smith 2017), as `torch.optim.lr_scheduler.CyclicLR`, stepped after
 * every batch. With `cycleMomentum` the momentum moves opposite to the learning rate; on an
 * Adam-style optimizer that is `betas[0]` (as PyTorch 2.x; 1.13 accepted only `momentum`).
 *
 * @example
 * ```ts
 * const opt = new k.optim.SGD(params, { lr: 0.01, momentum: 0.9 });
 * new k.optim.lrScheduler.CyclicLR(opt, { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 500 });
 * ```
 */
export class CyclicLR extends LRScheduler<CyclicConfig> {
  constructor(optimizer: Optimizer, options: CyclicLROptions) {
    const lastEpoch = options.lastEpoch ?? -1;
    const baseLrs = perGroup(optimizer, 'CyclicLR', 'baseLr', options.baseLr);
    if (lastEpoch === -1)
      optimizer.paramGroups.forEach((g, i) => {
        g.lr = baseLrs[i]!;
      });
    const up = options.stepSizeUp ?? 2000;
    const down = options.stepSizeDown ?? up;
    if (!(up > 0) || !(down >= 0))
      throw new ValueError(`CyclicLR: invalid stepSizeUp ${up} / stepSizeDown ${down}`);
    const mode = options.mode ?? 'triangular';
    if (!options.scaleFn && !['triangular', 'triangular2', 'exp_range'].includes(mode))
      throw new ValueError(
        `CyclicLR: unknown mode '${mode}'; expected 'triangular', 'triangular2' or 'exp_range'`,
      );
    const cycleMomentum = options.cycleMomentum ?? true;
    if (cycleMomentum) checkCyclableMomentum(optimizer, 'CyclicLR');
    const config: CyclicConfig = {
      baseLrs,
      maxLrs: perGroup(optimizer, 'CyclicLR', 'maxLr', options.maxLr),
      totalSize: up + down,
      stepRatio: up / (up + down),
      mode,
      gamma: options.gamma ?? 1,
      scaleMode: options.scaleFn
        ? (options.scaleMode ?? 'cycle')
        : mode === 'exp_range'
          ? 'iterations'
          : 'cycle',
      cycleMomentum,
      baseMomentums: perGroup(optimizer, 'CyclicLR', 'baseMomentum', options.baseMomentum ?? 0.8),
      maxMomentums: perGroup(optimizer, 'CyclicLR', 'maxMomentum', options.maxMomentum ?? 0.9),
    };
    if (options.scaleFn) config.scaleFn = options.scaleFn;
    super(optimizer, config, lastEpoch, false);
    // PyTorch's base learning rates come from `baseLr`, not from the groups' initial lr.
    this.baseLrs = [...baseLrs];
    this.step();
  }

  private scale(epoch: number): { factor: number; amplitude: number } {
    const { totalSize, stepRatio, mode, gamma, scaleMode, scaleFn } = this.opts;
    const cycle = Math.floor(1 + epoch / totalSize);
    const x = 1 + epoch / totalSize - cycle;
    const factor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    const arg = scaleMode === 'cycle' ? cycle : epoch;
    let amplitude: number;
    if (scaleFn) amplitude = scaleFn(arg);
    else if (mode === 'triangular2') amplitude = 1 / 2 ** (arg - 1);
    else if (mode === 'exp_range') amplitude = gamma ** arg;
    else amplitude = 1;
    return { factor, amplitude };
  }

  lrAt(epoch: number, baseLr: number, group: number): number {
    const { factor, amplitude } = this.scale(epoch);
    const height = (this.opts.maxLrs[group]! - baseLr) * factor;
    return baseLr + height * amplitude;
  }

  override momentumAt(epoch: number, group: number): number | undefined {
    if (!this.opts.cycleMomentum) return undefined;
    const { factor, amplitude } = this.scale(epoch);
    const maxM = this.opts.maxMomentums[group]!;
    const height = (maxM - this.opts.baseMomentums[group]!) * factor;
    return maxM - height * amplitude;
  }
}

/** Options of {@link OneCycleLR}, PyTorch's keywords in camelCase. */
export interface OneCycleLROptions extends SchedulerOptions {
  /** Peak learning rate (one value, or one per param group). */
  maxLr: number | readonly number[];
  /** Steps of the whole cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent rising (default 0.3). */
  pctStart?: number;
  /** Shape of the annealing (default 'cos'). */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle the momentum (SGD's `momentum`, Adam's `betas[0]`) inversely (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the learning rate's peak (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Momentum at the start and the end (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** `initialLr = maxLr / divFactor` (default 25). */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor` (default 1e4). */
  finalDivFactor?: number;
  /** Rise, fall back to initialLr symmetrically, then anneal to minLr (default false). */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'max' | 'base';
  endMomentum: 'max' | 'base';
}

interface OneCycleConfig {
  totalSteps: number;
  phases: Phase[];
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  maxLrs: number[];
  divFactor: number;
  finalDivFactor: number;
  baseMomentums: number[];
  maxMomentums: number[];
}

/**
 * The 1cycle policy (Smith and Topin 2018), as `torch.optim.lr_scheduler.OneCycleLR`, stepped
 * after every batch; stepping past `totalSteps` throws, as in PyTorch.
 *
 * @example
 * ```ts
 * new k.optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: loader.length });
 * ```
 */
export class OneCycleLR extends LRScheduler<OneCycleConfig> {
  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const who = 'OneCycleLR';
    let totalSteps: number;
    if (options.totalSteps !== undefined) {
      checkInt(who, 'totalSteps', options.totalSteps, 1);
      totalSteps = options.totalSteps;
    } else if (options.epochs !== undefined && options.stepsPerEpoch !== undefined) {
      checkInt(who, 'epochs', options.epochs, 1);
      checkInt(who, 'stepsPerEpoch', options.stepsPerEpoch, 1);
      totalSteps = options.epochs * options.stepsPerEpoch;
    } else {
      throw new ValueError(`${who}: give totalSteps, or epochs and stepsPerEpoch`);
    }
    const pct = options.pctStart ?? 0.3;
    checkRange(who, 'pctStart', pct, 0, 1);
    const annealStrategy = options.annealStrategy ?? 'cos';
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      throw new ValueError(
        `${who}: unknown annealStrategy '${String(annealStrategy)}'; expected 'cos' or 'linear'`,
      );
    const phases: Phase[] = options.threePhase
      ? [
          {
            endStep: pct * totalSteps - 1,
            startLr: 'initial',
            endLr: 'max',
            startMomentum: 'max',
            endMomentum: 'base',
          },
          {
            endStep: 2 * pct * totalSteps - 2,
            startLr: 'max',
            endLr: 'initial',
            startMomentum: 'base',
            endMomentum: 'max',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'initial',
            endLr: 'min',
            startMomentum: 'max',
            endMomentum: 'max',
          },
        ]
      : [
          {
            endStep: pct * totalSteps - 1,
            startLr: 'initial',
            endLr: 'max',
            startMomentum: 'max',
            endMomentum: 'base',
          },
          {
            endStep: totalSteps - 1,
            startLr: 'max',
            endLr: 'min',
            startMomentum: 'base',
            endMomentum: 'max',
          },
        ];
    const config: OneCycleConfig = {
      totalSteps,
      phases,
      annealStrategy,
      cycleMomentum: options.cycleMomentum ?? true,
      maxLrs: perGroup(optimizer, who, 'maxLr', options.maxLr),
      divFactor: options.divFactor ?? 25,
      finalDivFactor: options.finalDivFactor ?? 1e4,
      baseMomentums: perGroup(optimizer, who, 'baseMomentum', options.baseMomentum ?? 0.85),
      maxMomentums: perGroup(optimizer, who, 'maxMomentum', options.maxMomentum ?? 0.95),
    };
    const lastEpoch = options.lastEpoch ?? -1;
    if (config.cycleMomentum) checkCyclableMomentum(optimizer, who);
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = config.maxLrs[i]! / config.divFactor;
        g.maxLr = config.maxLrs[i]!;
        g.minLr = g.initialLr / config.finalDivFactor;
        if (config.cycleMomentum) {
          g.maxMomentum = config.maxMomentums[i]!;
          g.baseMomentum = config.baseMomentums[i]!;
        }
      });
    }
    super(optimizer, config, lastEpoch);
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.opts.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  /** The phase containing `step` and the fraction of it that is done. */
  private locate(step: number): { phase: Phase; pct: number } {
    if (step > this.opts.totalSteps)
      throw new ValueError(
        `OneCycleLR: tried to step ${step + 1} times; the specified number of total steps is ${this.opts.totalSteps}`,
      );
    const { phases } = this.opts;
    let start = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i]!;
      if (step <= phase.endStep || i === phases.length - 1)
        return { phase, pct: (step - start) / (phase.endStep - start) };
      start = phase.endStep;
    }
    throw new ValueError('OneCycleLR: no phase');
  }

  lrAt(epoch: number, _baseLr: number, group: number): number {
    const { phase, pct } = this.locate(epoch);
    const initial = this.opts.maxLrs[group]! / this.opts.divFactor;
    const value = {
      initial,
      max: this.opts.maxLrs[group]!,
      min: initial / this.opts.finalDivFactor,
    };
    return this.anneal(value[phase.startLr], value[phase.endLr], pct);
  }

  override momentumAt(epoch: number, group: number): number | undefined {
    if (!this.opts.cycleMomentum) return undefined;
    const { phase, pct } = this.locate(epoch);
    const value = { max: this.opts.maxMomentums[group]!, base: this.opts.baseMomentums[group]! };
    return this.anneal(value[phase.startMomentum], value[phase.endMomentum], pct);
  }
}
