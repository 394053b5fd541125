// Tuning studies: the list, and per study the optimization history, parameter importance,
// parallel coordinates of params -> objective, and intermediate values with pruned trials marked.
import { get } from './api.js';
import { LineChart } from './charts.js';
import { numericAxis } from './compare.js';
import { dateTime, fmt, h, replace } from './dom.js';
import { parallelCoordinates } from './parcoords.js';

/**
 * Share of the objective's variance each param explains on its own (eta squared: between-group
 * variance over total, with numeric params cut into up to 8 quantile bins), normalized to sum 1.
 * A quick per-param view, not fANOVA: interactions are not attributed.
 */
export function importance(trials, names) {
  const done = trials.filter((t) => t.state === 'complete' && Number.isFinite(t.value));
  const ys = done.map((t) => t.value);
  const mean = ys.reduce((a, b) => a + b, 0) / (ys.length || 1);
  const total = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  const raw = names.map((name) => {
    if (total === 0 || done.length < 3) return 0;
    const values = done.map((t) => t.params[name]);
    let keys = values.map((v) => fmt(v));
    if (values.every((v) => typeof v === 'number')) {
      const sorted = [...values].sort((a, b) => a - b);
      const edges = [1, 2, 3, 4, 5, 6, 7].map(
        (q) => sorted[Math.floor((q / 8) * (sorted.length - 1))],
      );
      keys = values.map((v) => String(edges.filter((e) => v > e).length));
    }
    const groups = new Map();
    keys.forEach((k, i) => {
      const g = groups.get(k) ?? { sum: 0, n: 0 };
      g.sum += ys[i];
      g.n += 1;
      groups.set(k, g);
    });
    let between = 0;
    for (const g of groups.values()) between += g.n * (g.sum / g.n - mean) ** 2;
    return between / total;
  });
  const sum = raw.reduce((a, b) => a + b, 0);
  return names.map((name, i) => ({ name, value: sum > 0 ? raw[i] / sum : 0 }));
}

async function showList(main) {
  const studies = await get('/api/studies');
  replace(
    main,
    h('h1', {}, 'Studies'),
    h(
      'table',
      { class: 'compare', id: 'studies' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['study', 'direction', 'trials', 'best value', 'created'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        studies.map((s) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `#/study/${encodeURIComponent(s.name)}` }, s.name)),
            h('td', {}, s.direction),
            h('td', { class: 'num' }, String(s.trials)),
            h('td', { class: 'num' }, fmt(s.bestValue)),
            h('td', {}, dateTime(s.createdAt)),
          ),
        ),
      ),
    ),
  );
}

async function showStudy(main, name) {
  const { study, trials } = await get(`/api/studies/${encodeURIComponent(name)}`);
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null);
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const charts = h('div', { class: 'charts', id: 'study-charts' });
  const pc = h('div', { class: 'parcoords', id: 'study-parcoords' });
  const imp = importance(trials, names).sort((a, b) => b.value - a.value);
  const counts = {};
  for (const t of trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  replace(
    main,
    h('h1', {}, `Study ${study.name}`),
    h(
      'p',
      {},
      `${study.direction}, ${trials.length} trials (`,
      Object.entries(counts)
        .map(([s, n]) => `${n} ${s}`)
        .join(', '),
      `), best value ${fmt(study.bestValue)}`,
    ),
    charts,
    h('h2', {}, 'Parameter importance'),
    h(
      'p',
      { class: 'muted' },
      'share of the objective variance each parameter explains on its own',
    ),
    h(
      'table',
      { class: 'kv', id: 'importance' },
      h(
        'tbody',
        {},
        imp.map((r) => {
          const bar = h('span', { class: 'bar' });
          bar.style.width = `${Math.round(r.value * 200)}px`;
          return h(
            'tr',
            {},
            h('th', {}, r.name),
            h('td', { class: 'num' }, r.value.toFixed(3)),
            h('td', {}, bar),
          );
        }),
      ),
    ),
    h('h2', {}, 'Parallel coordinates'),
    pc,
  );
  const history = new LineChart(charts, {
    title: 'Optimization history',
    points: true,
    xLabel: 'trial',
  });
  history.box.id = 'history';
  let bestSoFar = null;
  const bestLine = complete.map((t) => {
    bestSoFar =
      bestSoFar === null
        ? t.value
        : study.direction === 'minimize'
          ? Math.min(bestSoFar, t.value)
          : Math.max(bestSoFar, t.value);
    return bestSoFar;
  });
  history.setSeries([
    { label: 'objective', x: complete.map((t) => t.number), y: complete.map((t) => t.value) },
    {
      label: 'best so far',
      x: complete.map((t) => t.number),
      y: bestLine,
      color: '#d62728',
      line: true,
    },
  ]);
  const withSteps = trials.filter((t) => t.intermediate.length > 0).slice(0, 60);
  if (withSteps.length) {
    const inter = new LineChart(charts, { title: 'Intermediate values (pruned in orange)' });
    inter.box.id = 'intermediate';
    inter.box.dataset.pruned = String(withSteps.filter((t) => t.state === 'pruned').length);
    inter.setSeries(
      withSteps.map((t) => ({
        label: `#${t.number} ${t.state}`,
        x: t.intermediate.map((p) => p.step),
        y: t.intermediate.map((p) => p.value),
        color: t.state === 'pruned' ? '#ff7f0e' : t.state === 'complete' ? '#1f77b4' : '#7f7f7f',
      })),
    );
  }
  const axes = [...names.slice(0, 12), 'objective'].map((k) => ({
    name: k,
    ...numericAxis(complete.map((t) => (k === 'objective' ? t.value : t.params[k]))),
  }));
  parallelCoordinates(
    pc,
    axes,
    complete.map((t) => `#${t.number}`),
    complete.map((t) => t.value),
  );
  main.dataset.ready = '1';
}

/** Renders the studies list, or one study when `name` is given. */
export async function showStudies(main, name) {
  if (name) await showStudy(main, name);
  else await showList(main);
  main.dataset.ready = '1';
}
