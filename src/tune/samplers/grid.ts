import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import {
  contains,
  type Distribution,
  describeDistribution,
  type ParamValue,
} from '../distributions.js';
import { type FrozenTrial, isFinished } from '../frozen-trial.js';
import type { Sampler, SearchSpace, StudyView } from '../view.js';
import { checkKnown, clockSeed } from './random.js';

/** Options of GridSampler. @example `new k.tune.GridSampler({ x: [0, 1], kind: ['a', 'b'] }, { seed: 0 })` */
export interface GridSamplerOptions {
  /** Seed for the order in which unvisited grid points are taken. */
  seed?: number;
}

/**
 * Tries every combination of the given values once (Optuna's GridSampler). Each trial takes a
 * random not-yet-started grid point (so that parallel workers rarely collide); when every point
 * has been evaluated the study stops. Suggesting a parameter outside the grid is an error.
 *
 * @example
 * ```ts
 * const sampler = new k.tune.GridSampler({ lr: [1e-3, 1e-2], units: [32, 64, 128] });
 * const study = await k.tune.createStudy({ sampler });
 * await study.optimize(objective); // 6 trials, then stops
 * ```
 */
export class GridSampler implements Sampler {
  private readonly names: string[];
  private readonly values: ParamValue[][];
  private readonly size: number;
  private readonly rng: Generator;
  private readonly key: string;

  constructor(
    searchSpace: Record<string, readonly ParamValue[]>,
    options: GridSamplerOptions = {},
  ) {
    checkKnown('GridSampler', options, ['seed']);
    if (searchSpace === null || typeof searchSpace !== 'object') {
      throw new ValueError('GridSampler: searchSpace must be an object of value lists');
    }
    this.names = Object.keys(searchSpace).sort();
    this.values = this.names.map((n) => {
      const v = searchSpace[n];
      if (!Array.isArray(v) || v.length === 0) {
        throw new ValueError(`GridSampler: values of '${n}' must be a non-empty array`);
      }
      return [...v];
    });
    this.size = this.values.reduce((p, v) => p * v.length, 1);
    this.rng = new Generator(options.seed ?? clockSeed());
    this.key = JSON.stringify([this.names, this.values]);
  }

  /** Number of grid points. */
  get gridSize(): number {
    return this.size;
  }

  inferRelativeSearchSpace(): SearchSpace {
    return {};
  }

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  beforeTrial(study: StudyView, trial: FrozenTrial): void {
    if ('grid_id' in trial.systemAttrs || 'fixed_params' in trial.systemAttrs) return;
    let targets = this.unvisited(study);
    if (targets.length === 0) {
      // Every point is taken (parallel workers, enqueued trials): repeat one and stop.
      targets = Array.from({ length: this.size }, (_, i) => i);
      study.stop();
    }
    const id = targets[this.rng.int(targets.length)] as number;
    study.setTrialSystemAttr(trial.number, 'grid_id', id);
    study.setTrialSystemAttr(trial.number, 'grid_key', this.key);
  }

  sampleIndependent(
    _study: StudyView,
    trial: FrozenTrial,
    name: string,
    d: Distribution,
  ): ParamValue {
    const j = this.names.indexOf(name);
    if (j < 0) {
      throw new ValueError(
        `GridSampler: parameter '${name}' is not in the grid (${this.names.join(', ')})`,
      );
    }
    const id = trial.systemAttrs.grid_id;
    if (typeof id !== 'number')
      throw new ValueError(`GridSampler: trial ${trial.number} has no grid point`);
    const value = this.pointValues(id)[j] as ParamValue;
    if (!contains(d, value)) {
      throw new ValueError(
        `GridSampler: grid value ${JSON.stringify(value)} of '${name}' is outside ${describeDistribution(d)}`,
      );
    }
    return value;
  }

  afterTrial(study: StudyView, trial: FrozenTrial): void {
    const left = this.unvisited(study);
    if (left.length === 0 || (left.length === 1 && left[0] === trial.systemAttrs.grid_id))
      study.stop();
  }

  /** The values of grid point `id` (mixed radix over the sorted names, the last varying fastest). */
  private pointValues(id: number): ParamValue[] {
    const out = new Array<ParamValue>(this.names.length);
    let rest = id;
    for (let j = this.names.length - 1; j >= 0; j--) {
      const vals = this.values[j] as ParamValue[];
      out[j] = vals[rest % vals.length] as ParamValue;
      rest = Math.floor(rest / vals.length);
    }
    return out;
  }

  private unvisited(study: StudyView): number[] {
    const visited = new Set<number>();
    const running = new Set<number>();
    for (const t of study.getTrials()) {
      const id = t.systemAttrs.grid_id;
      if (typeof id !== 'number' || t.systemAttrs.grid_key !== this.key) continue;
      if (isFinished(t.state)) visited.add(id);
      else if (t.state === 'running') running.add(id);
    }
    const all = Array.from({ length: this.size }, (_, i) => i).filter((i) => !visited.has(i));
    const fresh = all.filter((i) => !running.has(i));
    return fresh.length > 0 ? fresh : all;
  }
}
