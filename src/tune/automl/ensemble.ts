import { tensor } from '../../ops/creation.js';
import { metricFromName } from '../../train/metrics/index.js';
import type { SearchMetric } from './options.js';

/**
 * One complete trial's predictions on the search's validation rows (out-of-fold under
 * cross-validation), which ensemble selection combines.
 *
 * @example
 * ```ts
 * const p: TrialPredictions = { trial: 3, value: 0.95, pred: probs, refitSeconds: 4.2 };
 * ```
 */
export interface TrialPredictions {
  trial: number;
  /** The trial's objective (the metric's mean over the folds). */
  value: number;
  /**
   * Row-major predictions on the validation rows: class probabilities `[rows, classes]`, or
   * values `[rows]` in the target's own units.
   */
  pred: Float32Array;
  /** Estimated seconds to refit the candidate on all training rows. */
  refitSeconds: number;
}

/**
 * The validation rows' truth and how predictions are scored: the search metric, ties broken by
 * log loss (classification) or RMSE (regression), both computed on the pooled rows.
 *
 * @example
 * ```ts
 * const scorer = new EnsembleScorer(labels, 2, { name: 'accuracy', key: 'accuracy', direction: 'maximize' });
 * scorer.score(pred); // { value: 0.95, tie: 0.13 }
 * ```
 */
export class EnsembleScorer {
  /** Classes of a classification target, 0 for regression. */
  constructor(
    readonly truth: Int32Array | Float32Array,
    readonly classes: number,
    readonly metric: SearchMetric,
  ) {}

  /** The metric (and the tie-breaker, lower is better) of one prediction array. */
  score(pred: Float32Array): { value: number; tie: number } {
    const n = this.truth.length;
    const tie = this.classes ? logLoss(pred, this.truth, this.classes) : rmse(pred, this.truth);
    if (this.metric.key === 'loss') return { value: tie, tie };
    const m = metricFromName(this.metric.key);
    const out = this.classes
      ? tensor(pred, { shape: [n, this.classes] })
      : tensor(pred, { shape: [n] });
    const y = this.classes ? tensor(Int32Array.from(this.truth)) : tensor(this.truth);
    m.update(out, y);
    return { value: m.compute(), tie };
  }

  /** Whether score `a` is better than `b` (the metric's direction, then the tie-breaker). */
  better(a: { value: number; tie: number }, b: { value: number; tie: number }): boolean {
    const d = this.metric.direction === 'maximize' ? a.value - b.value : b.value - a.value;
    if (Math.abs(d) > 1e-12) return d > 0;
    return a.tie < b.tie - 1e-12;
  }
}

function logLoss(p: Float32Array, y: ArrayLike<number>, classes: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(p[i * classes + y[i]]!, 1e-12));
  return s / y.length;
}

function rmse(p: Float32Array, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/**
 * An ensemble chosen on the validation rows: its members with their weights (summing to 1),
 * its score there, and the best single trial's score on the same pooled rows.
 *
 * @example
 * ```ts
 * const e: EnsembleSelection = { members: [{ trial: 4, weight: 0.6 }, { trial: 9, weight: 0.4 }], value: 0.957, single: 0.951, iterations: 5 };
 * ```
 */
export interface EnsembleSelection {
  members: { trial: number; weight: number }[];
  value: number;
  /** The best single trial's score on the same rows (pooled, so it can differ from its mean over folds). */
  single: number;
  /** Greedy steps kept (a member picked twice counts twice: weights are counts / steps). */
  iterations: number;
}

/**
 * Greedy ensemble selection with replacement (Caruana et al., 2004, "Ensemble selection from
 * libraries of models"): starting from the best trial, each step adds the trial (again, or a new
 * one while fewer than `size` are in) whose addition scores best on the validation rows; the
 * weights are how often each was picked, and of the steps taken the best-scoring prefix is kept
 * (so the ensemble is never worse there than the best trial alone). Deterministic: ties go to
 * the better-ranked trial.
 *
 * @example
 * ```ts
 * const chosen = selectEnsemble(pool, scorer, { size: 5 });
 * chosen.members; // [{ trial: 4, weight: 0.5 }, { trial: 11, weight: 0.3 }, { trial: 2, weight: 0.2 }]
 * ```
 */
export function selectEnsemble(
  pool: readonly TrialPredictions[],
  scorer: EnsembleScorer,
  options: {
    /** Most distinct trials in the ensemble. */
    size: number;
    /** Greedy steps (default 4 per member, at least 10). */
    steps?: number;
    /** The trial to start from (default the best by value). */
    first?: number;
    /** Seconds to refit a trial, and the seconds the members besides the first may take. */
    cost?: (trial: number) => number;
    budget?: number;
  },
): EnsembleSelection {
  if (pool.length === 0) throw new Error('selectEnsemble: no trial to choose from');
  const sign = scorer.metric.direction === 'maximize' ? -1 : 1;
  const ranked = [...pool].sort(
    (a, b) =>
      Number(b.trial === options.first) - Number(a.trial === options.first) ||
      sign * (a.value - b.value) ||
      a.trial - b.trial,
  );
  let spent = 0;
  const affordable = (p: TrialPredictions) =>
    !options.cost || spent + options.cost(p.trial) <= (options.budget ?? Infinity);
  const steps = options.steps ?? Math.max(10, 4 * options.size);
  const width = ranked[0]!.pred.length;
  const sum = new Float64Array(width);
  const counts = new Map<number, number>();
  const add = (p: TrialPredictions) => {
    for (let i = 0; i < width; i++) sum[i]! += p.pred[i]!;
    counts.set(p.trial, (counts.get(p.trial) ?? 0) + 1);
  };
  const mean = (extra: TrialPredictions | null, n: number) => {
    const out = new Float32Array(width);
    for (let i = 0; i < width; i++) out[i] = (sum[i]! + (extra ? extra.pred[i]! : 0)) / n;
    return out;
  };
  add(ranked[0]!);
  const first = scorer.score(ranked[0]!.pred);
  let best = { score: first, counts: new Map(counts), steps: 1 };
  for (let step = 2; step <= steps; step++) {
    const open = counts.size < options.size;
    let pick: TrialPredictions | null = null;
    let pickScore: { value: number; tie: number } | null = null;
    for (const p of ranked) {
      if (!counts.has(p.trial) && !(open && affordable(p))) continue;
      const s = scorer.score(mean(p, step));
      if (!pickScore || scorer.better(s, pickScore)) {
        pick = p;
        pickScore = s;
      }
    }
    if (!pick) break;
    if (!counts.has(pick.trial) && options.cost) spent += options.cost(pick.trial);
    add(pick);
    if (scorer.better(pickScore!, best.score))
      best = { score: pickScore!, counts: new Map(counts), steps: step };
  }
  const order = new Map(ranked.map((p, i) => [p.trial, i]));
  const members = [...best.counts.entries()]
    .sort((a, b) => b[1] - a[1] || order.get(a[0])! - order.get(b[0])!)
    .map(([trial, n]) => ({ trial, weight: n / best.steps }));
  return { members, value: best.score.value, single: first.value, iterations: best.steps };
}
