import { Standardize } from '../data/scalers.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Metric } from '../train/metrics/index.js';
import { metricFromName } from '../train/metrics/index.js';
import type { Preprocessing } from './data.js';

/**
 * A metric that sees outputs and targets mapped back from standardized units, so a regression
 * trained on a standardized target still reports RMSE and MAE in the data's own units.
 */
class OriginalUnits implements Metric {
  constructor(
    private readonly inner: Metric,
    private readonly mean: number,
    private readonly std: number,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  update(output: Tensor, target: Tensor): void {
    const restore = (t: Tensor) => t.mul(this.std).add(this.mean);
    this.inner.update(restore(output.reshape(target.shape)), restore(target));
  }

  compute(): number {
    return this.inner.compute();
  }

  reset(): void {
    this.inner.reset();
  }
}

/** The config's metrics, reporting in original units when the target was standardized. */
export function buildMetrics(names: readonly string[], preprocessing: Preprocessing): Metric[] {
  const target = preprocessing.target ? Standardize.fromJSON(preprocessing.target) : null;
  return names.map((name) => {
    const metric = metricFromName(name);
    return target ? new OriginalUnits(metric, target.mean[0]!, target.std[0]!) : metric;
  });
}
