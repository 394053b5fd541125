import { ValueError } from '../../../tensor/errors.js';
import { Generator } from '../../../tensor/random.js';
import {
  type Distribution,
  isSingle,
  type ParamValue,
  toExternal,
  toInternal,
} from '../../distributions.js';
import type { FrozenTrial, TrialState } from '../../frozen-trial.js';
import { IntersectionCache } from '../../search-space.js';
import type { Sampler, SearchSpace, StudyView } from '../../view.js';
import { fromUnit, ScrambledHalton } from '../halton.js';
import { checkKnown, clockSeed, RandomSampler, spawnSeeds } from '../random.js';
import { GroupCache } from './groups.js';
import { ParzenEstimator, type ParzenParameters } from './parzen.js';
import { splitTrials } from './split.js';

/** Optuna's default gamma: the number of "good" trials among n, `min(ceil(0.1 n), 25)`. @example `k.tune.defaultGamma(100) // 10` */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/**
 * Optuna's default observation weights: flat for fewer than 25 observations, else a ramp from
 * 1/n up to 1 over the oldest n - 25 and flat 1 over the newest 25.
 *
 * @example
 * ```ts
 * k.tune.defaultWeights(3); // [1, 1, 1]
 * ```
 */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++)
    out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** Options of TPESampler, Optuna's names and defaults in camelCase. @example `new k.tune.TPESampler({ seed: 0, multivariate: true })` */
export interface TPESamplerOptions {
  /** Seed of kiln's documented generator (xoshiro128**); default: from the clock. */
  seed?: number;
  /** Trials sampled at random before TPE starts (default 10). */
  nStartupTrials?: number;
  /**
   * How the start-up trials are drawn: `'halton'` (default), a scrambled Halton sequence over
   * the parameters in the order a trial suggests them, which covers the space more evenly than
   * independent draws; `'random'`, independent uniform draws as Optuna's TPESampler.
   */
  startup?: 'halton' | 'random';
  /**
   * Candidates drawn from the "good" estimator per suggestion (Optuna: 24). Default: 24 per
   * parameter sampled jointly, at most 128 (the ratio's maximum is harder to find in more
   * dimensions, and kiln's cheaper density evaluation affords the extra candidates), falling
   * back toward 24 past about 250 finished trials to bound the cost per suggestion.
   */
  nEiCandidates?: number;
  /** Model the parameters every finished trial has jointly (default true, as Optuna 5 for one objective). */
  multivariate?: boolean;
  /**
   * With `multivariate`, model each group of parameters that always occur together jointly
   * (default true; as Optuna's `group`, default false there): in a conditional space a branch's
   * parameters are drawn together, from the trials that took the branch, when the trial first
   * suggests one of them, instead of one at a time; so a trial that was bad for one of them
   * (say a regularisation type) does not count against the others' good values. Without
   * conditional parameters every parameter is in the joint (relative) draw and nothing changes.
   */
  group?: boolean;
  /** Count running trials as bad ones, so parallel workers spread out (default true, as Optuna 5). */
  constantLiar?: boolean;
  /** Number of "good" trials among n finished ones (default `defaultGamma`). */
  gamma?: (n: number) => number;
  /** Weights of n observations, oldest first (default `defaultWeights`). */
  weights?: (n: number) => number[];
  /** Weight of the prior kernel (default 1). */
  priorWeight?: number;
  /** Clip bandwidths from below to range / min(100, kernels + 1) (default true). */
  considerMagicClip?: boolean;
  /** Let the outermost kernels reach the range ends (default false). */
  considerEndpoints?: boolean;
  /**
   * What the magic clip's floor, range / (1 + count), counts for the "good" estimator:
   * `'study'` (default), the larger of its kernels and (n + 1)^min(1, 4 / d) for n finished
   * trials and d numeric parameters modelled jointly, so in up to four dimensions the good
   * estimator narrows as the study grows and refines the best region, less so beyond, and in
   * ten or more (where narrow kernels get stuck) it stays Optuna's, and so it does while
   * other trials are running (parallel workers); `'kernels'`, its own kernels, as Optuna.
   */
  magicClipCount?: 'study' | 'kernels';
  /**
   * How the "good" trials are weighted: `'improvement'` (default), each by how far its value
   * beats the best of the other trials (the split threshold), and the prior kernel by
   * `priorWeight` times the mean of those weights: the "EI" weighting of Watanabe (2023,
   * arXiv:2304.11127), under which the good estimator follows expected improvement rather than
   * the probability of improvement, so the best trials pull the search harder than marginal
   * ones; `'weights'`, by the `weights` option, as Optuna. The "bad" trials always use `weights`.
   */
  goodWeights?: 'improvement' | 'weights';
}

