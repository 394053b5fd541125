import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import { type Distribution, toInternal } from '../distributions.js';
import { checkKnown } from '../samplers/random.js';
import { intersectionSearchSpace } from '../search-space.js';
import type { StudyView } from '../view.js';
import { treeMainEffects } from './fanova.js';
import { fitForest } from './forest.js';

/** Options of `importance`, Optuna's FanovaImportanceEvaluator defaults. @example `k.tune.importance(study, { seed: 0, params: ['lr', 'units'] })` */
export interface ImportanceOptions {
  /** Parameters to rate (default: those every complete trial has). */
  params?: readonly string[];
  /** Trees of the random forest (default 64). */
  nTrees?: number;
  /** Depth limit of each tree (default 64). */
  maxDepth?: number;
  /** Seed of the forest's bootstrap samples (default 0). */
  seed?: number;
}

function encode(d: Distribution): { lo: number; hi: number; map: (v: unknown) => number } {
  if (d.type === 'categorical') {
    return { lo: -0.5, hi: d.choices.length - 0.5, map: (v) => toInternal(d, v as never) };
  }
  if (d.log)
    return { lo: Math.log(d.low), hi: Math.log(d.high), map: (v) => Math.log(v as number) };
  return { lo: d.low, hi: d.high, map: (v) => v as number };
}

/**
 * Hyperparameter importance by fANOVA on a random forest (Optuna's default evaluator): a forest is
 * fitted to the complete trials' objective values, and each parameter's importance is the share
 * of the forest's variance its marginal explains alone, averaged over trees and normalized to sum
 * to 1. Log-scaled parameters are rated on the log scale. Sorted from most to least important.
 *
 * @example
 * ```ts
 * const imp = k.tune.importance(study); // { lr: 0.81, units: 0.15, dropout: 0.04 }
 * ```
 */
export function importance(
  study: StudyView,
  options: ImportanceOptions = {},
): Record<string, number> {
  checkKnown('importance', options, ['params', 'nTrees', 'maxDepth', 'seed']);
  const complete = study.getTrials(['complete']);
  const space = intersectionSearchSpace(complete, false);
  const names = options.params ? [...options.params] : Object.keys(space);
  for (const name of names) {
    if (!space[name])
      throw new ValueError(`importance: '${name}' is not a parameter of every complete trial`);
  }
  const kept = names.filter((n) => {
    const d = space[n]!;
    return d.type === 'categorical' ? d.choices.length > 1 : d.high > d.low;
  });
  if (complete.length < 2) throw new ValueError('importance: needs at least 2 complete trials');
  if (kept.length === 0) return Object.fromEntries(names.map((n) => [n, 0]));
  const enc = kept.map((n) => encode(space[n]!));
  const x = complete.map((t) => kept.map((n, j) => enc[j]!.map(t.params[n])));
  const y = complete.map((t) => t.value as number);
  const trees = fitForest(x, y, new Generator(options.seed ?? 0), {
    nTrees: options.nTrees ?? 64,
    maxDepth: options.maxDepth ?? 64,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
  });
  const sums = new Array<number>(kept.length).fill(0);
  let counted = 0;
  for (const tree of trees) {
    const e = treeMainEffects(
      tree,
      enc.map((e) => e.lo),
      enc.map((e) => e.hi),
    );
    if (e === null) continue;
    counted++;
    e.forEach((v, j) => {
      sums[j]! += v;
    });
  }
  const total = sums.reduce((s, v) => s + v, 0);
  const scores = new Map<string, number>(names.map((n) => [n, 0]));
  if (counted > 0 && total > 0) {
    kept.forEach((n, j) => {
      scores.set(n, (sums[j] as number) / total);
    });
  }
  return Object.fromEntries([...scores].sort((a, b) => b[1] - a[1]));
}
