import { sameDistribution } from './distributions.js';
import type { FrozenTrial } from './frozen-trial.js';
import type { SearchSpace } from './view.js';

/**
 * The parameters every finished trial has, with one distribution throughout (Optuna's
 * IntersectionSearchSpace): what a joint (relative) sampler can model. Sorted by name so that the
 * order, and with it the random stream, does not depend on suggestion order.
 * @internal
 */
export function intersectionSearchSpace(
  trials: readonly FrozenTrial[],
  includePruned: boolean,
): SearchSpace {
  let space: SearchSpace | null = null;
  for (const t of trials) {
    if (!(t.state === 'complete' || (includePruned && t.state === 'pruned'))) continue;
    if (space === null) {
      space = { ...t.distributions };
      continue;
    }
    for (const name of Object.keys(space)) {
      const d = t.distributions[name];
      if (!d || !sameDistribution(d, space[name]!)) delete space[name];
    }
  }
  const sorted: SearchSpace = {};
  if (space === null) return sorted;
  for (const name of Object.keys(space).sort()) sorted[name] = space[name]!;
  return sorted;
}