const RELATIVE_KEY = 'tpe:relative_params';
/** A trial's values drawn for the groups of conditional parameters it entered (`group`). */
const GROUP_KEY = 'tpe:group_params';

/** Every TPESamplerOptions name (the config reference lists them). @internal */
export const TPE_OPTION_NAMES: readonly string[] = [
  'seed',
  'nStartupTrials',
  'startup',
  'nEiCandidates',
  'multivariate',
  'group',
  'constantLiar',
  'gamma',
  'weights',
  'priorWeight',
  'considerMagicClip',
  'considerEndpoints',
  'magicClipCount',
  'goodWeights',
];

/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011) as Optuna implements it: finished
 * trials are split into the best `gamma(n)` and the rest, each set is modelled by a Parzen
 * estimator, and of `nEiCandidates` draws from the good model the one with the largest ratio
 * l(x)/g(x) is suggested. Pruned trials count by their last reported value at their last step;
 * with `constantLiar`, running trials count as bad. kiln's defaults search more sharply than
 * Optuna's (scrambled Halton start-up, more candidates, a good estimator that narrows with the
 * study in few dimensions, good trials weighted by their improvement, each branch of a
 * conditional space modelled jointly; docs/benchmarks.md measures them); `{ startup: 'random',
 * nEiCandidates: 24, magicClipCount: 'kernels', goodWeights: 'weights', group: false }` behaves
 * as Optuna's.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ sampler: new k.tune.TPESampler({ seed: 42 }) });
 * ```
 */
export class TPESampler implements Sampler {
  private readonly rng: Generator;
  private readonly random: RandomSampler;
  private readonly halton: ScrambledHalton | null;
  private readonly nStartupTrials: number;
  /** null: 24 per parameter of the sampled space, at most 128. */
  private readonly nEiCandidates: number | null;
  private readonly multivariate: boolean;
  private readonly group: boolean;
  private readonly constantLiar: boolean;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenParameters;
  private readonly magicClipCount: 'study' | 'kernels';
  private readonly goodWeights: 'improvement' | 'weights';
  private readonly spaceCache = new IntersectionCache(true);
  private readonly groupCache = new GroupCache(true);

  constructor(options: TPESamplerOptions = {}) {
    checkKnown('TPESampler', options, TPE_OPTION_NAMES);
    // Candidates, uniform start-up draws and the Halton scrambling each get their own stream.
    const [candidateSeed, randomSeed, haltonSeed] = spawnSeeds(options.seed ?? clockSeed(), 3) as [
      number,
      number,
      number,
    ];
    this.rng = new Generator(candidateSeed);
    this.random = new RandomSampler({ seed: randomSeed });
    const startup = options.startup ?? 'halton';
    if (startup !== 'halton' && startup !== 'random') {
      throw new ValueError(`TPESampler: startup must be 'halton' or 'random', got '${startup}'`);
    }
    this.halton = startup === 'halton' ? new ScrambledHalton(haltonSeed) : null;
    this.magicClipCount = options.magicClipCount ?? 'study';
    if (this.magicClipCount !== 'study' && this.magicClipCount !== 'kernels') {
      throw new ValueError(
        `TPESampler: magicClipCount must be 'study' or 'kernels', got '${this.magicClipCount}'`,
      );
    }
    this.goodWeights = options.goodWeights ?? 'improvement';
    if (this.goodWeights !== 'improvement' && this.goodWeights !== 'weights') {
      throw new ValueError(
        `TPESampler: goodWeights must be 'improvement' or 'weights', got '${this.goodWeights}'`,
      );
    }
    this.nStartupTrials = options.nStartupTrials ?? 10;
    this.nEiCandidates = options.nEiCandidates ?? null;
    if (!Number.isInteger(this.nStartupTrials) || this.nStartupTrials < 0) {
      throw new ValueError(
        `TPESampler: nStartupTrials must be a non-negative integer, got ${this.nStartupTrials}`,
      );
    }
    if (
      this.nEiCandidates !== null &&
      (!Number.isInteger(this.nEiCandidates) || this.nEiCandidates < 1)
    ) {
      throw new ValueError(
        `TPESampler: nEiCandidates must be a positive integer, got ${this.nEiCandidates}`,
      );
    }
    const priorWeight = options.priorWeight ?? 1;
    if (!(priorWeight >= 0))
      throw new ValueError(`TPESampler: priorWeight must be >= 0, got ${priorWeight}`);
    this.multivariate = options.multivariate ?? true;
    if (options.group === true && options.multivariate === false) {
      throw new ValueError(
        'TPESampler: group needs multivariate (got group true, multivariate false)',
      );
    }
    this.group = options.group ?? true;
    this.constantLiar = options.constantLiar ?? true;
    this.gamma = options.gamma ?? defaultGamma;
    this.parzen = {
      priorWeight,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      weights: options.weights ?? defaultWeights,
    };
  }

  inferRelativeSearchSpace(study: StudyView): SearchSpace {
    if (!this.multivariate) return {};
    const space = this.spaceCache.calculate(study.name, study.getTrials(['complete', 'pruned']));
    for (const name of Object.keys(space)) if (isSingle(space[name]!)) delete space[name];
    return space;
  }

  sampleRelative(
    study: StudyView,
    trial: FrozenTrial,
    space: SearchSpace,
  ): Record<string, ParamValue> {
    if (Object.keys(space).length === 0) return {};
    if (this.finishedCount(study) < this.nStartupTrials) return {};
    const params = this.sample(study, trial, space);
    // Running trials have suggested only part of their parameters; other workers' constant
    // liar needs all the drawn ones, so they are kept with the trial.
    if (this.constantLiar) study.setTrialSystemAttr(trial.number, RELATIVE_KEY, params);
    return params;
  }

  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    name: string,
    d: Distribution,
  ): ParamValue {
    if (this.finishedCount(study) < this.nStartupTrials) {
      if (!this.halton) return this.random.sampleIndependent(study, trial, name, d);
      // Point = trial number, dimension = how many parameters the trial already has.
      const dim = Object.keys(trial.params).length;
      return fromUnit(d, this.halton.point(trial.number, dim));
    }
    if (this.multivariate && this.group) {
      const group = this.groupCache.groupOf(
        study.name,
        study.getTrials(['complete', 'pruned']),
        name,
        d,
      );
      if (group) {
        const drawn = trial.systemAttrs[GROUP_KEY] as Record<string, ParamValue> | undefined;
        if (drawn && name in drawn) return drawn[name] as ParamValue;
        // The first parameter of its group this trial suggests: the group is drawn jointly and
        // kept with the trial for the others (and, as drawn values, for the constant liar).
        const values = this.sample(study, trial, group);
        study.setTrialSystemAttr(trial.number, GROUP_KEY, { ...drawn, ...values });
        return values[name] as ParamValue;
      }
    }
    return this.sample(study, trial, { [name]: d })[name] as ParamValue;
  }

  private finishedCount(study: StudyView): number {
    return study.getTrials(['complete', 'pruned']).length;
  }

  private sample(
    study: StudyView,
    trial: FrozenTrial,
    space: SearchSpace,
  ): Record<string, ParamValue> {
    const states: TrialState[] = this.constantLiar
      ? ['complete', 'pruned', 'running']
      : ['complete', 'pruned'];
    let trials = study.getTrials(states).filter((t) => t.number !== trial.number);
    trials = sameBracket(study, trial, trials);
    const n = trials.reduce((c, t) => c + (t.state === 'running' ? 0 : 1), 0);
    const [below, above] = splitTrials(trials, this.gamma(n), study.direction);
    const names = Object.keys(space);
    const dists = names.map((k) => space[k] as Distribution);
    const goodTrials: FrozenTrial[] = [];
    const goodObs = observations(below, names, dists, goodTrials);
    // While other trials run, the good estimator keeps Optuna's width: a narrow one would put
    // concurrent workers on the same point whatever the constant liar adds to the bad one.
    const concurrent = trials.length > n;
    let goodParams: ParzenParameters =
      this.magicClipCount === 'study' && !concurrent
        ? { ...this.parzen, clipCount: studyClipCount(goodObs.length + 1, n, dists) }
        : this.parzen;
    const improvement =
      this.goodWeights === 'improvement' ? improvementWeights(goodTrials, above, study) : null;
    if (improvement && improvement.length > 0) {
      const mean = improvement.reduce((s, v) => s + v, 0) / improvement.length;
      goodParams = {
        ...goodParams,
        weights: () => improvement.slice(),
        priorMixtureWeight: goodParams.priorWeight * mean,
      };
    }
    const good = new ParzenEstimator(goodObs, dists, goodParams);
    const badObs = observations(above, names, dists);
    const bad = new ParzenEstimator(badObs, dists, this.parzen);
    const nCandidates = this.nEiCandidates ?? defaultCandidates(names.length, badObs.length + 1);
    const candidates = good.sample(this.rng, nCandidates);
    const lGood = good.logPdf(candidates);
    const lBad = bad.logPdf(candidates);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const score = (lGood[i] as number) - (lBad[i] as number);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    const chosen = candidates[best] as number[];
    const out: Record<string, ParamValue> = {};
    names.forEach((name, j) => {
      out[name] = toExternal(dists[j] as Distribution, chosen[j] as number);
    });
    return out;
  }
}

/**
 * The good estimator's magic-clip count under `magicClipCount: 'study'`: its kernels, or
 * (n + 1)^min(1, 4 / d) when larger. A schedule chosen by measurement (docs/benchmarks.md): a
 * floor shrinking like 1/n sharpens the search in a few dimensions (Branin, Hartmann-6,
 * conditional one-dimensional parameters) but traps it in ten (Rosenbrock), where n^(4/d)
 * stays below the kernel count and Optuna's floor applies.
 */
function studyClipCount(kernels: number, finished: number, dists: Distribution[]): number {
  const numeric = dists.filter((d) => d.type !== 'categorical').length;
  return Math.max(kernels, (finished + 1) ** Math.min(1, 4 / Math.max(1, numeric)));
}

/**
 * The default number of EI candidates: 24 per parameter sampled jointly, at most 128, and at
 * most 32,768 / (bad kernels), never below Optuna's 24. The last bound keeps a suggestion's
 * cost (candidates x kernels x parameters) flat past about 250 finished trials, so a long study
 * stays cheaper per trial than Optuna's; the extra candidates were measured to help up to 200.
 */
function defaultCandidates(params: number, badKernels: number): number {
  return Math.max(24, Math.min(128, 24 * params, Math.floor(32768 / badKernels)));
}

/**
 * `goodWeights: 'improvement'`: each good trial's improvement on the best complete "bad" trial
 * (floored at 1e-12, so ties keep a sliver of weight). Null, and the `weights` option applies,
 * when a good trial has no value (pruned) or no complete trial is left above the split.
 */
function improvementWeights(
  good: readonly FrozenTrial[],
  above: readonly FrozenTrial[],
  study: StudyView,
): number[] | null {
  const sign = study.direction === 'minimize' ? 1 : -1;
  let threshold = Infinity;
  for (const t of above) {
    if (t.state === 'complete') threshold = Math.min(threshold, sign * (t.value as number));
  }
  if (!Number.isFinite(threshold)) return null;
  const out: number[] = [];
  for (const t of good) {
    if (t.state !== 'complete' || !Number.isFinite(t.value as number)) return null;
    out.push(Math.max(1e-12, threshold - sign * (t.value as number)));
  }
  return out;
}

/** Internal values of the trials that have every parameter of the space (those trials: `kept`). */
function observations(
  trials: readonly FrozenTrial[],
  names: string[],
  dists: Distribution[],
  kept?: FrozenTrial[],
): number[][] {
  const out: number[][] = [];
  outer: for (const t of trials) {
    const row: number[] = [];
    const drawn =
      t.state === 'running'
        ? {
            ...(t.systemAttrs[RELATIVE_KEY] as Record<string, ParamValue> | undefined),
            ...(t.systemAttrs[GROUP_KEY] as Record<string, ParamValue> | undefined),
          }
        : undefined;
    for (let j = 0; j < names.length; j++) {
      const name = names[j] as string;
      const d = dists[j] as Distribution;
      let v: ParamValue;
      if (name in t.params) {
        if (t.distributions[name]?.type !== d.type) continue outer;
        v = t.params[name] as ParamValue;
      } else if (drawn && name in drawn) v = drawn[name] as ParamValue;
      else continue outer;
      if (d.type === 'categorical') {
        const i = d.choices.indexOf(v);
        if (i < 0) continue outer;
        row.push(i);
      } else {
        const x = toInternal(d, v);
        if (x < d.low || x > d.high) continue outer;
        row.push(x);
      }
    }
    out.push(row);
    kept?.push(t);
  }
  return out;
}

/** With a Hyperband pruner, trials of other brackets are left out, as Optuna does. */
function sameBracket(study: StudyView, trial: FrozenTrial, trials: FrozenTrial[]): FrozenTrial[] {
  const pruner = study.pruner as { bracketOf?: (s: StudyView, n: number) => number | null };
  if (typeof pruner.bracketOf !== 'function') return trials;
  const mine = pruner.bracketOf(study, trial.number);
  if (mine === null) return trials;
  return trials.filter((t) => pruner.bracketOf!(study, t.number) === mine);
}
