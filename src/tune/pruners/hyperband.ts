import { ValueError } from '../../tensor/errors.js';
import { type FrozenTrial, lastStep, type TrialState } from '../frozen-trial.js';
import { checkKnown } from '../samplers/random.js';
import type { Pruner, StudyView } from '../view.js';
import { SuccessiveHalvingPruner } from './successive-halving.js';

/** Options of HyperbandPruner, Optuna's names and defaults. @example `new k.tune.HyperbandPruner({ minResource: 1, maxResource: 81, reductionFactor: 3 })` */
export interface HyperbandPrunerOptions {
  /** Steps of the first rung of the most aggressive bracket (default 1). */
  minResource?: number;
  /** Steps of a full trial; 'auto' (default) takes the longest completed trial's last step + 1. */
  maxResource?: number | 'auto';
  /** eta (default 3). */
  reductionFactor?: number;
  bootstrapCount?: number;
}

/** CRC-32 (IEEE 802.3, as zlib's crc32) of a string's UTF-8 bytes. @internal */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Hyperband (Li et al. 2017) as Optuna's HyperbandPruner: `floor(log_eta(max / min)) + 1`
 * brackets of successive halving, bracket s starting its first rung at `min * eta^s` steps. A trial
 * is assigned to a bracket by a hash of the study name and trial number, with bracket s getting
 * trials in proportion to `ceil(nBrackets * eta^(nBrackets-1-s) / (nBrackets - s))`, and competes
 * only with trials of its bracket.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ pruner: new k.tune.HyperbandPruner({ minResource: 1, maxResource: 27 }) });
 * ```
 */
export class HyperbandPruner implements Pruner {
  private readonly minResource: number;
  private maxResource: number | null;
  private readonly reductionFactor: number;
  private readonly bootstrapCount: number;
  private brackets: SuccessiveHalvingPruner[] = [];
  private budgets: number[] = [];
  private totalBudget = 0;

  constructor(options: HyperbandPrunerOptions = {}) {
    checkKnown('HyperbandPruner', options, [
      'minResource',
      'maxResource',
      'reductionFactor',
      'bootstrapCount',
    ]);
    this.minResource = options.minResource ?? 1;
    const max = options.maxResource ?? 'auto';
    if (max !== 'auto' && !(Number.isInteger(max) && max >= this.minResource)) {
      throw new ValueError(
        `HyperbandPruner: maxResource must be 'auto' or an integer >= minResource, got ${max}`,
      );
    }
    this.maxResource = max === 'auto' ? null : max;
    this.reductionFactor = options.reductionFactor ?? 3;
    this.bootstrapCount = options.bootstrapCount ?? 0;
    if (this.maxResource !== null) this.init();
  }

  /** Number of brackets (0 until maxResource is known). */
  get nBrackets(): number {
    return this.brackets.length;
  }

  /** Trials per bracket in one round of the hash assignment. */
  get bracketBudgets(): readonly number[] {
    return this.budgets;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    if (this.brackets.length === 0) {
      const done = study.getTrials(['complete']);
      const steps = done.map(lastStep).filter((s): s is number => s !== null);
      if (steps.length === 0) return false;
      this.maxResource = Math.max(...steps) + 1;
      this.init();
    }
    const id = this.bracketOf(study, trial.number) as number;
    return (this.brackets[id] as SuccessiveHalvingPruner).prune(this.bracketView(study, id), trial);
  }

  /** The bracket of a trial number, or null before the brackets exist. */
  bracketOf(study: StudyView, number: number): number | null {
    if (this.brackets.length === 0) return null;
    let n = crc32(`${study.name}_${number}`) % this.totalBudget;
    for (let b = 0; b < this.budgets.length; b++) {
      n -= this.budgets[b] as number;
      if (n < 0) return b;
    }
    return this.budgets.length - 1;
  }

  private init(): void {
    const eta = this.reductionFactor;
    const n = Math.floor(Math.log(this.maxResource! / this.minResource) / Math.log(eta) + 1e-9) + 1;
    for (let b = 0; b < n; b++) {
      const s = n - 1 - b;
      const budget = Math.ceil((n * eta ** s) / (s + 1));
      this.budgets.push(budget);
      this.totalBudget += budget;
      this.brackets.push(
        new SuccessiveHalvingPruner({
          minResource: this.minResource,
          reductionFactor: eta,
          minEarlyStoppingRate: b,
          bootstrapCount: this.bootstrapCount,
        }),
      );
    }
  }

  private bracketView(study: StudyView, id: number): StudyView {
    return {
      name: study.name,
      direction: study.direction,
      pruner: study.pruner,
      stop: () => study.stop(),
      setTrialSystemAttr: (n, k, v) => study.setTrialSystemAttr(n, k, v),
      getTrials: (states?: readonly TrialState[]) =>
        study.getTrials(states).filter((t) => this.bracketOf(study, t.number) === id),
    };
  }
}
