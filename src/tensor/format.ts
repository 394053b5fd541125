import type { DType } from './dtype.js';

/** Elements shown per dim edge when a tensor is summarized (PyTorch's `edgeitems`). */
const EDGE = 3;
/** Tensors above this many elements are summarized with '...' (PyTorch's `threshold`). */
const THRESHOLD = 1000;
/** Rows of the last dim wrap to stay within this many characters (PyTorch's `linewidth`). */
const LINEWIDTH = 80;

interface Printable {
  readonly shape: readonly number[];
  readonly dtype: DType;
  toArray(): unknown;
}

/**
 * Formats the numbers of a float tensor with one shared style, as PyTorch's `_Formatter`: the
 * style (integral `1.`, fixed `1.2500` or scientific `1.2500e+03`) and the width are decided by
 * the non-zero finite values; every value is right-aligned to that width.
 */
function floatFormatter(values: number[]): { fmt: (v: number) => string; width: number } {
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  const allInts = nonzero.every((v) => Number.isInteger(v));
  const maxAbs = nonzero.reduce((m, v) => Math.max(m, v), 0);
  const minAbs = nonzero.reduce((m, v) => Math.min(m, v), Infinity);
  const scientific =
    nonzero.length > 0 && (maxAbs / minAbs > 1000 || maxAbs > 1e8 || (!allInts && minAbs < 1e-4));
  const raw = (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (scientific) return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return allInts ? `${v.toFixed(0)}.` : v.toFixed(4);
  };
  const width = values
    .filter((v) => Number.isFinite(v) && v !== 0)
    .reduce((w, v) => Math.max(w, raw(v).length), 1);
  return { fmt: (v) => raw(v).padStart(width), width };
}

/** Formats int32 and bool values, right-aligned to the widest one. */
function plainFormatter(
  values: number[],
  dtype: DType,
): { fmt: (v: number) => string; width: number } {
  const raw = dtype === 'bool' ? (v: number) => (v ? 'True' : 'False') : (v: number) => String(v);
  const width = values.reduce((w, v) => Math.max(w, raw(v).length), 1);
  return { fmt: (v) => raw(v).padStart(width), width };
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

/**
 * The body `tensor(...)` prints for a tensor, as PyTorch's printer: summarization of large
 * tensors with '...', rows wrapped at 80 columns, a blank line between blocks of 3-d and up.
 */
export function formatTensor(t: Printable, suffix: string[]): string {
  const data = t.toArray();
  const summarize = t.shape.reduce((a, b) => a * b, 1) > THRESHOLD;
  const sample: number[] = [];
  collect(data, sample, t.shape, 0);
  const { fmt, width } =
    t.dtype === 'float32' || t.dtype === 'float64'
      ? floatFormatter(sample)
      : plainFormatter(sample, t.dtype);
  const render = (node: unknown, depth: number, indent: number): string => {
    if (depth === t.shape.length) return fmt(Number(node));
    const items = node as unknown[];
    const n = items.length;
    const cut = summarize && n > 2 * EDGE;
    const last = depth === t.shape.length - 1;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        parts.push(last ? ' ...' : '...');
        i = n - EDGE - 1;
        continue;
      }
      parts.push(render(items[i], depth + 1, indent + 1));
    }
    if (last) {
      const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < parts.length; i += perLine)
        lines.push(parts.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const sep = `,${'\n'.repeat(t.shape.length - depth - 1)}${' '.repeat(indent + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = render(data, 0, 'tensor('.length);
  const extras = suffix.length ? `, ${suffix.join(', ')}` : '';
  return `tensor(${body}${extras})`;
}
