// The runs table: filter (server side, `kiln runs` expressions), sort and column choice (client
// side), and only the visible rows in the DOM, so 10,000 runs open at once.
import { get } from './api.js';
import { dateTime, duration, fmt, h, replace, statusBadge } from './dom.js';

const ROW = 28;
const state = {
  filter: '',
  experiment: '',
  sort: { col: 'start', desc: true },
  selected: new Set(),
  columns: JSON.parse(localStorage.getItem('kiln-columns') ?? 'null'),
};

const FIXED = [
  { id: 'name', label: 'name', value: (r) => r.name },
  { id: 'experiment', label: 'experiment', value: (r) => r.experiment },
  { id: 'status', label: 'status', value: (r) => r.status },
  { id: 'start', label: 'started', value: (r) => r.startTime },
  { id: 'duration', label: 'duration', value: (r) => (r.endTime ?? Date.now()) - r.startTime },
];

/** Params that vary across runs and the first metrics: a useful start before any choice. */
function defaultColumns(data) {
  const varying = data.params.filter((_, i) => {
    const seen = new Set(data.runs.slice(0, 500).map((r) => JSON.stringify(r.p[i])));
    return seen.size > 1;
  });
  return {
    params: varying.slice(0, 4),
    metrics: data.metrics.filter((m) => !/(^|[/_])lr$/.test(m)).slice(0, 4),
  };
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Renders the runs view into `main`. */
export async function showRuns(main) {
  const experiments = await get('/api/experiments');
  const filterInput = h('input', {
    id: 'filter',
    class: 'filter',
    placeholder: 'filter, e.g. metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01',
    value: state.filter,
    spellcheck: 'false',
  });
  const expSelect = h(
    'select',
    { id: 'experiment' },
    h('option', { value: '' }, 'all experiments'),
    experiments.map((e) => h('option', { value: e.name }, e.name)),
  );
  expSelect.value = state.experiment;
  const message = h('div', { class: 'message', id: 'runs-message' });
  const compareButton = h('button', { id: 'compare', disabled: true }, 'Compare selected');
  const columnsBox = h('details', { class: 'columns' }, h('summary', {}, 'Columns'));
  const tableBox = h('div', { class: 'table-scroll', id: 'runs-scroll' });
  replace(
    main,
    h(
      'form',
      {
        class: 'toolbar',
        on: {
          submit: (e) => {
            e.preventDefault();
            load();
          },
        },
      },
      expSelect,
      filterInput,
      h('button', { type: 'submit' }, 'Apply'),
      columnsBox,
      compareButton,
    ),
    message,
    tableBox,
  );
  expSelect.addEventListener('change', () => load());
  compareButton.addEventListener('click', () => {
    location.hash = `#/compare/${[...state.selected].map(encodeURIComponent).join(',')}`;
  });
  const updateCompare = () => {
    compareButton.disabled = state.selected.size < 2;
    compareButton.textContent = `Compare selected (${state.selected.size})`;
  };
  updateCompare();

  let data = { params: [], metrics: [], runs: [] };
  async function load() {
    state.filter = filterInput.value.trim();
    state.experiment = expSelect.value;
    const q = new URLSearchParams();
    if (state.filter) q.set('filter', state.filter);
    if (state.experiment) q.set('experiment', state.experiment);
    message.textContent = '';
    try {
      data = await get(`/api/runs?${q}`);
    } catch (e) {
      message.textContent = e.message;
      message.classList.add('error');
      return;
    }
    message.classList.remove('error');
    if (!state.columns) state.columns = defaultColumns(data);
    renderColumnChooser();
    renderTable();
  }

  function renderColumnChooser() {
    const box = (kind, names) =>
      h(
        'fieldset',
        {},
        h('legend', {}, kind),
        names.map((name) =>
          h(
            'label',
            {},
            h('input', {
              type: 'checkbox',
              checked: state.columns[kind].includes(name),
              data: { column: `${kind}.${name}` },
              on: {
                change: (e) => {
                  const list = state.columns[kind].filter((c) => c !== name);
                  if (e.target.checked) list.push(name);
                  state.columns[kind] = list;
                  localStorage.setItem('kiln-columns', JSON.stringify(state.columns));
                  renderTable();
                },
              },
            }),
            name,
          ),
        ),
      );
    replace(
      columnsBox,
      h('summary', {}, 'Columns'),
      box('params', data.params),
      box('metrics', data.metrics),
    );
  }

  function columns() {
    const cols = [...FIXED];
    for (const name of state.columns.params) {
      const i = data.params.indexOf(name);
      if (i >= 0) cols.push({ id: `params.${name}`, label: name, value: (r) => r.p[i] });
    }
    for (const name of state.columns.metrics) {
      const i = data.metrics.indexOf(name);
      if (i >= 0)
        cols.push({ id: `metrics.${name}`, label: name, value: (r) => r.m[i], metric: true });
    }
    return cols;
  }

  function renderTable() {
    const cols = columns();
    const col = cols.find((c) => c.id === state.sort.col) ?? cols[3];
    const sign = state.sort.desc ? -1 : 1;
    const rows = data.runs
      .map((r) => ({ r, v: col.value(r) }))
      .sort((a, b) => {
        if (a.v === null || a.v === undefined) return b.v === null || b.v === undefined ? 0 : 1;
        if (b.v === null || b.v === undefined) return -1;
        return sign * compare(a.v, b.v);
      })
      .map((x) => x.r);
    const head = h(
      'tr',
      {},
      h('th', { class: 'select' }),
      cols.map((c) =>
        h(
          'th',
          {
            data: { col: c.id },
            class: `${c.metric ? 'metric' : ''} ${c.id === state.sort.col ? (state.sort.desc ? 'desc' : 'asc') : ''}`,
            title: c.id,
            on: {
              click: () => {
                state.sort =
                  state.sort.col === c.id
                    ? { col: c.id, desc: !state.sort.desc }
                    : { col: c.id, desc: c.metric === true };
                renderTable();
              },
            },
          },
          c.label,
        ),
      ),
    );
    const body = h('tbody');
    const table = h(
      'table',
      { class: 'runs', id: 'runs-table', data: { rows: String(rows.length) } },
      h('thead', {}, head),
      body,
    );
    replace(tableBox, table);
    message.textContent = `${rows.length} run${rows.length === 1 ? '' : 's'}`;
    const topPad = h('tr', { class: 'pad' });
    const bottomPad = h('tr', { class: 'pad' });
    const cell = (c, r) => {
      const v = c.value(r);
      if (c.id === 'name')
        return h('td', {}, h('a', { href: `#/run/${encodeURIComponent(r.id)}` }, r.name));
      if (c.id === 'status') return h('td', {}, statusBadge(r.status));
      if (c.id === 'start') return h('td', {}, dateTime(v));
      if (c.id === 'duration') return h('td', { class: 'num' }, duration(v));
      return h('td', { class: typeof v === 'number' ? 'num' : '' }, fmt(v));
    };
    let shown = '';
    const draw = () => {
      const first = Math.max(0, Math.floor(tableBox.scrollTop / ROW) - 10);
      const count = Math.ceil((tableBox.clientHeight || 600) / ROW) + 20;
      const last = Math.min(rows.length, first + count);
      if (shown === `${first}:${last}`) return;
      shown = `${first}:${last}`;
      topPad.style.height = `${first * ROW}px`;
      bottomPad.style.height = `${(rows.length - last) * ROW}px`;
      const trs = [];
      for (let i = first; i < last; i++) {
        const r = rows[i];
        const box = h('input', {
          type: 'checkbox',
          checked: state.selected.has(r.id),
          'aria-label': `select ${r.name}`,
          on: {
            change: (e) => {
              if (e.target.checked) state.selected.add(r.id);
              else state.selected.delete(r.id);
              updateCompare();
            },
          },
        });
        trs.push(
          h(
            'tr',
            { data: { runId: r.id } },
            h('td', { class: 'select' }, box),
            cols.map((c) => cell(c, r)),
          ),
        );
      }
      replace(body, topPad, trs, bottomPad);
    };
    tableBox.onscroll = () => requestAnimationFrame(draw);
    draw();
  }

  await load();
}
