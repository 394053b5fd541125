import type { Distribution, ParamValue } from './distributions.js';

/** A trial's state, with Optuna's names in lower case. `waiting` is an enqueued trial not yet started. @example `if (t.state === 'pruned') ...` */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'waiting';

/** Whether smaller or larger objective values are better. @example `const d: k.tune.StudyDirection = 'maximize';` */
export type StudyDirection = 'minimize' | 'maximize';

/** JSON-safe attribute values stored with a trial. @example `trial.setUserAttr('note', 'baseline')` */
export type AttrValue =
  | string
  | number
  | boolean
  | null
  | AttrValue[]
  | { [key: string]: AttrValue };

/**
 * A snapshot of one trial, as Optuna's FrozenTrial. Snapshots never change: storages replace them.
 *
 * @example
 * ```ts
 * for (const t of study.trials) console.log(t.number, t.state, t.value, t.params);
 * ```
 */
export interface FrozenTrial {
  /** The storage's id of the trial (unique across studies of one storage). */
  readonly trialId: number;
  /** The trial's number within its study, from 0, allocated by the storage. */
  readonly number: number;
  readonly state: TrialState;
  /** The objective value (complete trials; pruned ones carry their last reported value), else null. */
  readonly value: number | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly distributions: Readonly<Record<string, Distribution>>;
  /** Values given to `trial.report(value, step)`, by step. */
  readonly intermediateValues: ReadonlyMap<number, number>;
  readonly userAttrs: Readonly<Record<string, AttrValue>>;
  /** Attributes samplers and pruners keep (grid ids, CMA-ES generations, ASHA rungs). */
  readonly systemAttrs: Readonly<Record<string, AttrValue>>;
  /** Epoch milliseconds when the trial started running, null while waiting. */
  readonly datetimeStart: number | null;
  readonly datetimeComplete: number | null;
  /** Why a failed trial failed (the objective's error message), else null. */
  readonly error: string | null;
}

/** Duration of a finished trial in milliseconds, else null. @example `k.tune.trialDuration(study.bestTrial)` */
export function trialDuration(t: FrozenTrial): number | null {
  if (t.datetimeStart === null || t.datetimeComplete === null) return null;
  return t.datetimeComplete - t.datetimeStart;
}

/** The largest reported step, or null when nothing was reported. @internal */
export function lastStep(t: FrozenTrial): number | null {
  let last: number | null = null;
  for (const s of t.intermediateValues.keys()) if (last === null || s > last) last = s;
  return last;
}

/** Whether a trial has ended (complete, pruned or failed). @internal */
export function isFinished(state: TrialState): boolean {
  return state === 'complete' || state === 'pruned' || state === 'failed';
}
