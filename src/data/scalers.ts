import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import { type DType, isFloat } from '../tensor/dtype.js';
import { ConfigError, DataError, fmtShape, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Transform } from './transforms.js';

/** Options of the fitted scalers. */
export interface ScalerOptions {
  /**
   * Dims reduced when fitting; they must include 0 (the sample dim). `[0]` (default) gives one
   * statistic per feature of [N, F] data; `[0, 2, 3]` one per channel of [N, C, H, W] images.
   */
  dims?: readonly number[];
}

/** The statistics of a fitted scaler, as `toJSON()` writes them. */
export interface ScalerJSON {
  type: 'Standardize' | 'MinMaxScale';
  dims: number[];
  /** Shape of the statistics (the fitted shape without dim 0, reduced dims kept as 1). */
  shape: number[];
  /** Standardize: the training mean and std. */
  mean?: number[];
  std?: number[];
  /** MinMaxScale: the training minima and maxima, and the target range. */
  min?: number[];
  max?: number[];
  range?: [number, number];
}

/** Per-position float64 reductions over `dims` of x; returns the reduce callback's results. */
function reduceStats(
  x: Tensor,
  dims: readonly number[],
  where: string,
  init: () => number[],
  fold: (acc: number[], v: number) => void,
): { shape: number[]; stats: number[][] } {
  const normalized = [...new Set(dims.map((d) => (d < 0 ? d + x.ndim : d)))].sort();
  if (!normalized.includes(0) || normalized.some((d) => d < 0 || d >= x.ndim)) {
    throw new ValueError(
      `${where}.fit: dims [${dims.join(',')}] must include 0 and be dims of ${fmtShape(x.shape)}`,
    );
  }
  if (x.shape[0] === 0) throw new DataError(`${where}.fit: cannot fit on zero samples`);
  const keep = x.shape.map((s, d) => (normalized.includes(d) ? 1 : s));
  const outStrides = new Array<number>(x.ndim);
  let acc = 1;
  for (let d = x.ndim - 1; d >= 0; d--) {
    outStrides[d] = normalized.includes(d) ? 0 : acc;
    acc *= keep[d]!;
  }
  const stats = Array.from({ length: acc }, init);
  const data = x.dataSync();
  const counter = new Array<number>(x.ndim).fill(0);
  let out = 0;
  for (let i = 0; i < data.length; i++) {
    fold(stats[out]!, data[i]!);
    for (let d = x.ndim - 1; d >= 0; d--) {
      counter[d]!++;
      out += outStrides[d]!;
      if (counter[d]! < x.shape[d]!) break;
      out -= counter[d]! * outStrides[d]!;
      counter[d] = 0;
    }
  }
  return { shape: keep.slice(1), stats };
}

abstract class FittedScaler implements Transform {
  protected dims: number[];
  protected shape: number[] = [];
  /** The statistics as saved: (mean, std) or (min, max). */
  protected s1: number[] = [];
  protected s2: number[] = [];
  /** The affine map applied: (x - a) / b. */
  private a: number[] = [];
  private b: number[] = [];
  private cache: { dtype: DType; a: Tensor; b: Tensor } | null = null;

  constructor(options: ScalerOptions = {}) {
    this.dims = [...(options.dims ?? [0])];
  }

  /** Whether `fit` (or `fromJSON`) has set the statistics. */
  get fitted(): boolean {
    return this.a.length > 0;
  }

  protected abstract get name(): 'Standardize' | 'MinMaxScale';
  protected abstract get keys(): ['mean', 'std'] | ['min', 'max'];
  /** (a, b) of the map (x - a) / b from the saved statistics. */
  protected abstract affine(s1: number[], s2: number[]): [number[], number[]];

  protected setStats(shape: number[], s1: number[], s2: number[]): this {
    this.shape = shape;
    this.s1 = s1;
    this.s2 = s2;
    [this.a, this.b] = this.affine(s1, s2);
    this.cache = null;
    return this;
  }

  /** (x - a) / b with the stored statistics, broadcast over leading dims. */
  apply(x: Tensor): Tensor {
    if (!this.fitted) {
      throw new ValueError(`${this.name}.apply: not fitted; call fit(trainData) first`);
    }
    const dtype: DType = isFloat(x.dtype) ? x.dtype : 'float32';
    if (!this.cache || this.cache.dtype !== dtype) {
      const make = (v: number[]) => tensor(Float64Array.from(v), { shape: this.shape, dtype });
      this.cache = { dtype, a: make(this.a), b: make(this.b) };
    }
    const { a, b } = this.cache;
    const tail = x.shape.slice(x.ndim - this.shape.length);
    if (
      x.ndim < this.shape.length ||
      tail.some((s, i) => this.shape[i] !== 1 && s !== this.shape[i])
    ) {
      throw new DataError(
        `${this.name}.apply: input ${fmtShape(x.shape)} does not match the fitted statistics ${fmtShape(this.shape)}`,
      );
    }
    return noGrad(() => x.to(dtype).sub(a).div(b));
  }

  toJSON(): ScalerJSON {
    const [k1, k2] = this.keys;
    return { type: this.name, dims: this.dims, shape: this.shape, [k1]: this.s1, [k2]: this.s2 };
  }

