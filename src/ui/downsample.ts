/**
 * Server-side thinning of metric series, so a curve of millions of points reaches the browser as
 * about as many points as the chart has pixels, for whatever range is visible.
 */

/** A series as parallel arrays: x (step or wall time) ascending, y the values. */
export interface Series {
  x: Float64Array | number[];
  y: Float64Array | number[];
}

/**
 * The first index whose x is >= `value` (x ascending).
 *
 * @example
 * ```ts
 * lowerBound([1, 3, 3, 5], 3); // 1
 * ```
 */
export function lowerBound(x: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first index whose x is > `value` (x ascending).
 *
 * @example
 * ```ts
 * upperBound([1, 3, 3, 5], 3); // 3
 * ```
 */
export function upperBound(x: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The points of `s` with x in [xMin, xMax], plus one neighbour on each side so that a zoomed
 * curve still reaches the edges of the plot.
 *
 * @example
 * ```ts
 * sliceRange({ x: [0, 1, 2, 3], y: [5, 6, 7, 8] }, 1.5, 2.5); // x [1, 2, 3]
 * ```
 */
export function sliceRange(s: Series, xMin: number, xMax: number): { x: number[]; y: number[] } {
  const n = s.x.length;
  const start = Math.max(0, lowerBound(s.x, xMin) - 1);
  const end = Math.min(n, upperBound(s.x, xMax) + 1);
  return { x: Array.from(s.x.slice(start, end)), y: Array.from(s.y.slice(start, end)) };
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the first and last points and, from
 * each of `threshold - 2` buckets, the point forming the largest triangle with the previous kept
 * point and the next bucket's mean. Keeps the shape of a curve (spikes included) far better than
 * taking every n-th point. A non-finite value (a NaN loss) is always kept: a bucket holding
 * one keeps it, so a diverged run shows it.
 *
 * @example
 * ```ts
 * const thin = lttb({ x: steps, y: losses }, 1000); // at most 1000 points
 * ```
 */
export function lttb(s: Series, threshold: number): { x: number[]; y: number[] } {
  const n = s.x.length;
  if (threshold >= n || threshold < 3) return { x: Array.from(s.x), y: Array.from(s.y) };
  const outX: number[] = [s.x[0]!];
  const outY: number[] = [s.y[0]!];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const start = Math.floor(i * every) + 1;
    const end = Math.min(Math.floor((i + 1) * every) + 1, n - 1);
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let meanX = 0;
    let meanY = 0;
    let count = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      const yj = s.y[j]!;
      if (!Number.isFinite(yj)) continue;
      meanX += s.x[j]!;
      meanY += yj;
      count++;
    }
    if (count > 0) {
      meanX /= count;
      meanY /= count;
    } else {
      meanX = s.x[nextStart] ?? s.x[n - 1]!;
      meanY = s.y[a]!;
    }
    const ax = s.x[a]!;
    const ay = s.y[a]!;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const yj = s.y[j]!;
      if (!Number.isFinite(yj)) {
        best = j;
        break;
      }
      const area = Math.abs((ax - meanX) * (yj - ay) - (ax - s.x[j]!) * (meanY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    outX.push(s.x[best]!);
    outY.push(s.y[best]!);
    a = best;
  }
  outX.push(s.x[n - 1]!);
  outY.push(s.y[n - 1]!);
  return { x: outX, y: outY };
}

/**
 * TensorBoard-style exponential moving average with debiasing, so the first points are not
 * pulled towards zero: `ema = w·ema + (1-w)·y`, shown as `ema / (1 - w^k)`. Non-finite values
 * pass through without disturbing the average. `weight` 0 returns the values unchanged.
 *
 * @example
 * ```ts
 * smooth([1, 0, 1, 0], 0.5); // [1, 0.333.., 0.714.., 0.333..]
 * ```
 */
export function smooth(y: ArrayLike<number>, weight: number): Float64Array {
  const out = Float64Array.from(y as ArrayLike<number>);
  if (!(weight > 0)) return out;
  let ema = 0;
  let k = 0;
  for (let i = 0; i < out.length; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v)) continue;
    k++;
    ema = weight * ema + (1 - weight) * v;
    out[i] = ema / (1 - weight ** k);
  }
  return out;
}
