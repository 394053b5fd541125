// The compare page: overlaid curves of the selected runs, their params side by side with the
// differences marked, parallel coordinates of params -> a final metric, and a scatter plot.
import * as api from './api.js';
import { LineChart } from './charts.js';
import { COLORS, fmt, h, replace } from './dom.js';
import { parallelCoordinates } from './parcoords.js';
import { curveControls, groupMetrics, RemoteChart } from './run.js';

function differs(values) {
  const seen = new Set(values.map((v) => JSON.stringify(v ?? null)));
  return seen.size > 1;
}

function sideBySide(id, runs, keys, pick, onlyDiff) {
  const rows = keys
    .map((k) => ({ k, values: runs.map((r) => pick(r)[k]) }))
    .filter((row) => !onlyDiff || differs(row.values));
  return h(
    'table',
    { class: 'compare', id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        runs.map((r, i) => h('th', { class: `run-${i}` }, r.name)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          { class: differs(row.values) ? 'diff' : '', data: { key: row.k } },
          h('th', {}, row.k),
          row.values.map((v) => h('td', {}, fmt(v))),
        ),
      ),
    ),
  );
}

/** A param's values as numbers: numbers as they are, other values by their sorted position. */
export function numericAxis(values) {
  if (values.every((v) => typeof v === 'number' || v === null || v === undefined))
    return { values, labels: null };
  const cats = [...new Set(values.map((v) => fmt(v)))].sort();
  return { values: values.map((v) => cats.indexOf(fmt(v))), labels: cats };
}

/** Renders the comparison of runs `ids` into `main`. */
export async function showCompare(main, ids) {
  const runs = await Promise.all(ids.map((id) => api.get(`/api/runs/${encodeURIComponent(id)}`)));
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const charts = [];
  const { bar, view } = curveControls((what) =>
    Promise.all(charts.map((c) => (what === 'smooth' ? c.refresh() : c.reconfigure()))),
  );
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff' });
  const paramsBox = h('div', {});
  const drawParams = () =>
    replace(
      paramsBox,
      sideBySide('compare-params', runs, paramKeys, (r) => r.params, onlyDiff.checked),
    );
  onlyDiff.addEventListener('change', drawParams);
  drawParams();

  const metricSelect = h(
    'select',
    { id: 'pc-metric' },
    metricKeys.map((m) => h('option', { value: m }, m)),
  );
  const pcBox = h('div', { class: 'parcoords', id: 'parcoords' });
  // Params that differ between the runs, numbers first; the run's name says nothing new.
  const varying = paramKeys
    .filter((k) => k !== 'name' && differs(runs.map((r) => r.params[k])))
    .sort(
      (a, b) =>
        Number(typeof runs[0].params[b] === 'number') -
        Number(typeof runs[0].params[a] === 'number'),
    );
  const drawPc = () => {
    const metric = metricSelect.value;
    const axes = [...(varying.length ? varying : paramKeys).slice(0, 12), metric].map(
      (k, i, all) => {
        const isMetric = i === all.length - 1;
        const raw = runs.map((r) => (isMetric ? r.metrics[k] : r.params[k]));
        return { name: isMetric ? `metrics.${k}` : k, ...numericAxis(raw) };
      },
    );
    parallelCoordinates(
      pcBox,
      axes,
      runs.map((r) => r.name),
      runs.map((r) => r.metrics[metric] ?? null),
    );
  };
  metricSelect.addEventListener('change', drawPc);

  const xParam = h(
    'select',
    { id: 'scatter-param' },
    paramKeys.map((k) => h('option', { value: k }, k)),
  );
  const yMetric = h(
    'select',
    { id: 'scatter-metric' },
    metricKeys.map((k) => h('option', { value: k }, k)),
  );
  if (varying.length) xParam.value = varying[0];
  const scatterBox = h('div', { class: 'charts' });
  let scatter = null;
  const drawScatter = () => {
    scatter?.destroy();
    const xs = numericAxis(runs.map((r) => r.params[xParam.value]));
    const series = runs.map((r, i) => ({
      label: r.name,
      x: [xs.values[i] ?? null],
      y: [r.metrics[yMetric.value] ?? null],
      color: COLORS[i % COLORS.length],
    }));
    scatter = new LineChart(scatterBox, {
      title: `${yMetric.value} vs ${xParam.value}`,
      points: true,
      xLabel: xs.labels ? `${xParam.value} (${xs.labels.join(', ')})` : xParam.value,
    });
    scatter.box.id = 'scatter';
    scatter.setSeries(series.filter((s) => s.x[0] !== null));
  };
  xParam.addEventListener('change', drawScatter);
  yMetric.addEventListener('change', drawScatter);

  const chartGrid = h('div', { class: 'charts', id: 'charts' });
  replace(
    main,
    h('h1', {}, `Compare ${runs.length} runs`),
    h(
      'p',
      {},
      runs.map((r, i) => [
        h(
          'a',
          {
            href: `#/run/${encodeURIComponent(r.id)}`,
            class: `swatch run-${i}`,
            data: { color: String(i) },
          },
          r.name,
        ),
        ' ',
      ]),
    ),
    h('h2', {}, 'Curves'),
    bar,
    chartGrid,
    h('h2', {}, 'Params ', h('label', { class: 'small' }, onlyDiff, ' only differences')),
    paramsBox,
    h('h2', {}, 'Final metrics'),
    sideBySide('compare-metrics', runs, metricKeys, (r) => r.metrics, false),
    h('h2', {}, 'Parallel coordinates ', h('label', { class: 'small' }, 'metric ', metricSelect)),
    pcBox,
    h('h2', {}, 'Scatter ', h('label', { class: 'small' }, 'param ', xParam, ' metric ', yMetric)),
    scatterBox,
  );
  const keys = [
    ...new Set(runs.flatMap((r) => r.metricKeys.filter((m) => m.count > 1).map((m) => m.key))),
  ];
  for (const [name, group] of groupMetrics(keys)) {
    // One color per run (as the swatches above); the second and later keys of a group dashed.
    const sources = [];
    group.forEach((key, k) => {
      runs.forEach((r, i) => {
        if (r.metricKeys.some((m) => m.key === key))
          sources.push({
            runId: r.id,
            key,
            label: group.length > 1 ? `${r.name} ${key}` : r.name,
            color: COLORS[i % COLORS.length],
            dash: k > 0 ? [6, 4] : undefined,
          });
      });
    });
    charts.push(new RemoteChart(chartGrid, name, sources, view));
  }
  if (metricKeys.length) {
    const preferred = metricKeys.find((m) => /^val[_/]/.test(m)) ?? metricKeys[0];
    metricSelect.value = preferred;
    yMetric.value = preferred;
    drawPc();
    if (paramKeys.length) drawScatter();
  }
  await Promise.all(charts.map((c) => c.refresh()));
  main.dataset.ready = '1';
}
