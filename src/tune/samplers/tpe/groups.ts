import { type Distribution, isSingle, sameDistribution } from '../../distributions.js';
import type { FrozenTrial } from '../../frozen-trial.js';
import type { SearchSpace } from '../../view.js';

/**
 * The finished trials' parameters split into groups that always occur together (Optuna's
 * group-decomposed search space): two parameters share a group when every finished trial has
 * both or neither. In a conditional space each branch's parameters form a group of their own
 * (a model choice in one, the parameters of each model in others), so a joint sampler can model
 * each group on the trials that have it, instead of the intersection of all trials (the
 * unconditional parameters only) and one-dimensional estimators for the rest. Without
 * conditional parameters there is one group, the intersection search space. A parameter seen
 * with two different distributions is left out, as by the intersection. Each finished trial is
 * folded in once; groups are sorted by their first parameter name, names within a group too, so
 * that the order, and with it the random stream, does not depend on suggestion order.
 * @internal
 */
export class GroupCache {
  private readonly seen = new Set<number>();
  private groups: Set<string>[] = [];
  private readonly dists = new Map<string, SearchSpace[string]>();
  private readonly dropped = new Set<string>();
  private study = '';
  /** The last answer, kept until a trial is folded in or the study changes. */
  private last: SearchSpace[] | null = null;

  constructor(private readonly includePruned: boolean) {}

  calculate(studyName: string, trials: readonly FrozenTrial[]): SearchSpace[] {
    if (studyName !== this.study) {
      this.study = studyName;
      this.seen.clear();
      this.groups = [];
      this.dists.clear();
      this.dropped.clear();
      this.last = null;
    }
    for (const t of trials) {
      if (!(t.state === 'complete' || (this.includePruned && t.state === 'pruned'))) continue;
      if (this.seen.has(t.number)) continue;
      this.seen.add(t.number);
      this.add(t);
      this.last = null;
    }
    if (this.last) return this.last.map((g) => ({ ...g }));
    const out: SearchSpace[] = [];
    for (const g of this.groups) {
      const names = [...g].filter((n) => !this.dropped.has(n)).sort();
      if (names.length === 0) continue;
      const space: SearchSpace = {};
      for (const n of names) space[n] = this.dists.get(n)!;
      out.push(space);
    }
    out.sort((a, b) => (Object.keys(a)[0]! < Object.keys(b)[0]! ? -1 : 1));
    this.last = out;
    return out.map((g) => ({ ...g }));
  }

  /**
   * The group that `name` is in, when `name` has distribution `d` there and the group has another
   * parameter (single-valued ones left out); else null.
   */
  groupOf(
    studyName: string,
    trials: readonly FrozenTrial[],
    name: string,
    d: Distribution,
  ): SearchSpace | null {
    for (const g of this.calculate(studyName, trials)) {
      if (!(name in g)) continue;
      if (!sameDistribution(g[name]!, d)) return null;
      const space: SearchSpace = {};
      for (const [n, dist] of Object.entries(g)) if (!isSingle(dist)) space[n] = dist;
      return Object.keys(space).length > 1 ? space : null;
    }
    return null;
  }

  private add(t: FrozenTrial): void {
    const keys = new Set(Object.keys(t.distributions));
    for (const name of keys) {
      const d = t.distributions[name]!;
      const known = this.dists.get(name);
      if (known === undefined) this.dists.set(name, d);
      else if (!sameDistribution(known, d)) this.dropped.add(name);
    }
    const next: Set<string>[] = [];
    const covered = new Set<string>();
    for (const g of this.groups) {
      const inside = new Set<string>();
      const outside = new Set<string>();
      for (const n of g) {
        covered.add(n);
        (keys.has(n) ? inside : outside).add(n);
      }
      if (inside.size > 0) next.push(inside);
      if (outside.size > 0) next.push(outside);
    }
    const fresh = new Set([...keys].filter((n) => !covered.has(n)));
    if (fresh.size > 0) next.push(fresh);
    this.groups = next;
  }
}
