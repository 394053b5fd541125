// Building the page from data without ever parsing it as HTML: every text from the store goes
// through textContent or an attribute value, so a run named "<img onerror=...>" stays text.

/**
 * Creates an element. `attrs`: `class`, `data` (dataset entries), `on` (event handlers), and
 * plain attributes; children: nodes, strings (as text), null/undefined (skipped) or arrays.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = String(value);
    else if (name === 'data') Object.assign(el.dataset, value);
    else if (name === 'on')
      for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (name === 'value') el.value = String(value);
    else if (name === 'checked') el.checked = Boolean(value);
    else if (name === 'href' || name === 'src') el.setAttribute(name, safeUrl(String(value)));
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Only same-origin paths and fragments: a stored "javascript:" URL never becomes a link. */
function safeUrl(url) {
  return url.startsWith('/') || url.startsWith('#') ? url : '#';
}

/** Replaces the content of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Formats a value for a table cell. */
export function fmt(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6)
      ? v.toExponential(3)
      : String(Number(v.toPrecision(5)));
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Formats a duration in ms as "1h 02m", "3m 04s" or "5.2s". */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Formats a time (ms since the epoch) as local "YYYY-MM-DD HH:MM:SS". */
export function dateTime(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A distinct color per series index. */
export const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

/** A status badge. */
export function statusBadge(status) {
  return h('span', { class: `status status-${status}`, data: { status } }, status);
}
