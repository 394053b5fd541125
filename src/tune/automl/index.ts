/**
 * AutoML for tables (`k.tune.automl`, `kiln automl`): a TPE search over preprocessing and MLP
 * choices under a wall-clock budget, cross-validated, refit as a normal run folder.
 *
 * @example
 * ```ts
 * const result = await k.tune.automl({ data: 'datasets/realworld/penguins.csv', target: 'species', timeBudget: 60 });
 * ```
 *
 * @module
 */
export type { AutomlResult } from './automl.js';
export { automl } from './automl.js';
export type { LeaderboardRow } from './leaderboard.js';
export type { AutomlOptions } from './options.js';
export { parseDuration } from './options.js';
