/**
 * The confusion matrix, which also carries the counts behind precision, recall and F1.
 *
 * @module
 */
import type { Tensor } from '../../tensor/tensor.js';
import { ClassInput, type ClassInputOptions } from './class-input.js';
import type { Metric } from './metric.js';

/**
 * Per-class counts of one pass over the data, read off a confusion matrix.
 *
 * @example
 * ```ts
 * const { tp, fp, fn, support } = cm.counts();
 * ```
 */
export interface ClassCounts {
  /** True positives of each class (the diagonal). */
  tp: Float64Array;
  /** False positives of each class (its column minus the diagonal). */
  fp: Float64Array;
  /** False negatives of each class (its row minus the diagonal). */
  fn: Float64Array;
  /** Samples whose true class is each class (its row sum). */
  support: Float64Array;
  /** All samples. */
  total: number;
}

/**
 * Counts of (true class, predicted class) pairs over every batch since the last reset: rows are
 * the true class and columns the predicted one, as `sklearn.metrics.confusion_matrix`. Inputs are
 * read as by {@link Accuracy}. `compute()` gives the accuracy (trace over total), so the metric
 * can be logged like any other; `matrix()` gives the counts.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix({ numClasses: 3 });
 * cm.update(logits, labels);
 * cm.matrix(); // [[5, 1, 0], [0, 7, 2], [1, 0, 4]]
 * ```
 */
export class ConfusionMatrix implements Metric {
  readonly name: string = 'confusion_matrix';
  readonly higherIsBetter = true;
  protected readonly input: ClassInput;
  private counts_: Float64Array = new Float64Array(0);
  private total = 0;

  constructor(options: ClassInputOptions = {}, where = 'confusion_matrix') {
    this.input = new ClassInput(where, options);
  }

  /** The class count, declared or taken from the first batch; undefined before it. */
  get numClasses(): number | undefined {
    return this.input.numClasses;
  }

  update(output: Tensor, target: Tensor): void {
    const { n, pred, truth } = this.input.read(output, target);
    const c = this.input.numClasses!;
    if (this.counts_.length !== c * c) this.counts_ = new Float64Array(c * c);
    for (let i = 0; i < n; i++) this.counts_[truth[i]! * c + pred[i]!]!++;
    this.total += n;
  }

  /** Accuracy: the share of samples on the diagonal (`NaN` before any sample). */
  compute(): number {
    if (this.total === 0) return Number.NaN;
    const c = this.input.numClasses!;
    let diagonal = 0;
    for (let i = 0; i < c; i++) diagonal += this.counts_[i * c + i]!;
    return diagonal / this.total;
  }

  /**
   * The counts as `numClasses` rows (true class) of `numClasses` columns (predicted class); all
   * zeros when `numClasses` was declared but nothing seen, `[]` when neither.
   */
  matrix(): number[][] {
    const c = this.input.numClasses ?? 0;
    const rows: number[][] = [];
    for (let i = 0; i < c; i++) {
      const row: number[] = [];
      for (let j = 0; j < c; j++) row.push(this.counts_[i * c + j] ?? 0);
      rows.push(row);
    }
    return rows;
  }

  /** Per-class true/false positives, false negatives and support. */
  counts(): ClassCounts {
    const c = this.input.numClasses ?? 0;
    const tp = new Float64Array(c);
    const fp = new Float64Array(c);
    const fn = new Float64Array(c);
    const support = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        const v = this.counts_[i * c + j] ?? 0;
        if (i === j) tp[i] = v;
        else {
          fn[i]! += v;
          fp[j]! += v;
        }
        support[i]! += v;
      }
    }
    return { tp, fp, fn, support, total: this.total };
  }

  reset(): void {
    this.counts_.fill(0);
    this.total = 0;
    this.input.reset();
  }
}
