// The run page: what the run was (params, tags, config, files) and what it did (curves, system
// metrics, images). A running run streams updates and its curves grow without a reload.
import * as api from './api.js';
import { LineChart } from './charts.js';
import { dateTime, duration, fmt, h, replace, statusBadge } from './dom.js';

const SPLITS = /^(train|training|val|valid|validation|test|batch)[_/]/;
const LR = /(^|[/_])lr$|learning_?rate/i;

/**
 * Groups metric keys so the train, validation and per-batch curves of one quantity share a chart
 * (`loss`, `val_loss`, `batch_loss`), and every learning rate goes to one chart.
 */
export function groupMetrics(keys) {
  const groups = new Map();
  for (const key of keys) {
    const name = LR.test(key) ? 'learning rate' : key.replace(SPLITS, '');
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(key);
  }
  return [...groups.entries()].sort(([a], [b]) =>
    a === 'learning rate' ? 1 : b === 'learning rate' ? -1 : a.localeCompare(b),
  );
}

/** Chart controls shared by the run and compare pages: x axis, smoothing, log scale. */
export function curveControls(onChange) {
  const view = { x: 'step', smooth: 0, log: false };
  const xSelect = h(
    'select',
    { id: 'x-axis' },
    h('option', { value: 'step' }, 'step'),
    h('option', { value: 'relative' }, 'relative time'),
    h('option', { value: 'time' }, 'wall time'),
  );
  const smooth = h('input', {
    id: 'smoothing',
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: '0',
  });
  const smoothValue = h('span', { class: 'muted' }, '0');
  const log = h('input', { id: 'log-scale', type: 'checkbox' });
  xSelect.addEventListener('change', () => {
    view.x = xSelect.value;
    onChange('x');
  });
  smooth.addEventListener('change', () => {
    view.smooth = Number(smooth.value);
    smoothValue.textContent = smooth.value;
    onChange('smooth');
  });
  log.addEventListener('change', () => {
    view.log = log.checked;
    onChange('log');
  });
  const bar = h(
    'div',
    { class: 'toolbar' },
    h('label', {}, 'x axis ', xSelect),
    h('label', {}, 'smoothing ', smooth, smoothValue),
    h('label', {}, log, ' log scale'),
    h('span', { class: 'muted' }, 'drag to zoom, double-click to zoom out'),
  );
  return { bar, view };
}

/** A chart whose series are fetched from the server for the visible range. */
export class RemoteChart {
  constructor(parent, title, sources, view) {
    this.sources = sources; // [{ runId, key, label }]
    this.view = view;
    this.range = null;
    this.chart = new LineChart(parent, {
      title,
      xMode: view.x,
      log: view.log,
      onZoom: (min, max) => {
        this.range = min === null ? null : [min, max];
        this.refresh();
      },
    });
    this.chart.box.dataset.keys = sources.map((s) => s.key).join(',');
  }

  async refresh() {
    const points = Math.min(4000, Math.max(500, Math.round(this.chart.width() * 2)));
    const [min, max] = this.range ?? [undefined, undefined];
    const answers = await Promise.all(
      this.sources.map((s) =>
        api.curve(s.runId, s.key, { x: this.view.x, smooth: this.view.smooth, points, min, max }),
      ),
    );
    this.chart.box.dataset.total = String(answers.reduce((a, c) => a + c.total, 0));
    this.chart.setSeries(
      answers.map((c, i) => ({
        label: this.sources[i].label,
        color: this.sources[i].color,
        dash: this.sources[i].dash,
        x: c.x,
        y: c.y,
      })),
    );
  }

  reconfigure() {
    this.range = null;
    this.chart.configure({ xMode: this.view.x, log: this.view.log });
    return this.refresh();
  }
}

function table(id, rows) {
  return h(
    'table',
    { class: 'kv', id },
    h(
      'tbody',
      {},
      rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, fmt(v)))),
    ),
  );
}

function systemCharts(parent, system) {
  if (!system || system.time.length === 0) return;
  const x = system.time.map((t) => t / 1000);
  const add = (title, y) => {
    if (!y.some((v) => v !== null)) return;
    const c = new LineChart(parent, { title, xMode: 'time' });
    c.setSeries([{ label: title, x, y }]);
  };
  add(
    'RSS (MB)',
    system.rss.map((v) => v / 2 ** 20),
  );
  add('CPU %', system.cpu);
  add('samples/s', system.samplesPerSecond);
}

