import { ValueError } from '../../tensor/errors.js';

/**
 * Options of {@link slidingWindows}.
 *
 * @example
 * ```ts
 * const options: k.data.WindowOptions = { window: 24, horizon: 3 };
 * ```
 */
export interface WindowOptions {
  /** Past steps in each input. */
  window: number;
  /** Future steps to predict after each input. Default 1. */
  horizon?: number;
  /**
   * Per-step extra features (e.g. month as sin/cos), `extra[f][t]` for feature f at step t,
   * appended after the value at each input step.
   */
  extra?: readonly ArrayLike<number>[];
}

/**
 * Inputs and targets cut from a series, each window scaled by its own level.
 *
 * @example
 * ```ts
 * const w: k.data.Windows = k.data.slidingWindows([1, 2, 3, 4, 5], { window: 3 });
 * w.n; // 2
 * ```
 */
export interface Windows {
  /** float32 `[n, window, 1 + extra.length]`: value / level - 1, then the extra features. */
  x: Float32Array;
  /** float32 `[n, horizon]`: future value / level - 1. */
  y: Float32Array;
  /** The level of each window (the mean absolute value of its inputs; 1 when that is 0). */
  level: Float64Array;
  /** Index in the series of each window's first target step. */
  start: Int32Array;
  /** Number of windows. */
  n: number;
  /** Features per input step. */
  features: number;
}

/**
 * Cuts a series into overlapping (input, target) windows for forecasting: window i takes steps
 * `i .. i + window - 1` as input and the next `horizon` steps as target. Values are divided by
 * the window's own level (mean absolute input value) and centred at 0, so a model learns shape
 * and season rather than the absolute level, and a trend carries over to later, higher levels;
 * predictions map back with `(p + 1) * level`.
 *
 * @example
 * ```ts
 * const w = k.data.slidingWindows(series, { window: 24, horizon: 1 });
 * const x = k.tensor(w.x, { shape: [w.n, 24, w.features] });
 * ```
 */
export function slidingWindows(values: ArrayLike<number>, options: WindowOptions): Windows {
  const { window, horizon = 1, extra = [] } = options;
  for (const [name, v] of [
    ['window', window],
    ['horizon', horizon],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new ValueError(`slidingWindows: ${name} must be a positive integer, got ${v}`);
  }
  for (const e of extra) {
    if (e.length !== values.length)
      throw new ValueError(
        `slidingWindows: an extra feature has ${e.length} steps but the series has ${values.length}`,
      );
  }
  const n = Math.max(0, values.length - window - horizon + 1);
  const features = 1 + extra.length;
  const x = new Float32Array(n * window * features);
  const y = new Float32Array(n * horizon);
  const level = new Float64Array(n);
  const start = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = i; t < i + window; t++) sum += Math.abs(values[t]!);
    const s = sum > 0 ? sum / window : 1;
    level[i] = s;
    start[i] = i + window;
    for (let t = 0; t < window; t++) {
      const at = (i * window + t) * features;
      x[at] = values[i + t]! / s - 1;
      extra.forEach((e, f) => {
        x[at + 1 + f] = e[i + t]!;
      });
    }
    for (let h = 0; h < horizon; h++) y[i * horizon + h] = values[i + window + h]! / s - 1;
  }
  return { x, y, level, start, n, features };
}

/**
 * Seasonal-naive forecasts: each target step repeats the value one season earlier, taken from
 * the observed part only (for step `start + h`, the value `season * k` steps back, with the
 * smallest k that lands before `start`). The usual baseline a seasonal forecast must beat.
 *
 * @example
 * ```ts
 * const naive = k.data.seasonalNaive(series, w.start, 1, 12); // [n * horizon]
 * ```
 */
export function seasonalNaive(
  values: ArrayLike<number>,
  starts: ArrayLike<number>,
  horizon: number,
  season: number,
): Float64Array {
  const out = new Float64Array(starts.length * horizon);
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!;
    for (let h = 0; h < horizon; h++) {
      const back = season * Math.ceil((h + 1) / season);
      if (s + h - back < 0)
        throw new ValueError(
          `seasonalNaive: step ${s + h} has no value one season (${season}) earlier; use a window of at least the season`,
        );
      out[i * horizon + h] = values[s + h - back]!;
    }
  }
  return out;
}
