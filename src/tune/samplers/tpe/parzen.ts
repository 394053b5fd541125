import type { Generator } from '../../../tensor/random.js';
import type { Distribution } from '../../distributions.js';
import { logGaussMass, logPhi, truncnormPpf } from './truncnorm.js';

/** How a Parzen estimator is built: Optuna's `_ParzenEstimatorParameters`. @internal */
export interface ParzenParameters {
  priorWeight: number;
  /** The prior kernel's mixture weight, when not `priorWeight` (which still smooths categoricals). */
  priorMixtureWeight?: number;
  considerMagicClip: boolean;
  /** The count the magic clip divides the range by, when not the estimator's own kernels. */
  clipCount?: number;
  considerEndpoints: boolean;
  weights: (n: number) => number[];
}

interface NumericKernels {
  kind: 'numeric';
  mus: Float64Array;
  sigmas: Float64Array;
  /** Bounds in the modelled space: widened by half a step on grids, then logged on log scales. */
  low: number;
  high: number;
  /** Grid step in the parameter's own space, or 0 for continuous. */
  step: number;
  log: boolean;
  /** The parameter's own bounds, for snapping samples onto the grid. */
  gridLow: number;
  gridHigh: number;
  /** Per kernel: minus the log of its mass on [low, high] (and minus log sigma when continuous). */
  logNorm: Float64Array;
  /** Per kernel, for the continuous density's inner loop: 1 / sigma and logNorm - log sqrt(2 pi). */
  invSigmas: Float64Array;
  logConsts: Float64Array;
}

interface CategoricalKernels {
  kind: 'categorical';
  /** Per kernel, the log probability of each choice. */
  logProbs: Float64Array[];
  cumProbs: Float64Array[];
}

type Kernels = NumericKernels | CategoricalKernels;

/**
 * A mixture of product kernels over a search space (Optuna's `_ParzenEstimator`): one kernel per
 * observation plus a prior kernel (centred, as wide as the range), weighted by `weights(n)` and
 * `priorWeight`. Numeric dimensions use truncated normals in the (log) domain, with Optuna 5's
 * bandwidths (the larger gap to the sorted neighbours, clipped by the "magic clip"), stepped ones
 * integrating each kernel over the grid cell; categorical ones use a smoothed one-hot kernel.
 * @internal
 */
export class ParzenEstimator {
  private readonly logWeights: Float64Array;
  private readonly cumWeights: Float64Array;
  private readonly kernels: Kernels[];

  /** `observations[i][j]`: trial i, dimension j, internal values (choice index for categoricals). */
  constructor(
    observations: readonly number[][],
    readonly space: readonly Distribution[],
    params: ParzenParameters,
  ) {
    const n = observations.length;
    let w: number[];
    if (n === 0) w = [1];
    else {
      w = params.weights(n).slice();
      if (w.length !== n) throw new Error(`TPE weights(${n}) returned ${w.length} weights`);
      w.push(params.priorMixtureWeight ?? params.priorWeight);
    }
    const total = w.reduce((s, v) => s + v, 0);
    this.logWeights = Float64Array.from(w, (v) => Math.log(v / total));
    this.cumWeights = new Float64Array(w.length);
    let acc = 0;
    for (let i = 0; i < w.length; i++) {
      acc += (w[i] as number) / total;
      this.cumWeights[i] = acc;
    }
    this.kernels = space.map((d, j) => {
      const column = observations.map((o) => o[j] as number);
      return d.type === 'categorical'
        ? categoricalKernels(column, d.choices.length, params.priorWeight)
        : numericKernels(column, d, params);
    });
  }

  /** Draws `count` points (internal values, rounded onto grids and back from log space). */
  sample(rng: Generator, count: number): number[][] {
    const out: number[][] = [];
    for (let s = 0; s < count; s++) {
      const k = pick(this.cumWeights, rng.uniform());
      const point: number[] = [];
      for (let j = 0; j < this.kernels.length; j++) {
        point.push(this.sampleDim(j, k, rng));
      }
      out.push(point);
    }
    return out;
  }

  private sampleDim(j: number, k: number, rng: Generator): number {
    const kern = this.kernels[j] as Kernels;
    if (kern.kind === 'categorical') return pick(kern.cumProbs[k] as Float64Array, rng.uniform());
    const mu = kern.mus[k] as number;
    const sigma = kern.sigmas[k] as number;
    const q = rng.uniform();
    let x = mu + sigma * truncnormPpf(q, (kern.low - mu) / sigma, (kern.high - mu) / sigma);
    if (kern.log) x = Math.exp(x);
    if (kern.step > 0) {
      const snapped = kern.gridLow + Math.round((x - kern.gridLow) / kern.step) * kern.step;
      x = Math.min(kern.gridHigh, Math.max(kern.gridLow, snapped));
    }
    return x;
  }

  /** The mixture's log density at each point (internal values). */
  logPdf(points: readonly number[][]): Float64Array {
    const nk = this.logWeights.length;
    const out = new Float64Array(points.length);
    const terms = new Float64Array(nk);
    for (let p = 0; p < points.length; p++) {
      const point = points[p] as number[];
      terms.set(this.logWeights);
      for (let j = 0; j < this.kernels.length; j++) {
        const kern = this.kernels[j] as Kernels;
        if (kern.kind === 'categorical') {
          const c = point[j] as number;
          for (let k = 0; k < nk; k++) terms[k]! += (kern.logProbs[k] as Float64Array)[c] as number;
          continue;
        }
        addNumericLogPdf(kern, point[j] as number, terms);
      }
      let max = -Infinity;
      for (let k = 0; k < nk; k++) if ((terms[k] as number) > max) max = terms[k] as number;
      if (max === -Infinity) {
        out[p] = -Infinity;
        continue;
      }
      // Kernels more than 40 nats below the largest add under nk * e^-40 relative: skipping
      // their exp keeps the result to double precision and saves most of the work when the
      // bad estimator has hundreds of kernels far from the point.
      const cut = max - 40;
      let sum = 0;
      for (let k = 0; k < nk; k++) {
        const v = terms[k] as number;
        if (v > cut) sum += Math.exp(v - max);
      }
      out[p] = max + Math.log(sum);
    }
    return out;
  }
}

