/**
 * `k.tune`: hyperparameter tuning in Optuna's shape: define-by-run studies and trials, samplers
 * (random, grid, TPE, CMA-ES), pruners (median, percentile, ASHA, Hyperband), parameter importance
 * and a Trainer callback.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ direction: 'minimize', sampler: new k.tune.TPESampler({ seed: 0 }) });
 * await study.optimize((trial) => {
 *   const x = trial.suggestFloat('x', -10, 10);
 *   return (x - 2) ** 2;
 * }, { nTrials: 50 });
 * study.bestParams; // { x: ~2 }
 * ```
 */

export type { AutomlOptions, AutomlResult, LeaderboardRow } from './automl/index.js';
export { automl, parseDuration } from './automl/index.js';
export type { TuneCallbackOptions } from './callback.js';
export { TuneCallback } from './callback.js';
export type { CreateStudyOptions, LoadStudyOptions } from './create.js';
export { createStudy, loadStudy } from './create.js';
export type {
  CategoricalDistribution,
  Distribution,
  FloatDistribution,
  IntDistribution,
  ParamValue,
} from './distributions.js';
export type { AttrValue, FrozenTrial, StudyDirection, TrialState } from './frozen-trial.js';
export { trialDuration } from './frozen-trial.js';
export type { ImportanceOptions } from './importance/index.js';
export { importance } from './importance/index.js';
export type {
  Objective,
  ObjectiveFn,
  ObjectiveModule,
  OptimizeOptions,
  StudyCallback,
} from './optimize.js';
export type { HyperbandPrunerOptions } from './pruners/hyperband.js';
export { HyperbandPruner } from './pruners/hyperband.js';
export type { PercentilePrunerOptions } from './pruners/percentile.js';
export { MedianPruner, PercentilePruner } from './pruners/percentile.js';
export type { SuccessiveHalvingPrunerOptions } from './pruners/successive-halving.js';
export { SuccessiveHalvingPruner } from './pruners/successive-halving.js';
export type { CmaEsSamplerOptions } from './samplers/cmaes.js';
export { CmaEsSampler } from './samplers/cmaes.js';
export type { GridSamplerOptions } from './samplers/grid.js';
export { GridSampler } from './samplers/grid.js';
export type { RandomSamplerOptions } from './samplers/random.js';
export { RandomSampler } from './samplers/random.js';
export type { TPESamplerOptions } from './samplers/tpe/sampler.js';
export { defaultGamma, defaultWeights, TPESampler } from './samplers/tpe/sampler.js';
export type { StudyRecord, TrialInit, TrialPatch, TuneStorage } from './storage.js';
export { InMemoryStorage } from './storage.js';
export { Study } from './study.js';
export type { SuggestOptions } from './trial.js';
export { Trial, TrialPruned } from './trial.js';
export type { Pruner, Sampler, SearchSpace, StudyView } from './view.js';
export { NopPruner } from './view.js';
