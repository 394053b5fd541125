import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import type {
  Distribution,
  FloatDistribution,
  IntDistribution,
  ParamValue,
} from '../distributions.js';
import { snapInternal, toExternal } from '../distributions.js';
import type { FrozenTrial } from '../frozen-trial.js';
import { IntersectionCache } from '../search-space.js';
import type { Sampler, SearchSpace, StudyView } from '../view.js';
import { CmaState } from './cmaes-core.js';
import { checkKnown, clockSeed, RandomSampler, spawnSeeds } from './random.js';

/** Options of CmaEsSampler, Optuna's names in camelCase. @example `new k.tune.CmaEsSampler({ seed: 0, restartStrategy: 'ipop' })` */
export interface CmaEsSamplerOptions {
  seed?: number;
  /** Initial step size in units of each range (default 1/6, as Optuna's min(range) / 6). */
  sigma0?: number;
  /** Population size (default 4 + floor(3 ln n)). */
  popsize?: number;
  /** Trials sampled at random (by the independent sampler) before CMA-ES starts (default 0). */
  nStartupTrials?: number;
  /** 'ipop': restart with a doubled population when the search collapses (default: no restarts). */
  restartStrategy?: 'ipop' | null;
  /** Population growth factor of IPOP restarts (default 2). */
  incPopsize?: number;
}

type Numeric = FloatDistribution | IntDistribution;

const GEN_KEY = 'cma:generation';
const SPACE_KEY = 'cma:space';

/**
 * CMA-ES (Hansen 2016) over the continuous and integer parameters every finished trial has, as
 * Optuna's CmaEsSampler: each range is mapped to [0, 1] (log ranges on the log scale), the search
 * starts at the centre with sigma 1/6 of the box, a generation is told once `popsize` of its trials
 * have completed, and integers and stepped floats are rounded onto their grids. Categorical and
 * conditional parameters are drawn at random. With `restartStrategy: 'ipop'` the search restarts
 * with a doubled population when it collapses.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ sampler: new k.tune.CmaEsSampler({ seed: 0 }) });
 * ```
 */
export class CmaEsSampler implements Sampler {
  private readonly rng: Generator;
  private readonly independent: RandomSampler;
  private readonly options: CmaEsSamplerOptions;
  private readonly spaceCache = new IntersectionCache(false);
  private state: CmaState | null = null;
  private stateKey = '';
  private popsize: number | null;
  private restarts = 0;

  constructor(options: CmaEsSamplerOptions = {}) {
    checkKnown('CmaEsSampler', options, [
      'seed',
      'sigma0',
      'popsize',
      'nStartupTrials',
      'restartStrategy',
      'incPopsize',
    ]);
    if (options.restartStrategy != null && options.restartStrategy !== 'ipop') {
      throw new ValueError(
        `CmaEsSampler: restartStrategy must be 'ipop' or null, got '${options.restartStrategy}'`,
      );
    }
    if (
      options.popsize !== undefined &&
      !(Number.isInteger(options.popsize) && options.popsize >= 2)
    ) {
      throw new ValueError(`CmaEsSampler: popsize must be an integer >= 2, got ${options.popsize}`);
    }
    // seed + 1 for the second stream would make it the first stream of the study seeded seed + 1.
    const [searchSeed, independentSeed] = spawnSeeds(options.seed ?? clockSeed(), 2) as [
      number,
      number,
    ];
    this.rng = new Generator(searchSeed);
    this.independent = new RandomSampler({ seed: independentSeed });
    this.options = options;
    this.popsize = options.popsize ?? null;
  }

  /** Restarts done so far (IPOP). */
  get restartCount(): number {
    return this.restarts;
  }

  /** The current population size, or null before the search space is known. */
  get populationSize(): number | null {
    return this.state?.popsize ?? null;
  }

  inferRelativeSearchSpace(study: StudyView): SearchSpace {
    const space = this.spaceCache.calculate(study.name, study.getTrials(['complete']));
    const numeric: SearchSpace = {};
    for (const [name, d] of Object.entries(space)) {
      if (d.type !== 'categorical' && d.high > d.low) numeric[name] = d;
    }
    return numeric;
  }

  sampleRelative(
    study: StudyView,
    trial: FrozenTrial,
    space: SearchSpace,
  ): Record<string, ParamValue> {
    const names = Object.keys(space);
    if (names.length === 0) return {};
    if (study.getTrials(['complete']).length < (this.options.nStartupTrials ?? 0)) return {};
    const dists = names.map((n) => space[n] as Numeric);
    const key = JSON.stringify(space);
    const state = this.stateFor(key, names.length);
    this.tellFinished(study, key, names, dists, state);
    const current = this.state as CmaState;
    const x = current.ask(this.rng);
    study.setTrialSystemAttr(trial.number, GEN_KEY, `${this.restarts}:${current.generation}`);
    study.setTrialSystemAttr(trial.number, SPACE_KEY, key);
    const out: Record<string, ParamValue> = {};
    names.forEach((name, i) => {
      out[name] = fromUnit(dists[i] as Numeric, x[i] as number);
    });
    return out;
  }

  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    name: string,
    d: Distribution,
  ): ParamValue {
    return this.independent.sampleIndependent(study, trial, name, d);
  }

  private stateFor(key: string, n: number): CmaState {
    if (this.state === null || this.stateKey !== key) {
      this.stateKey = key;
      this.restarts = 0;
      this.state = this.fresh(n, this.popsize ?? 4 + Math.floor(3 * Math.log(n)));
    }
    return this.state;
  }

  private fresh(n: number, popsize: number): CmaState {
    return new CmaState(n, popsize, new Array(n).fill(0.5), this.options.sigma0 ?? 1 / 6);
  }

  /** Tells every generation whose trials have all completed, restarting (IPOP) on collapse. */
  private tellFinished(
    study: StudyView,
    key: string,
    names: string[],
    dists: Numeric[],
    state: CmaState,
  ): void {
    let current = state;
    for (;;) {
      const tag = `${this.restarts}:${current.generation}`;
      const members = study
        .getTrials(['complete'])
        .filter((t) => t.systemAttrs[GEN_KEY] === tag && t.systemAttrs[SPACE_KEY] === key);
      if (members.length < current.popsize) return;
      const sign = study.direction === 'minimize' ? 1 : -1;
      current.tell(
        members.slice(0, current.popsize).map((t) => ({
          x: names.map((n, i) => toUnit(dists[i] as Numeric, t.params[n] as number)),
          value: sign * (t.value as number),
        })),
      );
      if (this.options.restartStrategy === 'ipop' && current.converged()) {
        this.restarts++;
        const grown = Math.round(current.popsize * (this.options.incPopsize ?? 2));
        current = this.fresh(names.length, grown);
        this.state = current;
      }
    }
  }
}

function toUnit(d: Numeric, v: number): number {
  const [lo, hi, x] = d.log ? [Math.log(d.low), Math.log(d.high), Math.log(v)] : [d.low, d.high, v];
  return (x - lo) / (hi - lo);
}

function fromUnit(d: Numeric, u: number): ParamValue {
  const [lo, hi] = d.log ? [Math.log(d.low), Math.log(d.high)] : [d.low, d.high];
  let v = lo + u * (hi - lo);
  if (d.log) v = Math.exp(v);
  return toExternal(d, snapInternal(d, v));
}
