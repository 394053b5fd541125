import { type RawTable, showNames } from '../data/table/read.js';
import {
  DEFAULT_MISSING,
  inferColumnKinds,
  parseDateCell,
  parseNumberCell,
} from '../data/table/types.js';
import { seasonalNaive, slidingWindows, type Windows } from '../data/table/windows.js';
import { tensor } from '../ops/creation.js';
import { ConfigError, DataError } from '../tensor/errors.js';
import type { TrainConfig } from './config.js';
import type { PreparedData, Split } from './data.js';
import { readConfiguredTable } from './table-data.js';

/** How a forecasting run reads a series; saved in the run folder for eval and predict. */
export interface ForecastSpec {
  type: 'forecast';
  version: 1;
  /** The value column. */
  column: string;
  /** The date column the rows are ordered by (null without one). */
  dateColumn: string | null;
  window: number;
  horizon: number;
  /** Steps per season, for the seasonal-naive baseline (12 for monthly data). */
  season: number;
  /** Per-step date features: 'month' adds the month as sin and cos. */
  dateFeatures: 'month'[];
  missingValues: string[];
}

/** A series read from a table: values in row order and each row's month (when dated). */
export interface Series {
  values: Float64Array;
  months: Int32Array | null;
}

/** Scores of a forecast in the data's own units, next to the seasonal-naive baseline's. */
export interface ForecastScores {
  rmse: number;
  mae: number;
  naive_rmse: number;
  naive_mae: number;
}

/** What scoring the held-out windows needs besides the model's outputs. */
export interface ForecastEval {
  spec: ForecastSpec;
  values: Float64Array;
  level: Float64Array;
  start: Int32Array;
}

/** The forecast spec a config describes, checked against the table's columns. */
export function forecastSpec(config: TrainConfig, table: RawTable): ForecastSpec {
  const d = config.data;
  if (d.format !== 'csv' || !d.target) {
    throw new ConfigError(
      'task: forecast needs data: { format: csv, path, target: <value column> }',
    );
  }
  if (!table.columns.includes(d.target)) {
    throw new ConfigError(
      `data.target: ${JSON.stringify(d.target)} is not a column of ${table.name} (columns: ${showNames(table.columns)})`,
    );
  }
  if (d.window === undefined)
    throw new ConfigError('data.window is required for task: forecast (past steps per input)');
  const missingValues = d.missingValues ?? [...DEFAULT_MISSING];
  const kinds = inferColumnKinds(table, { missing: new Set(missingValues) });
  const dateAt = kinds.indexOf('date');
  const dateFeatures = d.dateFeatures ?? [];
  if (dateFeatures.length > 0 && dateAt < 0) {
    throw new ConfigError(
      `data.dateFeatures: ${table.name} has no column of ISO dates to take them from`,
    );
  }
  return {
    type: 'forecast',
    version: 1,
    column: d.target,
    dateColumn: dateAt >= 0 ? table.columns[dateAt]! : null,
    window: d.window,
    horizon: d.horizon ?? 1,
    season: d.season ?? 12,
    dateFeatures,
    missingValues,
  };
}

/** The value column (and months) of a table; missing values and dates out of order are `DataError`s. */
export function readSeries(table: RawTable, spec: ForecastSpec): Series {
  const j = table.columns.indexOf(spec.column);
  if (j < 0) throw new DataError(`${table.name}: no column ${JSON.stringify(spec.column)}`);
  const dateAt = spec.dateColumn === null ? -1 : table.columns.indexOf(spec.dateColumn);
  if (spec.dateColumn !== null && dateAt < 0) {
    throw new DataError(`${table.name}: no date column ${JSON.stringify(spec.dateColumn)}`);
  }
  const missing = new Set(spec.missingValues);
  const n = table.rows.length;
  const values = new Float64Array(n);
  const months = dateAt >= 0 ? new Int32Array(n) : null;
  let previous = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < n; r++) {
    for (const c of dateAt >= 0 ? [j, dateAt] : [j]) {
      if (missing.has(table.rows[r][c]!)) {
        throw new DataError(
          `${table.name} line ${table.lines[r]}, column ${c + 1} (${JSON.stringify(table.columns[c])}): missing value in a series (fill it in; forecasting needs every step)`,
        );
      }
    }
    values[r] = parseNumberCell(table, r, j);
    if (months) {
      const d = parseDateCell(table, r, dateAt);
      if (d.years <= previous) {
        throw new DataError(
          `${table.name} line ${table.lines[r]}, column ${dateAt + 1} (${JSON.stringify(table.columns[dateAt])}): dates must increase row by row`,
        );
      }
      previous = d.years;
      months[r] = d.month;
    }
  }
  return { values, months };
}

