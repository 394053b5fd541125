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
  start: SearchSpace | null = null,
): SearchSpace {
  let space: SearchSpace | null = start === null ? null : { ...start };
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

/**
 * An intersection search space kept up to date as trials finish: each finished trial is folded in
 * once, so that asking costs O(trials) set lookups instead of re-comparing every distribution.
 * @internal
 */
export class IntersectionCache {
  private readonly seen = new Set<number>();
  private space: SearchSpace | null = null;
  private study = '';

  constructor(private readonly includePruned: boolean) {}

  calculate(studyName: string, trials: readonly FrozenTrial[]): SearchSpace {
    if (studyName !== this.study) {
      this.study = studyName;
      this.seen.clear();
      this.space = null;
    }
    for (const t of trials) {
      if (!(t.state === 'complete' || (this.includePruned && t.state === 'pruned'))) continue;
      if (this.seen.has(t.number)) continue;
      this.seen.add(t.number);
      this.space = intersectionSearchSpace([t], this.includePruned, this.space);
    }
    const sorted: SearchSpace = {};
    if (this.space === null) return sorted;
    for (const name of Object.keys(this.space).sort()) sorted[name] = this.space[name]!;
    return sorted;
  }
}
