import { allocStorage } from '../../tensor/dtype.js';
import { contiguousStrides } from '../../tensor/shape.js';
import { type ArgReduceOp, REDUCE_OPS, type ReduceOp, type View } from '../backend.js';
import { REDUCE_IDENTITY, REDUCE_JS } from '../op-table/index.js';
import { coalesce, compileLoop } from './loops.js';

/** The table's accumulate statement over `acc` and `v`, as a loop body over out[o] and x0[i0]. */
const ACCUMULATE = Object.fromEntries(
  REDUCE_OPS.map((op) => [
    op,
    `{ const v = x0[i0]; ${REDUCE_JS[op].replace(/\bacc\b/g, 'out[o]')} }`,
  ]),
) as Record<ReduceOp, string>;

/**
 * Reduces by walking x once in its own order and accumulating into a float64 buffer viewed with
 * stride 0 along the reduced dims; the buffer is then rounded into out.
 */
export function reduce(op: ReduceOp, x: View, dims: readonly number[], out: View): void {
  const n = out.shape.reduce((a, b) => a * b, 1);
  const acc = new Float64Array(n).fill(REDUCE_IDENTITY[op]);
  const accStrides = contiguousStrides(out.shape).map((s, d) => (dims.includes(d) ? 0 : s));
  const { shape, strides } = coalesce(x.shape, [accStrides, x.strides]);
  compileLoop(1, ACCUMULATE[op], x.dtype)(
    shape,
    acc,
    0,
    strides[0]!,
    [x.storage],
    [x.offset],
    [strides[1]!],
    0,
    0,
  );
  writeContiguous(acc, out);
}

/** Copies a contiguous float64 buffer into a (contiguous) output view. */
function writeContiguous(values: Float64Array, out: View): void {
  const dst = out.storage;
  const isBool = out.dtype === 'bool';
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    dst[out.offset + i] = isBool ? (v !== 0 ? 1 : 0) : v;
  }
}

/**
 * Calls `row(base)` for the start offset of every line of x along `dim`, in row-major order of
 * the other dims. Lets row kernels (arg-reductions, softmax) use one tight loop per line.
 */
export function forEachLine(
  x: View,
  dim: number,
  row: (base: number, lineIndex: number) => void,
): void {
  const shape = x.shape.filter((_, d) => d !== dim);
  const strides = x.strides.filter((_, d) => d !== dim);
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0 || x.shape[dim] === 0) return;
  const idx = new Array<number>(shape.length).fill(0);
  let base = x.offset;
  for (let line = 0; line < total; line++) {
    row(base, line);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      base += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function argReduce(op: ArgReduceOp, x: View, dim: number, out: View): void {
  const n = x.shape[dim]!;
  const stride = x.strides[dim]!;
  const data = x.storage;
  const dst = out.storage;
  const isMax = op === 'argmax';
  forEachLine(x, dim, (base, line) => {
    let best = data[base]!;
    let bestIndex = 0;
    if (!Number.isNaN(best)) {
      for (let i = 1; i < n; i++) {
        const v = data[base + i * stride]!;
        if (Number.isNaN(v)) {
          bestIndex = i; // NaN wins, as in PyTorch
          break;
        }
        if (isMax ? v > best : v < best) {
          best = v;
          bestIndex = i;
        }
      }
    }
    dst[out.offset + line] = bestIndex;
  });
}

export function softmax(x: View, dim: number, log: boolean, out: View): void {
  const n = x.shape[dim]!;
  const stride = x.strides[dim]!;
  const outStride = contiguousStrides(out.shape)[dim]!;
  const data = x.storage;
  const dst = out.storage;
  const row = allocStorage('float64', n) as Float64Array;
  // out is contiguous with x's shape: its line starts follow the same row-major order.
  const outBases = lineStarts(out.shape, dim, out.offset);
  forEachLine(x, dim, (base, line) => {
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[base + i * stride]!;
      row[i] = v;
      if (v > max || Number.isNaN(v)) max = v;
    }
    if (max === -Infinity) max = 0; // an all -inf line gives NaN, as in PyTorch, without inf - inf here
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(row[i]! - max);
    const o = outBases[line]!;
    if (log) {
      const lse = max + Math.log(sum);
      for (let i = 0; i < n; i++) dst[o + i * outStride] = row[i]! - lse;
    } else {
      for (let i = 0; i < n; i++) dst[o + i * outStride] = Math.exp(row[i]! - max) / sum;
    }
  });
}

/** Start offsets of the lines along `dim` of a contiguous tensor, in row-major order. */
function lineStarts(shape: readonly number[], dim: number, offset: number): Int32Array {
  const strides = contiguousStrides(shape);
  const view: View = { storage: new Float64Array(0), shape, strides, offset, dtype: 'float64' };
  const starts = new Int32Array(shape.reduce((a, b, d) => (d === dim ? a : a * b), 1));
  forEachLine(view, dim, (base, line) => {
    starts[line] = base;
  });
  return starts;
}
