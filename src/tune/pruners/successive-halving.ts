import { ValueError } from '../../tensor/errors.js';
import { type FrozenTrial, lastStep } from '../frozen-trial.js';
import { checkKnown } from '../samplers/random.js';
import type { Pruner, StudyView } from '../view.js';

/** Options of SuccessiveHalvingPruner, Optuna's names and defaults. @example `new k.tune.SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 })` */
export interface SuccessiveHalvingPrunerOptions {
  /** Steps of the first rung; 'auto' (default) takes 1/100 of the longest completed trial. */
  minResource?: number | 'auto';
  /** eta: each rung keeps the top 1/eta of the trials that reached it (default 4). */
  reductionFactor?: number;
  /** s: the first rung is at minResource * eta^s steps (default 0). */
  minEarlyStoppingRate?: number;
  /** Trials a rung must have seen before it promotes anything (default 0). */
  bootstrapCount?: number;
}

/** The system attribute holding a trial's value at rung r. @internal */
export function rungKey(rung: number): string {
  return `completed_rung_${rung}`;
}

/**
 * Asynchronous Successive Halving (ASHA, Li et al. 2018) as Optuna's SuccessiveHalvingPruner.
 * Rung r is reached at step `minResource * eta^(s + r)`; a trial reaching a rung records its
 * value there and goes on only if it is in the top 1/eta of all values recorded at that rung so
 * far (while fewer than eta values are there, only if it is the best). Decisions never wait for
 * other trials, so workers run independently.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ pruner: new k.tune.SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 }) });
 * ```
 */
export class SuccessiveHalvingPruner implements Pruner {
  private minResource: number | null;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  private readonly bootstrapCount: number;

  constructor(options: SuccessiveHalvingPrunerOptions = {}) {
    checkKnown('SuccessiveHalvingPruner', options, [
      'minResource',
      'reductionFactor',
      'minEarlyStoppingRate',
      'bootstrapCount',
    ]);
    const min = options.minResource ?? 'auto';
    if (min !== 'auto' && !(Number.isInteger(min) && min >= 1)) {
      throw new ValueError(
        `SuccessiveHalvingPruner: minResource must be 'auto' or an integer >= 1, got ${min}`,
      );
    }
    this.minResource = min === 'auto' ? null : min;
    this.reductionFactor = options.reductionFactor ?? 4;
    if (!Number.isInteger(this.reductionFactor) || this.reductionFactor < 2) {
      throw new ValueError(
        `SuccessiveHalvingPruner: reductionFactor must be an integer >= 2, got ${this.reductionFactor}`,
      );
    }
    this.minEarlyStoppingRate = options.minEarlyStoppingRate ?? 0;
    if (!Number.isInteger(this.minEarlyStoppingRate) || this.minEarlyStoppingRate < 0) {
      throw new ValueError(
        'SuccessiveHalvingPruner: minEarlyStoppingRate must be a non-negative integer',
      );
    }
    this.bootstrapCount = options.bootstrapCount ?? 0;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    if (step === null) return false;
    let rung = 0;
    while (rungKey(rung) in trial.systemAttrs) rung++;
    const value = trial.intermediateValues.get(step) as number;
    const trials = study.getTrials();
    if (this.minResource === null) {
      this.minResource = estimateMinResource(trials);
      if (this.minResource === null) return false;
    }
    for (;;) {
      const promotionStep =
        this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
      if (step < promotionStep) return false;
      if (Number.isNaN(value)) return true;
      const key = rungKey(rung);
      study.setTrialSystemAttr(trial.number, key, value);
      const competing = [value];
      for (const t of trials) {
        const v = t.systemAttrs[key];
        if (t.number !== trial.number && typeof v === 'number') competing.push(v);
      }
      if (competing.length <= this.bootstrapCount) return true;
      if (!promotable(value, competing, this.reductionFactor, study.direction === 'maximize'))
        return true;
      rung++;
    }
  }
}

function estimateMinResource(trials: readonly FrozenTrial[]): number | null {
  let last: number | null = null;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const s = lastStep(t);
    if (s !== null && (last === null || s > last)) last = s;
  }
  return last === null ? null : Math.max(Math.floor(last / 100), 1);
}

function promotable(value: number, competing: number[], eta: number, maximize: boolean): boolean {
  let idx = Math.floor(competing.length / eta) - 1;
  // Until eta values are in, only the best so far goes on (trials cannot be paused and resumed).
  if (idx === -1) idx = 0;
  competing.sort((a, b) => a - b);
  if (maximize) return value >= (competing[competing.length - 1 - idx] as number);
  return value <= (competing[idx] as number);
}
