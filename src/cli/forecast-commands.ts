import { noGrad } from '../autograd/grad-mode.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainConfig } from './config.js';
import {
  type ForecastEval,
  type ForecastSpec,
  forecastScores,
  prepareForecast,
  readSeries,
  windowsOf,
} from './forecast-data.js';
import { readConfiguredTable } from './table-data.js';

/** What the forecast commands need of a loaded run. */
interface ForecastRun {
  config: TrainConfig;
  model: Sequential;
}

function forward(model: Sequential, x: Tensor): Float32Array {
  return noGrad(() => model.forward(x) as Tensor).dataSync() as Float32Array;
}

const fmt = (scores: Record<string, number>) =>
  Object.entries(scores)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join('  ');

/**
 * `kiln eval` of a forecasting run: the held-out tail of its own series, or every window of a
 * given series file, forecast and scored in the series' units next to the seasonal-naive
 * forecasts of the same steps.
 */
export async function evalForecast(
  run: ForecastRun,
  spec: ForecastSpec,
  file: string | null,
  log: (s: string) => void,
): Promise<Record<string, number>> {
  if (file === null) {
    const data = await prepareForecast(run.config);
    const scores = { ...forecastScores(forward(run.model, data.test!.x), data.forecast) };
    log(`${fmt(scores)}  (held-out tail: ${data.forecast.start.length} windows)`);
    return scores;
  }
  const series = readSeries(await readConfiguredTable(run.config, file), spec);
  const w = windowsOf(series, spec);
  const x = tensor(w.x, { shape: [w.n, spec.window, w.features] });
  const e: ForecastEval = { spec, values: series.values, level: w.level, start: w.start };
  const scores = { ...forecastScores(forward(run.model, x), e) };
  log(`${fmt(scores)}  (${w.n} windows)`);
  return scores;
}

/**
 * `kiln predict` of a forecasting run: the next `horizon` values after the last row of the file,
 * from its last `window` rows, in the series' units.
 */
export async function predictForecast(
  run: ForecastRun,
  spec: ForecastSpec,
  file: string,
  options: { out?: string; log: (s: string) => void },
): Promise<string> {
  const series = readSeries(await readConfiguredTable(run.config, file), spec);
  const n = series.values.length;
  // One window ending at the last row: pad the series with `horizon` placeholder targets.
  const padded: { values: Float64Array; months: Int32Array | null } = {
    values: new Float64Array(n + spec.horizon),
    months: series.months ? new Int32Array(n + spec.horizon) : null,
  };
  padded.values.set(series.values);
  if (series.months && padded.months) padded.months.set(series.months);
  const start = Math.max(0, n - spec.window);
  const w = windowsOf(
    {
      values: padded.values.subarray(start),
      months: padded.months ? padded.months.subarray(start) : null,
    },
    spec,
  );
  const last = w.n - 1;
  const step = spec.window * w.features;
  const x = tensor(w.x.slice(last * step, (last + 1) * step), {
    shape: [1, spec.window, w.features],
  });
  const out = forward(run.model, x);
  const rows = ['step,prediction'];
  for (let h = 0; h < spec.horizon; h++)
    rows.push(`${h + 1},${((out[h]! + 1) * w.level[last]!).toPrecision(8)}`);
  const text = `${rows.join('\n')}\n`;
  if (options.out) {
    await writeFileAtomic(options.out, text);
    options.log(`wrote ${spec.horizon} forecasts to ${options.out}`);
  } else process.stdout.write(text);
  return text;
}
