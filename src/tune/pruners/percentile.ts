import { ValueError } from '../../tensor/errors.js';
import { type FrozenTrial, lastStep } from '../frozen-trial.js';
import { checkKnown } from '../samplers/random.js';
import type { Pruner, StudyView } from '../view.js';

/** Options of MedianPruner and PercentilePruner, Optuna's defaults. @example `new k.tune.MedianPruner({ nStartupTrials: 5, nWarmupSteps: 2 })` */
export interface PercentilePrunerOptions {
  /** No pruning until this many trials have completed (default 5). */
  nStartupTrials?: number;
  /** No pruning before this step of a trial (default 0). */
  nWarmupSteps?: number;
  /** Prune only every this many steps after the warm-up (default 1). */
  intervalSteps?: number;
  /** Completed trials that must have reported at the step for it to count (default 1). */
  nMinTrials?: number;
}

/**
 * Prunes a trial whose best value so far is worse than the given percentile of the completed
 * trials' values at the same step (Optuna's PercentilePruner; for maximizing studies, "worse"
 * means below the (100 - p)-th percentile).
 *
 * @example
 * ```ts
 * const pruner = new k.tune.PercentilePruner(25, { nStartupTrials: 5 }); // keep the top quarter
 * ```
 */
export class PercentilePruner implements Pruner {
  private readonly nStartupTrials: number;
  private readonly nWarmupSteps: number;
  private readonly intervalSteps: number;
  private readonly nMinTrials: number;

  constructor(
    readonly percentile: number,
    options: PercentilePrunerOptions = {},
  ) {
    checkKnown('PercentilePruner', options, [
      'nStartupTrials',
      'nWarmupSteps',
      'intervalSteps',
      'nMinTrials',
    ]);
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new ValueError(`PercentilePruner: percentile must be in [0, 100], got ${percentile}`);
    }
    this.nStartupTrials = nonNegative('nStartupTrials', options.nStartupTrials ?? 5);
    this.nWarmupSteps = nonNegative('nWarmupSteps', options.nWarmupSteps ?? 0);
    this.intervalSteps = nonNegative('intervalSteps', options.intervalSteps ?? 1);
    this.nMinTrials = nonNegative('nMinTrials', options.nMinTrials ?? 1);
    if (this.intervalSteps < 1)
      throw new ValueError('PercentilePruner: intervalSteps must be >= 1');
    if (this.nMinTrials < 1) throw new ValueError('PercentilePruner: nMinTrials must be >= 1');
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const completed = study.getTrials(['complete']);
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    const step = lastStep(trial);
    if (step === null || step < this.nWarmupSteps) return false;
    if (
      !firstInInterval(
        step,
        [...trial.intermediateValues.keys()],
        this.nWarmupSteps,
        this.intervalSteps,
      )
    ) {
      return false;
    }
    const maximize = study.direction === 'maximize';
    const mine = [...trial.intermediateValues.values()].filter((v) => !Number.isNaN(v));
    if (mine.length === 0) return true;
    const best = maximize ? Math.max(...mine) : Math.min(...mine);
    const others: number[] = [];
    for (const t of completed) {
      const v = t.intermediateValues.get(step);
      if (v !== undefined) others.push(v);
    }
    if (others.length < this.nMinTrials) return false;
    const p = nanPercentile(others, maximize ? 100 - this.percentile : this.percentile);
    if (Number.isNaN(p)) return false;
    return maximize ? best < p : best > p;
  }
}

/**
 * Prunes a trial whose best value so far is worse than the median of the completed trials at the
 * same step (Optuna's MedianPruner: the 50th percentile).
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ pruner: new k.tune.MedianPruner({ nWarmupSteps: 3 }) });
 * ```
 */
export class MedianPruner extends PercentilePruner {
  constructor(options: PercentilePrunerOptions = {}) {
    super(50, options);
  }
}

function nonNegative(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new ValueError(`pruner: ${name} must be a non-negative integer, got ${v}`);
  return v;
}

/** Whether `step` is the first reported step of its pruning interval (Optuna's rule). */
function firstInInterval(step: number, steps: number[], warmup: number, interval: number): boolean {
  const nearestLower = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

/** numpy's nanpercentile with linear interpolation; NaN when every value is NaN. @internal */
export function nanPercentile(values: number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (v[lo] as number) + ((v[hi] as number) - (v[lo] as number)) * (pos - lo);
}
