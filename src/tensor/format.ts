import type { DType } from './dtype.js';

/** Elements shown per dim edge when a tensor is summarized (PyTorch's `edgeitems`). */
const EDGE = 3;
/** Tensors above this many elements are summarized with '...' (PyTorch's `threshold`). */
const THRESHOLD = 1000;

interface Printable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  toArray(): unknown;
}

/** Formats numbers of a float tensor with one shared style, as PyTorch's printer does. */
function floatFormatter(values: number[]): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const allInts = finite.every((v) => Number.isInteger(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Infinity);
  const scientific =
    finite.length > 0 &&
    (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || maxAbs / minAbs > 1000);
  const fmt = (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (allInts && !scientific) return `${v}.`;
    return scientific ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : v.toFixed(4);
  };
  const width = values.reduce((w, v) => Math.max(w, fmt(v).length), 0);
  return (v) => fmt(v).padStart(width);
}

function collect(node: unknown, out: number[], shape: readonly number[], depth: number): void {
  if (depth === shape.length) {
    out.push(Number(node));
    return;
  }
  const items = node as unknown[];
  const n = items.length;
  const idx =
    n > 2 * EDGE && shape.reduce((a, b) => a * b, 1) > THRESHOLD
      ? [0, 1, 2, n - 3, n - 2, n - 1]
      : items.keys();
  for (const i of idx) collect(items[i], out, shape, depth + 1);
}

/** The body `tensor(...)` prints for a tensor, with summarization of large tensors. */
export function formatTensor(t: Printable, suffix: string[]): string {
  const data = t.toArray();
  const summarize = t.shape.reduce((a, b) => a * b, 1) > THRESHOLD;
  const sample: number[] = [];
  collect(data, sample, t.shape, 0);
  const fmt =
    t.dtype === 'bool'
      ? (v: number) => (v ? 'True' : 'False').padStart(5)
      : t.dtype === 'int32'
        ? (
            (w) => (v: number) =>
              String(v).padStart(w)
          )(sample.reduce((w, v) => Math.max(w, String(v).length), 0))
        : floatFormatter(sample);
  const render = (node: unknown, depth: number, indent: string): string => {
    if (depth === t.shape.length) return fmt(Number(node));
    const items = node as unknown[];
    const n = items.length;
    const parts: string[] = [];
    const cut = summarize && n > 2 * EDGE;
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        parts.push('...');
        i = n - EDGE - 1;
        continue;
      }
      parts.push(render(items[i], depth + 1, `${indent} `));
    }
    const sep =
      depth === t.shape.length - 1 ? ', ' : `,${'\n'.repeat(t.shape.length - depth - 1)}${indent} `;
    return `[${parts.join(sep)}]`;
  };
  const body = render(data, 0, '       ');
  const extras = suffix.length ? `, ${suffix.join(', ')}` : '';
  return `tensor(${body}${extras})`;
}
