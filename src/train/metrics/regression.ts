/**
 * Regression metrics: MAE, MSE, RMSE and R², streaming with scikit-learn's definitions.
 *
 * @module
 */
import { fmtShape, ShapeError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBatch, type Metric } from './metric.js';

/**
 * Per-output sums over every sample since the last reset. Each element is added straight into
 * the running sums in sample order, so the result does not depend on how the data was batched.
 */
abstract class RegressionMetric implements Metric {
  abstract readonly name: string;
  abstract readonly higherIsBetter: boolean;
  /** Number of samples seen. */
  protected n = 0;
  /** Number of outputs per sample, fixed by the first batch. */
  protected outputs = 0;
  protected absSum = new Float64Array(0);
  protected sqSum = new Float64Array(0);

  update(output: Tensor, target: Tensor): void {
    const n = checkBatch(this.name, output, target);
    const d = this.outputsOf(output, target);
    if (this.n > 0 && d !== this.outputs) {
      throw new ShapeError(
        `${this.name}: output ${fmtShape(output.shape)} has ${d} values per sample but earlier batches had ${this.outputs}`,
      );
    }
    if (this.n === 0) this.allocate(d);
    const pred = output.dataSync();
    const truth = target.dataSync();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const y = truth[i * d + j]!;
        const r = y - pred[i * d + j]!;
        this.absSum[j]! += Math.abs(r);
        this.sqSum[j]! += r * r;
        this.observe(j, y);
      }
      this.n++;
    }
  }

  /** Values per sample; `[N]` and `[N, 1]` pair up, other shapes must match exactly. */
  private outputsOf(output: Tensor, target: Tensor): number {
    const column = (t: Tensor) => t.ndim === 1 || (t.ndim === 2 && t.shape[1] === 1);
    const same = output.ndim === target.ndim && output.shape.every((s, i) => s === target.shape[i]);
    if (!same && !(column(output) && column(target))) {
      throw new ShapeError(
        `${this.name}: output ${fmtShape(output.shape)} and target ${fmtShape(target.shape)} differ in shape`,
      );
    }
    // From the shape rather than numel / N, which an empty batch would leave undefined.
    return output.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  protected allocate(d: number): void {
    this.outputs = d;
    this.absSum = new Float64Array(d);
    this.sqSum = new Float64Array(d);
  }

  /** Hook for metrics that also track the targets themselves. */
  protected observe(_output: number, _y: number): void {}

  /** The mean over outputs of `perOutput(j)`, as scikit-learn's `multioutput='uniform_average'`. */
  protected uniform(perOutput: (j: number) => number): number {
    if (this.n === 0) return Number.NaN;
    let sum = 0;
    for (let j = 0; j < this.outputs; j++) sum += perOutput(j);
    return sum / this.outputs;
  }

  abstract compute(): number;

  reset(): void {
    this.n = 0;
    this.absSum.fill(0);
    this.sqSum.fill(0);
  }
}

/**
 * Mean absolute error `mean |y - ŷ|`, as `sklearn.metrics.mean_absolute_error`. Output and target
 * share a shape (`[N]`, `[N, D]`, ...; `[N, 1]` also pairs with `[N]`).
 *
 * @example
 * ```ts
 * const mae = new MeanAbsoluteError();
 * mae.update(k.tensor([2.5, 0, 2]), k.tensor([3, -0.5, 2]));
 * mae.compute(); // 0.3333
 * ```
 */
export class MeanAbsoluteError extends RegressionMetric {
  readonly name = 'mae';
  readonly higherIsBetter = false;
  compute(): number {
    return this.uniform((j) => this.absSum[j]! / this.n);
  }
}

/**
 * Mean squared error `mean (y - ŷ)²`, as `sklearn.metrics.mean_squared_error`; shapes as
 * {@link MeanAbsoluteError}.
 *
 * @example
 * ```ts
 * const mse = new MeanSquaredError();
 * mse.update(k.tensor([2.5, 0, 2]), k.tensor([3, -0.5, 2]));
 * mse.compute(); // 0.1667
 * ```
 */
export class MeanSquaredError extends RegressionMetric {
  readonly name = 'mse';
  readonly higherIsBetter = false;
  compute(): number {
    return this.uniform((j) => this.sqSum[j]! / this.n);
  }
}

/**
 * Root mean squared error, as `sklearn.metrics.root_mean_squared_error`: with several outputs,
 * the mean of each output's RMSE (not the root of the overall MSE; the two agree for one
 * output). Shapes as {@link MeanAbsoluteError}.
 *
 * @example
 * ```ts
 * const rmse = new RootMeanSquaredError();
 * rmse.update(k.tensor([1, 2]), k.tensor([1, 4]));
 * rmse.compute(); // sqrt(2) = 1.4142
 * ```
 */
export class RootMeanSquaredError extends RegressionMetric {
  readonly name = 'rmse';
  readonly higherIsBetter = false;
  compute(): number {
    return this.uniform((j) => Math.sqrt(this.sqSum[j]! / this.n));
  }
}

/**
 * Coefficient of determination `1 - SS_res / SS_tot` per output, averaged uniformly over outputs,
 * as `sklearn.metrics.r2_score` (with its `force_finite`: an output with constant targets scores
 * 1 when predicted exactly, else 0). `NaN` with fewer than two samples. Shapes as
 * {@link MeanAbsoluteError}.
 *
 * `SS_tot` is accumulated with Welford's running mean and sum of squared deviations rather than
 * `Σy² - (Σy)²/n`, which loses every digit when the targets' mean is large next to their spread.
 *
 * @example
 * ```ts
 * const r2 = new R2Score();
 * r2.update(k.tensor([2.5, 0, 2, 8]), k.tensor([3, -0.5, 2, 7]));
 * r2.compute(); // 0.9486
 * ```
 */
export class R2Score extends RegressionMetric {
  readonly name = 'r2';
  readonly higherIsBetter = true;
  private mean = new Float64Array(0);
  private m2 = new Float64Array(0);

  protected override allocate(d: number): void {
    super.allocate(d);
    this.mean = new Float64Array(d);
    this.m2 = new Float64Array(d);
  }

  protected override observe(j: number, y: number): void {
    // this.n counts the samples before the current one.
    const delta = y - this.mean[j]!;
    this.mean[j]! += delta / (this.n + 1);
    this.m2[j]! += delta * (y - this.mean[j]!);
  }

  compute(): number {
    if (this.n < 2) return Number.NaN;
    return this.uniform((j) => {
      const ssRes = this.sqSum[j]!;
      const ssTot = this.m2[j]!;
      if (ssTot === 0) return ssRes === 0 ? 1 : 0;
      return 1 - ssRes / ssTot;
    });
  }

  override reset(): void {
    super.reset();
    this.mean.fill(0);
    this.m2.fill(0);
  }
}
