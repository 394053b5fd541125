/**
 * Accuracy and top-k accuracy.
 *
 * @module
 */
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ClassInput, type ClassInputOptions, isBinaryOutput, readTargets } from './class-input.js';
import { checkBatch, checkInt, type Metric } from './metric.js';

/**
 * Options of {@link Accuracy}.
 *
 * @example
 * ```ts
 * new Accuracy({ topK: 5 }); // logged as 'top5_accuracy'
 * ```
 */
export interface AccuracyOptions extends ClassInputOptions {
  /** Count a sample as right when its class is among the `topK` highest scores (default 1). */
  topK?: number;
}

/**
 * Fraction of samples whose predicted class is the true one. Outputs are scores `[N, C]` (logits
 * or probabilities; the prediction is the argmax, the first on ties) or binary scores `[N]` /
 * `[N, 1]` (thresholded, see {@link ClassInputOptions}); targets are class indices `[N]`.
 *
 * With `topK > 1` a sample counts as right when fewer than `topK` classes rank above its true
 * class, ranking by score and then by index (so `topK = 1` agrees with argmax). scikit-learn's
 * `top_k_accuracy_score` breaks ties the other way (higher index first); only ties differ.
 *
 * @example
 * ```ts
 * const acc = new Accuracy();
 * acc.update(k.tensor([[2, 1], [0, 3]]), k.tensor([0, 0], { dtype: 'int32' }));
 * acc.compute(); // 0.5
 * ```
 */
export class Accuracy implements Metric {
  readonly name: string;
  readonly higherIsBetter = true;
  readonly topK: number;
  private readonly input: ClassInput;
  private correct = 0;
  private total = 0;

  constructor(options: AccuracyOptions = {}) {
    this.topK = checkInt('accuracy', 'topK', options.topK ?? 1, 1);
    this.name = this.topK === 1 ? 'accuracy' : `top${this.topK}_accuracy`;
    this.input = new ClassInput(this.name, options);
  }

  update(output: Tensor, target: Tensor): void {
    if (this.topK === 1) {
      const { n, pred, truth } = this.input.read(output, target);
      for (let i = 0; i < n; i++) if (pred[i] === truth[i]) this.correct++;
      this.total += n;
      return;
    }
    const n = checkBatch(this.name, output, target);
    if (isBinaryOutput(output)) {
      throw new ShapeError(
        `${this.name}: top-k accuracy needs scores [N, C], got binary output ${fmtShape(output.shape)}`,
      );
    }
    const c = this.input.classesOf(output);
    if (this.topK > c) {
      throw new ValueError(
        `${this.name}: topK=${this.topK} is more than the ${c} classes of output ${fmtShape(output.shape)}`,
      );
    }
    const truth = readTargets(this.name, target, n, c);
    const scores = output.dataSync();
    for (let i = 0; i < n; i++) {
      const t = truth[i]!;
      const st = scores[i * c + t]!;
      let above = 0;
      for (let j = 0; j < c && above < this.topK; j++) {
        const s = scores[i * c + j]!;
        if (s > st || (s === st && j < t)) above++;
      }
      if (above < this.topK) this.correct++;
    }
    this.total += n;
  }

  compute(): number {
    return this.total === 0 ? Number.NaN : this.correct / this.total;
  }

  reset(): void {
    this.correct = 0;
    this.total = 0;
    this.input.reset();
  }
}
