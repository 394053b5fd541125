// Independent values drawn in the caller before a worker thread asks for them, so that a worker
// does not block on the caller (a round trip whose latency, on a machine whose cores all run
// workers, is the scheduler's: the caller's thread waits for a busy core) for each suggest call.
import {
  contains,
  type Distribution,
  isSingle,
  type ParamValue,
  sameDistribution,
} from '../distributions.js';
import type { FrozenTrial } from '../frozen-trial.js';
import type { Study } from '../study.js';
import type { SearchSpace } from '../view.js';

/**
 * One predicted suggest call: the parameter, its distribution, and the value drawn for it when it
 * is sampled independently (absent for relative, enqueued and single-valued parameters, which the
 * trial resolves itself). @internal
 */
export interface Presampled {
  name: string;
  distribution: Distribution;
  value?: ParamValue;
}

/**
 * The suggest calls of the latest finished trial that has parameters, in the order it made them:
 * the best guess for the next trial of a define-by-run objective. @internal
 */
export function predictOrder(study: Study): [string, Distribution][] {
  const trials = study.getTrials(['complete', 'pruned', 'failed']);
  for (let i = trials.length - 1; i >= 0; i--) {
    const d = trials[i]!.distributions;
    const names = Object.keys(d);
    if (names.length > 0) return names.map((n) => [n, d[n]!]);
  }
  return [];
}

/**
 * Replays `order` against a copy of `trial` as `Trial.suggest` would, drawing each independent
 * value from the sampler with the parameters before it in place (samplers such as TPE's Halton
 * start-up depend on how many the trial has). The worker uses a value only when the trial made
 * exactly the predicted calls before it, so the outcome is that of drawing it on demand with the
 * history as of the trial's start. Stops at the first draw the sampler refuses.
 * @internal
 */
export function presample(
  study: Study,
  trial: FrozenTrial,
  order: readonly (readonly [string, Distribution])[],
  space: SearchSpace,
  relative: Readonly<Record<string, ParamValue>>,
): Presampled[] {
  const out: Presampled[] = [];
  const fixed = trial.systemAttrs.fixed_params as Record<string, ParamValue> | undefined;
  let sim = trial;
  for (const [name, d] of order) {
    if (name in sim.params) break;
    let value: ParamValue;
    let drawn: ParamValue | undefined;
    if (fixed && name in fixed) {
      value = fixed[name] as ParamValue;
      if (!contains(d, value)) break;
    } else if (isSingle(d)) {
      value = d.type === 'categorical' ? (d.choices[0] as ParamValue) : d.low;
    } else if (name in relative && space[name] && sameDistribution(space[name], d)) {
      value = relative[name] as ParamValue;
    } else {
      try {
        value = study.sampleIndependent(sim, name, d);
      } catch {
        break;
      }
      drawn = value;
    }
    out.push(drawn === undefined ? { name, distribution: d } : { name, distribution: d, value });
    sim = {
      ...sim,
      params: { ...sim.params, [name]: value },
      distributions: { ...sim.distributions, [name]: d },
    };
  }
  return out;
}

/**
 * The presampled value for the suggest call of `name` with `d`, when the trial has so far made
 * exactly the predicted calls (same names, same order); undefined otherwise. @internal
 */
export function takePresampled(
  predicted: readonly Presampled[],
  current: FrozenTrial,
  name: string,
  d: Distribution,
): ParamValue | undefined {
  const done = Object.keys(current.params);
  const next = predicted[done.length];
  if (!next || next.value === undefined || next.name !== name) return undefined;
  if (!sameDistribution(next.distribution, d)) return undefined;
  for (let i = 0; i < done.length; i++) if (predicted[i]!.name !== done[i]) return undefined;
  return next.value;
}
