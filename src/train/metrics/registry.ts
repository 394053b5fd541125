/**
 * Metrics by name, for configs and the CLI.
 *
 * @module
 */
import { ConfigError } from '../../tensor/errors.js';
import { Accuracy, type AccuracyOptions } from './accuracy.js';
import { ConfusionMatrix } from './confusion.js';
import type { Metric } from './metric.js';
import { F1Score, Precision, type PrecisionRecallOptions, Recall } from './precision-recall.js';
import {
  MeanAbsoluteError,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
} from './regression.js';
import { RocAuc } from './roc-auc.js';

/**
 * Options accepted by {@link metricFromName}; each metric reads the ones it knows.
 *
 * @example
 * ```ts
 * metricFromName('f1', { average: 'macro', numClasses: 10 });
 * ```
 */
export type MetricOptions = AccuracyOptions & PrecisionRecallOptions;

const FACTORIES: Readonly<Record<string, (options: MetricOptions) => Metric>> = {
  accuracy: (o) => new Accuracy({ ...o, topK: 1 }),
  top5_accuracy: (o) => new Accuracy({ ...o, topK: 5 }),
  topk: (o) => new Accuracy({ ...o, topK: o.topK ?? 5 }),
  precision: (o) => new Precision(o),
  recall: (o) => new Recall(o),
  f1: (o) => new F1Score(o),
  confusion_matrix: (o) => new ConfusionMatrix(o),
  roc_auc: () => new RocAuc(),
  mae: () => new MeanAbsoluteError(),
  mse: () => new MeanSquaredError(),
  rmse: () => new RootMeanSquaredError(),
  r2: () => new R2Score(),
};

/**
 * The names {@link metricFromName} knows (plus `topN_accuracy` for any N).
 *
 * @example
 * ```ts
 * METRIC_NAMES.includes('f1'); // true
 * ```
 */
export const METRIC_NAMES: readonly string[] = Object.keys(FACTORIES);

/**
 * Optimal string alignment distance: edits, with a swap of two adjacent letters as one edit,
 * since `acucracy` is a typo of `accuracy` and should rank as close as a single wrong letter.
 */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The known name closest to `name`, or undefined when none is near enough to be a likely typo
 * (more edits than a third of the name's length, at least 2) nor a prefix of it.
 *
 * @example
 * ```ts
 * closestName('acuracy', ['accuracy', 'mae']); // 'accuracy'
 * ```
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (bestDistance <= Math.max(2, Math.floor(name.length / 3))) return best;
  // Long forms of a short name ('f1_score', 'mse_loss') are far in edits but plainly meant.
  return known.find((candidate) => candidate.length >= 2 && name.startsWith(candidate));
}

/**
 * A new metric from its name (case-insensitive): `accuracy`, `top5_accuracy` (or `topN_accuracy`
 * for any N), `topk` (top-`options.topK`, default 5), `precision`, `recall`, `f1`,
 * `confusion_matrix`, `roc_auc`, `mae`, `mse`, `rmse`, `r2`. An unknown name throws a
 * `ConfigError` listing the known ones and suggesting the closest.
 *
 * @example
 * ```ts
 * const metrics = ['accuracy', 'f1'].map((n) => metricFromName(n, { numClasses: 10 }));
 * metricFromName('acuracy'); // ConfigError: unknown metric 'acuracy'; did you mean 'accuracy'? (known: ...)
 * ```
 */
export function metricFromName(name: string, options: MetricOptions = {}): Metric {
  const key = name.trim().toLowerCase();
  const factory = FACTORIES[key];
  if (Object.hasOwn(FACTORIES, key)) return factory!(options);
  const topN = /^top(\d+)_accuracy$/.exec(key);
  if (topN !== null) return new Accuracy({ ...options, topK: Number(topN[1]) });
  const suggestion = closestName(key, METRIC_NAMES);
  const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
  throw new ConfigError(`unknown metric '${name}'${hint} (known: ${METRIC_NAMES.join(', ')})`);
}
