/**
 * Streaming metrics for the training loop: each accumulates plain numbers over the batches of an
 * epoch and gives the exact value over all of them.
 *
 * @example
 * ```ts
 * import { Accuracy, F1Score, metricFromName } from './train/metrics/index.js';
 * const metrics = [new Accuracy(), new F1Score({ average: 'macro' }), metricFromName('top5_accuracy')];
 * for (const [x, y] of batches) for (const m of metrics) m.update(model.forward(x), y);
 * const logs = Object.fromEntries(metrics.map((m) => [m.name, m.compute()]));
 * ```
 *
 * @module
 */
export { Accuracy, type AccuracyOptions } from './accuracy.js';
export type { ClassInputOptions } from './class-input.js';
export { type ClassCounts, ConfusionMatrix } from './confusion.js';
export type { Metric } from './metric.js';
export {
  type Average,
  F1Score,
  Precision,
  type PrecisionRecallOptions,
  Recall,
} from './precision-recall.js';
export { closestName, METRIC_NAMES, type MetricOptions, metricFromName } from './registry.js';
export {
  MeanAbsoluteError,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
} from './regression.js';
export { RocAuc, rocAucOf } from './roc-auc.js';
