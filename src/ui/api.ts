/**
 * The dashboard's JSON API: pure functions from a parsed request to a JSON-able answer, over a
 * DashboardSource. HTTP details (auth, headers, streaming) stay in server.ts.
 */
import { lttb, type Series, sliceRange, smooth } from './downsample.js';
import type { DashboardSource, UiRunRow, UiSeries } from './source.js';

/**
 * An error the client caused: sent as `{ error }` with its status.
 *
 * @example
 * ```ts
 * throw new ApiError(404, `no run '${id}'`); // sent as { error } with status 404
 * ```
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The x axis a curve is drawn against. */
export type XAxis = 'step' | 'time' | 'relative';

/** Query of one curve: range in x units, point budget, smoothing weight. */
export interface CurveQuery {
  x: XAxis;
  min?: number;
  max?: number;
  points: number;
  smooth: number;
}

/** One curve as sent: non-finite values become null (a gap in the chart). */
export interface CurveAnswer {
  key: string;
  x: number[];
  y: (number | null)[];
  total: number;
  inRange: number;
}

/** Column lists plus rows in a compact form: values in column order. */
export interface RunsAnswer {
  params: string[];
  metrics: string[];
  runs: {
    id: string;
    experiment: string;
    name: string;
    status: string;
    startTime: number;
    endTime: number | null;
    p: unknown[];
    m: (number | null)[];
  }[];
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * The runs table, with params and metrics as columns (sorted names) so 10,000 rows stay small.
 *
 * @example
 * ```ts
 * compactRuns(rows).runs[0].p; // param values in the order of .params
 * ```
 */
export function compactRuns(rows: UiRunRow[]): RunsAnswer {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of rows) {
    for (const k in r.params) params.add(k);
    for (const k in r.metrics) metrics.add(k);
  }
  const p = [...params].sort();
  const m = [...metrics].sort();
  return {
    params: p,
    metrics: m,
    runs: rows.map((r) => ({
      id: r.id,
      experiment: r.experiment,
      name: r.name,
      status: r.status,
      startTime: r.startTime,
      endTime: r.endTime,
      p: p.map((k) => (k in r.params ? r.params[k] : null)),
      m: m.map((k) => (k in r.metrics ? finiteOrNull(r.metrics[k]!) : null)),
    })),
  };
}

function number(raw: string | null, name: string, fallback?: number): number | undefined {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new ApiError(400, `${name}: expected a number, got '${raw}'`);
  return n;
}

/**
 * Reads `?x=&min=&max=&points=&smooth=`, rejecting values out of range.
 *
 * @example
 * ```ts
 * parseCurveQuery(new URLSearchParams('x=step&points=800&smooth=0.6'));
 * ```
 */
export function parseCurveQuery(params: URLSearchParams): CurveQuery {
  const x = params.get('x') ?? 'step';
  if (x !== 'step' && x !== 'time' && x !== 'relative')
    throw new ApiError(400, `x: expected step, time or relative, got '${x}'`);
  const points = number(params.get('points'), 'points', 1000)!;
  if (points < 3 || points > 20000) throw new ApiError(400, 'points: expected 3..20000');
  const weight = number(params.get('smooth'), 'smooth', 0)!;
  if (weight < 0 || weight >= 1) throw new ApiError(400, 'smooth: expected a weight in [0, 1)');
  const min = number(params.get('min'), 'min');
  const max = number(params.get('max'), 'max');
  return {
    x,
    points: Math.floor(points),
    smooth: weight,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  };
}

/** The x values of a series for an axis: steps, seconds since the epoch, or since the start. */
function xValues(s: UiSeries, axis: XAxis): Float64Array {
  if (axis === 'step') return s.step;
  const out = new Float64Array(s.time.length);
  const t0 = axis === 'relative' ? (s.time[0] ?? 0) : 0;
  for (let i = 0; i < out.length; i++) out[i] = (s.time[i]! - t0) / 1000;
  return out;
}

/** Orders a series by x (a resumed run may log steps again), keeping logging order for ties. */
function sortedByX(x: Float64Array, y: Float64Array): Series {
  let ascending = true;
  for (let i = 1; i < x.length && ascending; i++) ascending = x[i - 1]! <= x[i]!;
  if (ascending) return { x, y };
  const order = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]! || a - b);
  return { x: Float64Array.from(order, (i) => x[i]!), y: Float64Array.from(order, (i) => y[i]!) };
}

/**
 * One curve for the visible range: smoothed on the full series (so zooming does not change the
 * smoothed values), cut to [min, max], then thinned by LTTB to at most `points` points.
 *
 * @example
 * ```ts
 * curve('loss', series, { x: 'step', points: 800, smooth: 0.6 });
 * ```
 */
export function curve(key: string, s: UiSeries, q: CurveQuery): CurveAnswer {
  const full = sortedByX(xValues(s, q.x), s.value);
  const values = q.smooth > 0 ? smooth(full.y, q.smooth) : full.y;
  const xs = full.x;
  const ranged =
    q.min === undefined && q.max === undefined
      ? { x: xs, y: values }
      : sliceRange({ x: xs, y: values }, q.min ?? -Infinity, q.max ?? Infinity);
  const thin = lttb(ranged, q.points);
  return {
    key,
    x: thin.x,
    y: thin.y.map(finiteOrNull),
    total: s.value.length,
    inRange: ranged.x.length,
  };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Keeps the last few series in memory, so zooming into a 100k-point curve does not reread it. A
 * finished run's series is final; a running run's series is extended with the points logged
 * after its last step (one small query), and read whole again once the run has ended.
 *
 * @example
 * ```ts
 * const series = await new SeriesCache(source).get(runId, 'loss');
 * ```
 */
export class SeriesCache {
  private readonly entries = new Map<string, { status: string; series: UiSeries }>();

  constructor(
    private readonly source: DashboardSource,
    private readonly capacity = 32,
  ) {}

  async get(id: string, key: string): Promise<UiSeries> {
    const status = await this.source.status(id);
    if (!status) throw new ApiError(404, `no run '${id}'`);
    const name = `${id}\0${key}`;
    const hit = this.entries.get(name);
    let series: UiSeries;
    if (hit && hit.status === status && status !== 'running') series = hit.series;
    else if (hit && hit.status === 'running' && status === 'running') {
      const last = hit.series.step.length ? hit.series.step[hit.series.step.length - 1]! : -1;
      const more = await this.source.series(id, key, last);
      series = {
        step: concat(hit.series.step, more.step),
        time: concat(hit.series.time, more.time),
        value: concat(hit.series.value, more.value),
      };
    } else series = await this.source.series(id, key);
    if (series.value.length === 0) throw new ApiError(404, `run ${id} has no metric '${key}'`);
    this.entries.delete(name);
    this.entries.set(name, { status, series });
    while (this.entries.size > this.capacity)
      this.entries.delete(this.entries.keys().next().value as string);
    return series;
  }

  forget(id: string): void {
    for (const name of [...this.entries.keys()])
      if (name.startsWith(`${id}\0`)) this.entries.delete(name);
  }
}