/** Windows of a series with the spec's date features. */
export function windowsOf(series: Series, spec: ForecastSpec): Windows {
  const extra: Float64Array[] = [];
  if (spec.dateFeatures.includes('month') && series.months) {
    const angle = (m: number) => (2 * Math.PI * (m - 1)) / 12;
    extra.push(Float64Array.from(series.months, (m) => Math.sin(angle(m))));
    extra.push(Float64Array.from(series.months, (m) => Math.cos(angle(m))));
  }
  const w = slidingWindows(series.values, { window: spec.window, horizon: spec.horizon, extra });
  if (w.n === 0) {
    throw new DataError(
      `the series has ${series.values.length} steps, too few for a window of ${spec.window} and a horizon of ${spec.horizon}`,
    );
  }
  return w;
}

/** Windows `from .. to - 1` as a split. */
function slice(w: Windows, spec: ForecastSpec, from: number, to: number): Split {
  const step = spec.window * w.features;
  return {
    x: tensor(w.x.slice(from * step, to * step), { shape: [to - from, spec.window, w.features] }),
    y: tensor(w.y.slice(from * spec.horizon, to * spec.horizon), {
      shape: [to - from, spec.horizon],
    }),
  };
}

/**
 * Loads a forecasting config: windows over the series in time order, the last `split.test`
 * fraction (default 0.2) held out as the test tail, and `split.validation` of the rest before it.
 */
export async function prepareForecast(
  config: TrainConfig,
): Promise<PreparedData & { forecast: ForecastEval }> {
  const path = config.data.path ?? config.data.train;
  if (!path) throw new ConfigError("data.path is required for format 'csv'");
  const table = await readConfiguredTable(config, path);
  const spec = forecastSpec(config, table);
  const series = readSeries(table, spec);
  const w = windowsOf(series, spec);
  const nTest = Math.ceil(w.n * (config.split.test ?? 0.2));
  const nVal = config.split.validation ? Math.ceil((w.n - nTest) * config.split.validation) : 0;
  const nTrain = w.n - nTest - nVal;
  if (nTrain < 1) throw new ConfigError(`split: no training windows left of ${w.n}`);
  return {
    train: slice(w, spec, 0, nTrain),
    validation: nVal ? slice(w, spec, nTrain, nTrain + nVal) : null,
    test: slice(w, spec, nTrain + nVal, w.n),
    sampleShape: [spec.window, w.features],
    classes: null,
    preprocessing: { features: null, target: null, forecast: spec },
    task: 'regression',
    forecast: {
      spec,
      values: series.values,
      level: w.level.slice(nTrain + nVal),
      start: w.start.slice(nTrain + nVal),
    },
  };
}

/**
 * RMSE and MAE of forecasts mapped back to the data's units (`(p + 1) * level`), and of the
 * seasonal-naive forecasts of the same steps.
 */
export function forecastScores(outputs: ArrayLike<number>, e: ForecastEval): ForecastScores {
  const { horizon, season } = e.spec;
  const naive = seasonalNaive(e.values, e.start, horizon, season);
  let se = 0;
  let ae = 0;
  let nse = 0;
  let nae = 0;
  const n = e.start.length * horizon;
  for (let i = 0; i < e.start.length; i++) {
    for (let h = 0; h < horizon; h++) {
      const truth = e.values[e.start[i] + h]!;
      const pred = (outputs[i * horizon + h]! + 1) * e.level[i]!;
      se += (pred - truth) ** 2;
      ae += Math.abs(pred - truth);
      const b = naive[i * horizon + h]!;
      nse += (b - truth) ** 2;
      nae += Math.abs(b - truth);
    }
  }
  return {
    rmse: Math.sqrt(se / n),
    mae: ae / n,
    naive_rmse: Math.sqrt(nse / n),
    naive_mae: nae / n,
  };
}
