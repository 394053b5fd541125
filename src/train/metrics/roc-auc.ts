/**
 * Exact binary ROC-AUC over an epoch.
 *
 * @module
 */
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isBinaryOutput, readTargets } from './class-input.js';
import { checkBatch, GrowableFloat64, type Metric } from './metric.js';

/**
 * The area under the ROC curve of `scores` against 0/1 `labels`, by the rank-sum (Mann-Whitney)
 * form: tied scores share their average rank, which equals the trapezoid rule over the ROC curve
 * and hence `sklearn.metrics.roc_auc_score`. `NaN` when one class is absent (undefined there).
 *
 * @example
 * ```ts
 * rocAucOf(new Float64Array([0.1, 0.4, 0.35, 0.8]), new Uint8Array([0, 0, 1, 1])); // 0.75
 * ```
 */
export function rocAucOf(scores: Float64Array, labels: Uint8Array): number {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) are tied; each gets their mean, 1-based.
    const rank = (start + end + 1) / 2;
    for (let i = start; i < end; i++) {
      if (labels[order[i]!] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: the formula below is 0/0 = NaN there too; kept to say so
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Binary ROC-AUC, exact over every sample since the last reset (all scores of the epoch are
 * kept, 9 bytes per sample). Outputs: scores `[N]` / `[N, 1]` (probabilities or logits of the
 * positive class; AUC depends only on their order), or two-class scores `[N, 2]`, scored by
 * `s1 - s0`, which orders samples as the positive-class probability whether the columns are
 * logits or probabilities. Targets: 0/1 labels `[N]` (int32, float or bool).
 *
 * `compute()` is `NaN` while the labels seen are all of one class: scikit-learn raises there, but
 * a validation set without positives should not stop training.
 *
 * @example
 * ```ts
 * const auc = new RocAuc();
 * auc.update(k.tensor([0.1, 0.4, 0.35, 0.8]), k.tensor([0, 0, 1, 1]));
 * auc.compute(); // 0.75
 * ```
 */
export class RocAuc implements Metric {
  readonly name = 'roc_auc';
  readonly higherIsBetter = true;
  private readonly scores = new GrowableFloat64();
  private labels = new Uint8Array(1024);

  update(output: Tensor, target: Tensor): void {
    const n = checkBatch(this.name, output, target);
    const twoColumns = output.ndim === 2 && output.shape[1] === 2;
    if (!isBinaryOutput(output) && !twoColumns) {
      throw new ShapeError(
        `${this.name}: output must be binary scores [N], [N,1] or [N,2], got ${fmtShape(output.shape)}`,
      );
    }
    const truth = readTargets(this.name, target, n, 2);
    const raw = output.dataSync();
    const batch = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = twoColumns ? raw[2 * i + 1]! - raw[2 * i]! : raw[i]!;
      // A NaN has no rank; checked before anything is stored so a bad batch leaves no trace.
      if (Number.isNaN(s)) throw new ValueError(`${this.name}: output is NaN at sample ${i}`);
      batch[i] = s;
    }
    const start = this.scores.length;
    for (let i = 0; i < n; i++) this.scores.push(batch[i]!);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: growing when not needed changes nothing visible
    if (this.labels.length < this.scores.length) {
      const grown = new Uint8Array(Math.max(this.scores.length, 2 * this.labels.length));
      grown.set(this.labels);
      this.labels = grown;
    }
    this.labels.set(truth, start);
  }

  compute(): number {
    // Stryker disable next-line ConditionalExpression: rocAucOf of nothing is NaN too; kept to say so
    if (this.scores.length === 0) return Number.NaN;
    return rocAucOf(this.scores.view(), this.labels.subarray(0, this.scores.length));
  }

  reset(): void {
    this.scores.clear();
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only; the buffer grows back on demand
    if (this.labels.length > 1024) this.labels = new Uint8Array(1024);
  }
}
