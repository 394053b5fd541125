/**
 * Precision, recall and F1 with scikit-learn's averages, computed from a streaming confusion
 * matrix.
 *
 * @module
 */
import { ConfigError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ClassInputOptions } from './class-input.js';
import { type ClassCounts, ConfusionMatrix } from './confusion.js';
import { checkInt, type Metric } from './metric.js';

/**
 * How per-class scores are combined, as scikit-learn's `average`.
 *
 * @example
 * ```ts
 * const average: Average = 'macro';
 * new Recall({ average });
 * ```
 */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

const AVERAGES: readonly Average[] = ['binary', 'macro', 'micro', 'weighted'];

/**
 * Options of {@link Precision}, {@link Recall} and {@link F1Score}.
 *
 * @example
 * ```ts
 * new F1Score({ average: 'weighted', numClasses: 10 });
 * ```
 */
export interface PrecisionRecallOptions extends ClassInputOptions {
  /**
   * `'binary'`: the score of `positiveClass` alone; `'macro'`: the unweighted mean over classes;
   * `'micro'`: the score of the counts summed over classes; `'weighted'`: the mean weighted by
   * each class's support. Default: `'binary'` for 2 classes, `'macro'` for more.
   */
  average?: Average;
  /** The class scored by `average: 'binary'` (default 1). */
  positiveClass?: number;
}

/** tp, fp, fn of one class (or summed) to a score; 0 where the denominator is 0. */
type Score = (tp: number, fp: number, fn: number) => number;

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);
const precisionOf: Score = (tp, fp) => ratio(tp, tp + fp);
const recallOf: Score = (tp, _fp, fn) => ratio(tp, tp + fn);
// 2tp / (2tp + fp + fn) equals 2PR / (P + R) whenever both are defined, and is 0 exactly where
// scikit-learn's zero_division=0 makes it 0, without an intermediate 0/0.
const f1Of: Score = (tp, fp, fn) => ratio(2 * tp, 2 * tp + fp + fn);

/**
 * Combines per-class counts into one number as scikit-learn does with `labels=None` and
 * `zero_division=0`: `'macro'` averages over the classes that occur in the targets or the
 * predictions (a class never seen either way is left out, not counted as 0).
 */
function averaged(score: Score, k: ClassCounts, average: Average, positiveClass: number): number {
  const c = k.tp.length;
  if (average === 'binary')
    return score(k.tp[positiveClass]!, k.fp[positiveClass]!, k.fn[positiveClass]!);
  if (average === 'micro') {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < c; i++) {
      tp += k.tp[i]!;
      fp += k.fp[i]!;
      fn += k.fn[i]!;
    }
    return score(tp, fp, fn);
  }
  let sum = 0;
  let weights = 0;
  for (let i = 0; i < c; i++) {
    const tp = k.tp[i]!;
    const fp = k.fp[i]!;
    const fn = k.fn[i]!;
    if (tp + fp + fn === 0) continue;
    const w = average === 'macro' ? 1 : k.support[i]!;
    sum += w * score(tp, fp, fn);
    weights += w;
  }
  return ratio(sum, weights);
}

/**
 * Shared machinery of precision, recall and F1: a confusion matrix and the averaging.
 */
abstract class AveragedScore implements Metric {
  abstract readonly name: string;
  readonly higherIsBetter = true;
  readonly positiveClass: number;
  private readonly requested: Average | undefined;
  private readonly cm: ConfusionMatrix;

  protected constructor(
    where: string,
    private readonly score: Score,
    options: PrecisionRecallOptions,
  ) {
    if (options.average !== undefined && !AVERAGES.includes(options.average)) {
      throw new ConfigError(
        `${where}: unknown average '${options.average}'; expected one of ${AVERAGES.join(', ')}`,
      );
    }
    this.requested = options.average;
    this.positiveClass = checkInt(where, 'positiveClass', options.positiveClass ?? 1, 0);
    this.cm = new ConfusionMatrix(options, where);
    this.checkPositive(where, this.cm.numClasses);
  }

  private checkPositive(where: string, numClasses: number | undefined): void {
    // Stryker disable next-line ConditionalExpression: n >= undefined is false, so the first test only documents
    if (numClasses !== undefined && this.positiveClass >= numClasses) {
      throw new ValueError(
        `${where}: positiveClass ${this.positiveClass} is not a class index in [0, ${numClasses - 1}] (numClasses=${numClasses})`,
      );
    }
  }

  /** The average in use: the requested one, else binary for 2 classes and macro for more. */
  get average(): Average | undefined {
    if (this.requested !== undefined) return this.requested;
    const c = this.cm.numClasses;
    return c === undefined ? undefined : c === 2 ? 'binary' : 'macro';
  }

  update(output: Tensor, target: Tensor): void {
    this.cm.update(output, target);
    this.checkPositive(this.name, this.cm.numClasses);
  }

  compute(): number {
    const counts = this.cm.counts();
    if (counts.total === 0) return Number.NaN;
    return averaged(this.score, counts, this.average!, this.positiveClass);
  }

  /** The confusion matrix behind the score (rows true class, columns predicted). */
  matrix(): number[][] {
    return this.cm.matrix();
  }

  reset(): void {
    this.cm.reset();
  }
}

/**
 * Precision `tp / (tp + fp)`, as `sklearn.metrics.precision_score` with `zero_division=0`.
 * Outputs and targets are read as by {@link Accuracy}. Unlike scikit-learn, `average: 'binary'`
 * is also accepted with more than two classes: it scores `positiveClass` against the rest.
 *
 * @example
 * ```ts
 * const p = new Precision({ average: 'macro' });
 * p.update(logits, labels);
 * p.compute();
 * ```
 */
export class Precision extends AveragedScore {
  readonly name = 'precision';
  constructor(options: PrecisionRecallOptions = {}) {
    super('precision', precisionOf, options);
  }
}

/**
 * Recall `tp / (tp + fn)`, as `sklearn.metrics.recall_score` with `zero_division=0`; see
 * {@link Precision} for inputs and averages.
 *
 * @example
 * ```ts
 * const r = new Recall({ fromLogits: true }); // binary [N] logits, positive class 1
 * r.update(logits, labels);
 * r.compute();
 * ```
 */
export class Recall extends AveragedScore {
  readonly name = 'recall';
  constructor(options: PrecisionRecallOptions = {}) {
    super('recall', recallOf, options);
  }
}

/**
 * F1, the harmonic mean of precision and recall, as `sklearn.metrics.f1_score` with
 * `zero_division=0` (`'macro'` averages per-class F1, not the F1 of averaged P and R); see
 * {@link Precision} for inputs and averages.
 *
 * @example
 * ```ts
 * const f1 = new F1Score({ average: 'weighted' });
 * f1.update(logits, labels);
 * f1.compute();
 * ```
 */
export class F1Score extends AveragedScore {
  readonly name = 'f1';
  constructor(options: PrecisionRecallOptions = {}) {
    super('f1', f1Of, options);
  }
}
