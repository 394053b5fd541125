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
import type { AutomlResult } from './automl.js';
import type { AutomlOptions } from './options.js';

export type { AutomlResult } from './automl.js';
export type { LeaderboardRow } from './leaderboard.js';
export type { AutomlOptions } from './options.js';
export { parseDuration } from './options.js';

/**
 * AutoML for tables (see `./automl.ts`). The search needs the CLI's config, data and training
 * modules (and their schema library); they are loaded on the first call, so that importing
 * kiln does not load them (about 12 MiB of resident memory in every program that never calls
 * automl).
 *
 * @example
 * ```ts
 * const result = await k.tune.automl({ data: 'table.csv', target: 'label', timeBudget: 60 });
 * ```
 */
export async function automl(options: AutomlOptions): Promise<AutomlResult> {
  const search = await import('./automl.js');
  return search.automl(options);
}
