import type { Distribution, ParamValue } from './distributions.js';
import type { AttrValue, FrozenTrial, StudyDirection, TrialState } from './frozen-trial.js';

/**
 * What samplers and pruners see of a study: its name, direction and a synchronous snapshot of its
 * trials (the running trial included, with the parameters it has so far).
 *
 * @example
 * ```ts
 * const done = study.getTrials(['complete']);
 * ```
 */
export interface StudyView {
  readonly name: string;
  readonly direction: StudyDirection;
  /** Trials ordered by number, optionally only those in the given states. */
  getTrials(states?: readonly TrialState[]): readonly FrozenTrial[];
  /** The study's pruner (TPE uses Hyperband's brackets when present). */
  readonly pruner: Pruner;
  /** Asks `optimize` to start no new trial. */
  stop(): void;
  /** Stores sampler or pruner state with a trial. */
  setTrialSystemAttr(number: number, key: string, value: AttrValue): void;
}

/** A parameter name to distribution map. @example `const s: k.tune.SearchSpace = { x: { type: 'float', low: 0, high: 1, log: false, step: null } };` */
export type SearchSpace = Record<string, Distribution>;

/**
 * A sampler proposes parameter values, as Optuna's BaseSampler: `sampleRelative` draws the
 * parameters of a search space known before the trial runs (jointly, e.g. CMA-ES, multivariate
 * TPE); `sampleIndependent` draws any other parameter when the objective asks for it.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ sampler: new k.tune.TPESampler({ seed: 1 }) });
 * ```
 */
export interface Sampler {
  inferRelativeSearchSpace(study: StudyView, trial: FrozenTrial): SearchSpace;
  sampleRelative(
    study: StudyView,
    trial: FrozenTrial,
    space: SearchSpace,
  ): Record<string, ParamValue>;
  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    name: string,
    distribution: Distribution,
  ): ParamValue;
  /** Called when a trial starts, before any sampling. */
  beforeTrial?(study: StudyView, trial: FrozenTrial): void;
  /** Called when a trial has ended, with its final state. */
  afterTrial?(study: StudyView, trial: FrozenTrial, state: TrialState, value: number | null): void;
}

/**
 * A pruner decides from a trial's reported values whether to stop it early, as Optuna's BasePruner.
 *
 * @example
 * ```ts
 * const never: k.tune.Pruner = { prune: () => false };
 * ```
 */
export interface Pruner {
  /** May store state with the trial through `study.setTrialSystemAttr` (ASHA records rung values). */
  prune(study: StudyView, trial: FrozenTrial): boolean;
}

/** The pruner that never prunes (Optuna's NopPruner), used when none is given. @example `new k.tune.NopPruner()` */
export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}