/** Renders run `id` into `main`; returns a cleanup function (closes the live stream). */
export async function showRun(main, id, info) {
  let run = await api.get(`/api/runs/${encodeURIComponent(id)}`);
  const status = h('span', { id: 'run-status' }, statusBadge(run.status));
  const charts = [];
  const { bar, view } = curveControls((what) =>
    Promise.all(charts.map((c) => (what === 'smooth' ? c.refresh() : c.reconfigure()))),
  );
  const chartGrid = h('div', { class: 'charts', id: 'charts' });
  const systemGrid = h('div', { class: 'charts', id: 'system-charts' });
  const meta = [
    ['id', run.id],
    ['experiment', run.experiment],
    ['started', dateTime(run.startTime)],
    ['duration', duration((run.endTime ?? Date.now()) - run.startTime)],
    ['seed', run.seed],
    ['host', run.host],
    ['kiln', run.version],
    ['git commit', run.gitCommit],
    ['folder', run.runDir],
  ];
  const deleteButton = info.canDelete
    ? h(
        'button',
        {
          class: 'danger',
          on: {
            click: async () => {
              if (!confirm(`Delete run ${run.name} and its files?`)) return;
              await api.deleteRun(run.id);
              location.hash = '#/';
            },
          },
        },
        'Delete run',
      )
    : null;
  replace(
    main,
    h('h1', {}, run.name, ' ', status, deleteButton),
    table(
      'run-meta',
      meta.filter(([, v]) => v !== null && v !== undefined && v !== ''),
    ),
    h('h2', {}, 'Metrics'),
    h(
      'details',
      { class: 'final' },
      h('summary', {}, 'Final values'),
      table('final-metrics', Object.entries(run.metrics)),
    ),
    bar,
    chartGrid,
    run.system?.time.length ? h('h2', {}, 'System') : null,
    systemGrid,
    run.images.length ? h('h2', {}, 'Images') : null,
    h(
      'div',
      { class: 'images' },
      run.images.map((p) =>
        h(
          'figure',
          {},
          h('img', { src: api.fileUrl(run.id, p, true), alt: p }),
          h('figcaption', {}, p),
        ),
      ),
    ),
    h(
      'div',
      { class: 'columns2' },
      h('div', {}, h('h2', {}, 'Params'), table('params', Object.entries(run.params))),
      h('div', {}, h('h2', {}, 'Tags'), table('tags', Object.entries(run.tags))),
    ),
    h('h2', {}, 'Files'),
    h(
      'table',
      { class: 'files', id: 'files' },
      h(
        'tbody',
        {},
        run.files.map((f) => {
          const art = run.artifacts.find((a) => a.path === f.path);
          return h(
            'tr',
            {},
            h('td', {}, h('a', { href: api.fileUrl(run.id, f.path), download: '' }, f.path)),
            h('td', { class: 'num' }, fmt(f.size)),
            h('td', { class: 'muted hash' }, art?.sha256 ? art.sha256.slice(0, 16) : ''),
          );
        }),
      ),
    ),
    run.configYaml ? h('h2', {}, 'Config') : null,
    run.configYaml ? h('pre', { class: 'config', id: 'config' }, run.configYaml) : null,
  );
  const curves = run.metricKeys.filter((m) => m.count > 1 || run.status === 'running');
  for (const [name, keys] of groupMetrics(curves.map((m) => m.key))) {
    charts.push(
      new RemoteChart(
        chartGrid,
        name,
        keys.map((key) => ({ runId: run.id, key, label: key })),
        view,
      ),
    );
  }
  systemCharts(systemGrid, run.system);
  await Promise.all(charts.map((c) => c.refresh()));
  main.dataset.ready = '1';

  if (run.status !== 'running') return () => {};
  const events = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
  let known = run.metricKeys.map((m) => m.key).join(',');
  events.addEventListener('update', async (e) => {
    const state = JSON.parse(e.data);
    replace(status, statusBadge(state.status));
    const keys = state.metrics.map((m) => m.key);
    if (keys.join(',') !== known) {
      known = keys.join(',');
      for (const [name, group] of groupMetrics(keys)) {
        if (!charts.some((c) => c.chart.options.title === name))
          charts.push(
            new RemoteChart(
              chartGrid,
              name,
              group.map((key) => ({ runId: run.id, key, label: key })),
              view,
            ),
          );
        else
          charts.find((c) => c.chart.options.title === name).sources = group.map((key) => ({
            runId: run.id,
            key,
            label: key,
          }));
      }
    }
    await Promise.all(charts.map((c) => c.refresh()));
  });
  events.addEventListener('end', async (e) => {
    events.close();
    const state = JSON.parse(e.data);
    replace(status, statusBadge(state.status));
    run = await api.get(`/api/runs/${encodeURIComponent(id)}`).catch(() => run);
    await Promise.all(charts.map((c) => c.refresh()));
  });
  return () => events.close();
}