  protected load(json: ScalerJSON): this {
    const [k1, k2] = this.keys;
    const s1 = json?.[k1];
    const s2 = json?.[k2];
    const valid = (v: unknown): v is number[] =>
      Array.isArray(v) && v.every((e) => typeof e === 'number');
    if (
      json?.type !== this.name ||
      !valid(s1) ||
      !valid(s2) ||
      !valid(json.shape) ||
      !valid(json.dims) ||
      s1.length !== s2.length ||
      s1.length !== json.shape.reduce((p, q) => p * q, 1)
    ) {
      throw new ConfigError(
        `${this.name}.fromJSON: expected { type: '${this.name}', dims, shape, ${k1}, ${k2} } with one value per position of shape, got ${JSON.stringify(json)?.slice(0, 200)}`,
      );
    }
    this.dims = [...json.dims];
    return this.setStats([...json.shape], [...s1], [...s2]);
  }
}

/**
 * (x - mean) / std with statistics fitted on the training split only, as scikit-learn's
 * `StandardScaler` (population std; a constant feature gets std 1 so it maps to 0). Save the
 * statistics with the model through `toJSON()`, restore them with `Standardize.fromJSON`.
 *
 * @example
 * ```ts
 * const scaler = new k.data.Standardize().fit(xTrain);
 * const xTestScaled = scaler.apply(xTest); // test data never influences the statistics
 * const restored = k.data.Standardize.fromJSON(scaler.toJSON());
 * ```
 */
export class Standardize extends FittedScaler {
  protected get name(): 'Standardize' {
    return 'Standardize';
  }

  protected get keys(): ['mean', 'std'] {
    return ['mean', 'std'];
  }

  protected affine(mean: number[], std: number[]): [number[], number[]] {
    return [mean, std];
  }

  /** Per-position means (as fitted). */
  get mean(): number[] {
    return [...this.s1];
  }

  /** Per-position standard deviations (1 where the data was constant). */
  get std(): number[] {
    return [...this.s2];
  }

  /** Computes mean and std over `dims` of the training data. */
  fit(x: Tensor): this {
    // Welford's update keeps float32 features with a large offset from losing their variance.
    const { shape, stats } = reduceStats(
      x,
      this.dims,
      'Standardize',
      () => [0, 0, 0],
      (s, v) => {
        s[0]!++;
        const d = v - s[1]!;
        s[1]! += d / s[0]!;
        s[2]! += d * (v - s[1]!);
      },
    );
    const mean = stats.map((s) => s[1]!);
    const std = stats.map((s) => {
      const sd = Math.sqrt(s[2]! / s[0]!);
      return sd > 1e-12 && Number.isFinite(sd) ? sd : 1;
    });
    if (mean.some((m) => !Number.isFinite(m))) {
      throw new DataError('Standardize.fit: the data holds NaN or infinite values');
    }
    return this.setStats(shape, mean, std);
  }

  /** Restores a scaler saved with `toJSON()`. */
  static fromJSON(json: ScalerJSON): Standardize {
    return new Standardize().load(json);
  }
}

/** Options of `MinMaxScale`. */
export interface MinMaxScaleOptions extends ScalerOptions {
  /** Target range (default [0, 1]). */
  range?: [number, number];
}

/**
 * Maps each position's training [min, max] to `range` (default [0, 1]), as scikit-learn's
 * `MinMaxScaler`; a constant feature maps to the range's low end. Test data may fall outside.
 *
 * @example
 * ```ts
 * const scaler = new k.data.MinMaxScale({ range: [-1, 1] }).fit(xTrain);
 * const y = scaler.apply(xTest);
 * ```
 */
export class MinMaxScale extends FittedScaler {
  readonly range: [number, number];

  constructor(options: MinMaxScaleOptions = {}) {
    super(options);
    this.range = options.range ?? [0, 1];
    if (!(this.range[1] > this.range[0])) {
      throw new ValueError(
        `MinMaxScale: range must be [low, high] with low < high, got [${this.range}]`,
      );
    }
  }

  protected get name(): 'MinMaxScale' {
    return 'MinMaxScale';
  }

  protected get keys(): ['min', 'max'] {
    return ['min', 'max'];
  }

  /** y = (x - a) / b with b = (max - min) / (hi - lo) (1 for a constant) and a = min - lo * b. */
  protected affine(min: number[], max: number[]): [number[], number[]] {
    const [lo, hi] = this.range;
    const b = min.map((mn, i) => (max[i]! > mn ? (max[i]! - mn) / (hi - lo) : 1));
    return [min.map((mn, i) => mn - lo * b[i]!), b];
  }

  /** Computes per-position minima and maxima over `dims` of the training data. */
  fit(x: Tensor): this {
    const { shape, stats } = reduceStats(
      x,
      this.dims,
      'MinMaxScale',
      () => [Infinity, -Infinity],
      (s, v) => {
        if (v < s[0]!) s[0] = v;
        if (v > s[1]!) s[1] = v;
      },
    );
    if (stats.some((s) => !Number.isFinite(s[0]!) || !Number.isFinite(s[1]!))) {
      throw new DataError('MinMaxScale.fit: the data holds NaN or infinite values');
    }
    return this.setStats(
      shape,
      stats.map((s) => s[0]!),
      stats.map((s) => s[1]!),
    );
  }

  override toJSON(): ScalerJSON {
    return { ...super.toJSON(), range: [...this.range] };
  }

  /** Restores a scaler saved with `toJSON()`. */
  static fromJSON(json: ScalerJSON): MinMaxScale {
    return new MinMaxScale({ range: json?.range ?? [0, 1] }).load(json);
  }
}
