import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tensor } from '../ops/creation.js';
import { DataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Metric } from '../train/metrics/index.js';

/**
 * The file that gives a binary classification run folder a decision threshold other than 0.5
 * (written by `kiln automl --metric f1`); `kiln eval` and `kiln predict` apply it.
 *
 * @example
 * ```ts
 * existsSync(join(runDir, DECISION_FILE)); // true when the run predicts with a tuned threshold
 * ```
 */
export const DECISION_FILE = 'decision.json';

/**
 * A run folder's decision rule: predict the positive class (class index 1, `positive`) when its
 * probability is strictly greater than `threshold`, with how it was chosen.
 *
 * @example
 * ```ts
 * const d: DecisionRule = {
 *   type: 'decision', version: 1, threshold: 0.37, positive: 'yes', metric: 'f1',
 *   value: 0.812, atHalf: 0.795, rows: 800,
 * };
 * ```
 */
export interface DecisionRule {
  type: 'decision';
  version: 1;
  /** Probability of the positive class above which it is predicted, in (0, 1). */
  threshold: number;
  /** The positive class's name (class index 1). */
  positive: string;
  /** The metric the threshold was chosen for, on the search's validation predictions. */
  metric: string;
  /** The metric there at `threshold`, and at 0.5. */
  value: number;
  atHalf: number;
  /** Validation rows it was chosen on. */
  rows: number;
}

/**
 * The decision rule of a run folder, or null when it predicts the most probable class. A
 * malformed file, or one on a run that is not binary classification, is a `DataError` naming
 * the file and field.
 *
 * @example
 * ```ts
 * readDecision('runs/automl-churn', 2)?.threshold; // 0.37
 * ```
 */
export function readDecision(runDir: string, numClasses: number): DecisionRule | null {
  const path = join(runDir, DECISION_FILE);
  if (!existsSync(path)) return null;
  let d: DecisionRule;
  try {
    d = JSON.parse(readFileSync(path, 'utf8')) as DecisionRule;
  } catch {
    throw new DataError(`${path}: not valid JSON`);
  }
  if (d?.type !== 'decision' || d.version !== 1)
    throw new DataError(`${path}: not a decision rule (type "decision", version 1)`);
  if (!(typeof d.threshold === 'number' && d.threshold > 0 && d.threshold < 1))
    throw new DataError(
      `${path}: threshold must be a number in (0, 1), got ${String(d.threshold)}`,
    );
  if (numClasses !== 2)
    throw new DataError(
      `${path}: a decision threshold needs a binary classifier; this run has ${numClasses} classes (delete the file to predict the most probable class)`,
    );
  return d;
}

/**
 * Class scores `[N, 2]` (logits or log-probabilities) shifted so that their argmax is the
 * thresholded decision: class 1 exactly when its softmax probability is greater than
 * `threshold`. Probabilities computed from the result differ from the model's, so use it for
 * decisions only (ROC-AUC, which ranks, is unchanged by it).
 *
 * @example
 * ```ts
 * thresholded(logits, 0.3).argmax(1); // 1 where softmax(logits)[:, 1] > 0.3
 * ```
 */
export function thresholded(output: Tensor, threshold: number): Tensor {
  if (output.ndim !== 2 || output.shape[1] !== 2)
    throw new DataError(
      `decision threshold: expected scores of two classes [N, 2], got shape [${output.shape.join(', ')}]`,
    );
  const shift = Math.log(threshold / (1 - threshold));
  return output.add(tensor(Float32Array.of(0, -shift)));
}

/**
 * A class metric that scores thresholded decisions (accuracy, F1, precision, recall, confusion
 * matrix) instead of the argmax.
 *
 * @example
 * ```ts
 * const f1 = new ThresholdedMetric(metricFromName('f1'), 0.37);
 * ```
 */
export class ThresholdedMetric implements Metric {
  constructor(
    private readonly inner: Metric,
    private readonly threshold: number,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get higherIsBetter(): boolean | undefined {
    return this.inner.higherIsBetter;
  }

  update(output: Tensor, target: Tensor): void {
    this.inner.update(thresholded(output, this.threshold), target);
  }

  compute(): number {
    return this.inner.compute();
  }

  reset(): void {
    this.inner.reset();
  }
}