function addNumericLogPdf(kern: NumericKernels, x: number, terms: Float64Array): void {
  const nk = terms.length;
  if (kern.step === 0) {
    // The hot loop of a suggestion (candidates x kernels x dimensions): logPhi inlined.
    const t = kern.log ? Math.log(x) : x;
    const { mus, invSigmas, logConsts } = kern;
    for (let k = 0; k < nk; k++) {
      const z = (t - (mus[k] as number)) * (invSigmas[k] as number);
      terms[k]! += (logConsts[k] as number) - 0.5 * z * z;
    }
    return;
  }
  // Stepped: the kernel's mass on the grid cell around x, over its mass on the widened bounds.
  const half = kern.step / 2;
  const lo = kern.log ? Math.log(x - half) : x - half;
  const hi = kern.log ? Math.log(x + half) : x + half;
  for (let k = 0; k < nk; k++) {
    const mu = kern.mus[k] as number;
    const sigma = kern.sigmas[k] as number;
    terms[k]! += logGaussMass((lo - mu) / sigma, (hi - mu) / sigma) + (kern.logNorm[k] as number);
  }
}

function pick(cum: Float64Array, u: number): number {
  // The first index whose cumulative probability exceeds u (the last on rounding shortfall).
  for (let i = 0; i < cum.length; i++) if (u < (cum[i] as number)) return i;
  return cum.length - 1;
}

function categoricalKernels(
  column: number[],
  nChoices: number,
  priorWeight: number,
): CategoricalKernels {
  const rows: Float64Array[] = [];
  if (column.length === 0) rows.push(new Float64Array(nChoices).fill(1 / nChoices));
  else {
    const nKernels = column.length + 1;
    for (let i = 0; i < nKernels; i++) {
      const row = new Float64Array(nChoices).fill(priorWeight / nKernels);
      if (i < column.length) row[column[i] as number]! += 1;
      const sum = row.reduce((s, v) => s + v, 0);
      for (let c = 0; c < nChoices; c++) row[c] = sum === 0 ? 0 : (row[c] as number) / sum;
      rows.push(row);
    }
  }
  const logProbs = rows.map((r) => Float64Array.from(r, Math.log));
  const cumProbs = rows.map((r) => {
    const cum = new Float64Array(r.length);
    let acc = 0;
    for (let c = 0; c < r.length; c++) {
      acc += r[c] as number;
      cum[c] = acc;
    }
    cum[r.length - 1] = 1;
    return cum;
  });
  return { kind: 'categorical', logProbs, cumProbs };
}

function numericKernels(
  column: number[],
  d: Exclude<Distribution, { type: 'categorical' }>,
  params: ParzenParameters,
): NumericKernels {
  const step = d.step ?? 0;
  let low = d.low - step / 2;
  let high = d.high + step / 2;
  let mus = column;
  if (d.log) {
    low = Math.log(low);
    high = Math.log(high);
    mus = column.map(Math.log);
  }
  const n = mus.length;
  const range = high - low;
  const clipCount = params.clipCount ?? n + 1;
  const minSigma = params.considerMagicClip ? range / Math.min(100, 1 + clipCount) : 1e-12;
  const sigmas = neighbourBandwidths(mus, low, high, params.considerEndpoints).map((s) =>
    Math.min(range, Math.max(minSigma, s)),
  );
  const allMus = Float64Array.from([...mus, 0.5 * (low + high)]);
  const allSigmas = Float64Array.from([...sigmas, range]);
  const logNorm = new Float64Array(allMus.length);
  for (let k = 0; k < allMus.length; k++) {
    const mu = allMus[k] as number;
    const s = allSigmas[k] as number;
    const mass = logGaussMass((low - mu) / s, (high - mu) / s);
    logNorm[k] = step === 0 ? -Math.log(s) - mass : -mass;
  }
  const invSigmas = allSigmas.map((v) => 1 / v);
  const logConsts = logNorm.map((v) => v + logPhi(0));
  return {
    kind: 'numeric',
    invSigmas,
    logConsts,
    mus: allMus,
    sigmas: allSigmas,
    low,
    high,
    step,
    log: d.log,
    gridLow: d.low,
    gridHigh: d.high,
    logNorm,
  };
}

/**
 * Optuna's bandwidths: each observation's sigma is the larger gap to its neighbours among the
 * sorted observations, with the (widened) range ends as outer neighbours; unless
 * `considerEndpoints`, the outermost observations use their inner gap only.
 */
function neighbourBandwidths(
  mus: number[],
  low: number,
  high: number,
  considerEndpoints: boolean,
): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number));
  const ext = [low, ...order.map((i) => mus[i] as number), high];
  const sorted = order.map((_, i) =>
    Math.max(
      (ext[i + 1] as number) - (ext[i] as number),
      (ext[i + 2] as number) - (ext[i + 1] as number),
    ),
  );
  if (!considerEndpoints && ext.length >= 4) {
    sorted[0] = (ext[2] as number) - (ext[1] as number);
    sorted[sorted.length - 1] = (ext[ext.length - 2] as number) - (ext[ext.length - 3] as number);
  }
  const sigmas = new Array<number>(mus.length);
  order.forEach((orig, pos) => {
    sigmas[orig] = sorted[pos] as number;
  });
  return sigmas;
}
