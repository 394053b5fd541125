import type { ReduceOp } from '../backend/backend.js';
import { backend } from '../backend/registry.js';
import { isFloat, toFloat } from '../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { normalizeDim, normalizeDims, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, record, requireFloat, scalar, uninit } from './core.js';
import { binary, cast, unary, where } from './elementwise.js';
import { composite, traced } from './trace.js';
import { reshape } from './views.js';

/** Dims to reduce: `undefined`/`null` for all, a number, or a list (negative dims allowed). */
export type Dims = number | readonly number[] | null | undefined;

/** The keepDim shape of reducing `shape` over `dims`. */
export function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((d, i) => (dims.includes(i) ? 1 : d));
}

function dropDims(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.filter((_, i) => !dims.includes(i));
}

function reduceRaw(
  op: ReduceOp,
  x: Tensor,
  dims: readonly number[],
  keepDim: boolean,
  name: string,
): Tensor {
  if ((op === 'max' || op === 'min') && dims.some((d) => x.shape[d] === 0)) {
    throw new ShapeError(`${name}: cannot reduce over a zero-size dim of ${fmtShape(x.shape)}`);
  }
  const dtype = op === 'sum' && x.dtype === 'bool' ? 'int32' : x.dtype;
  const out = uninit(keptShape(x.shape, dims), dtype);
  backend().reduce(op, x, dims, out);
  return keepDim ? out : reshape(out, dropDims(x.shape, dims));
}

/** Sum over `dim` (all dims by default). Bool sums count true values as int32. */
export function sum(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, 'sum');
  return record('sum', reduceRaw('sum', x, dims, keepDim, 'sum'), [x], [], { dims });
}

/** Mean over `dim`; integer inputs give float32 (PyTorch raises instead). */
export function mean(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, 'mean');
  const count = dims.reduce((acc, d) => acc * x.shape[d]!, 1);
  const xf = isFloat(x.dtype) ? x : cast(x, 'float32');
  // One node under a trace, so an exported mean divides by the runtime count (dynamic axes).
  return composite('mean', [xf], { dims, keepDim }, () =>
    binary('div', sum(xf, dims, keepDim), count),
  );
}

function extreme(
  op: 'max' | 'min',
  x: Tensor,
  dim: Dims,
  keepDim: boolean,
  name: 'amax' | 'amin',
): Tensor {
  const dims = normalizeDims(dim, x.ndim, name);
  const out = reduceRaw(op, x, dims, keepDim, name);
  return record(name, out, [x], [x, out], { dims });
}

/**
 * Maximum over `dim` (values only; see `argmax` for positions). The gradient is shared evenly
 * among tied maxima, as `torch.amax`.
 */
export function amax(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return extreme('max', x, dim, keepDim, 'amax');
}

/** Minimum over `dim`; the gradient is shared evenly among tied minima, as `torch.amin`. */
export function amin(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  return extreme('min', x, dim, keepDim, 'amin');
}

function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  dim: number | null | undefined,
  keepDim: boolean,
): Tensor {
  if (dim === undefined || dim === null) {
    if (x.numel() === 0) throw new ShapeError(`${op}: cannot reduce an empty tensor`);
    const flat = reshape(x, [x.numel()]);
    const out = empty([1], 'int32');
    backend().argReduce(op, flat, 0, out);
    traced(op, out, [flat], { dim: 0 });
    return reshape(out, keepDim ? x.shape.map(() => 1) : []);
  }
  const d = normalizeDim(dim, x.ndim, op);
  if (x.ndim === 0) return scalar(0, 'int32');
  if (x.shape[d] === 0)
    throw new ShapeError(`${op}: cannot reduce over a zero-size dim of ${fmtShape(x.shape)}`);
  const out = empty(keptShape(x.shape, [d]), 'int32');
  backend().argReduce(op, x, d, out);
  traced(op, out, [x], { dim: d });
  return keepDim ? out : reshape(out, dropDims(x.shape, [d]));
}

/** Int32 index of the maximum along `dim` (over the flattened tensor when omitted); first on ties. */
export function argmax(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  return argExtreme('argmax', x, dim, keepDim);
}

/** Int32 index of the minimum along `dim` (over the flattened tensor when omitted); first on ties. */
export function argmin(x: Tensor, dim?: number | null, keepDim = false): Tensor {
  return argExtreme('argmin', x, dim, keepDim);
}

/** Options of `var` and `std`. */
export interface VarOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's correction. */
  correction?: number;
  keepDim?: boolean;
}

/** Variance over `dim` with `correction` (default 1, unbiased), as `torch.var`. */
export function variance(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  const { correction = 1, keepDim = false } = options;
  if (!Number.isFinite(correction) || correction < 0) {
    throw new ValueError(`var: correction must be a non-negative number, got ${correction}`);
  }
  const xf = isFloat(x.dtype) ? x : cast(x, toFloat(x.dtype));
  const dims = normalizeDims(dim, x.ndim, 'var');
  const count = dims.reduce((acc, d) => acc * x.shape[d]!, 1);
  const centered = binary('sub', xf, mean(xf, dims, true));
  const squares = sum(unary('square', centered), dims, keepDim);
  return binary('div', squares, Math.max(count - correction, 0));
}

/** Standard deviation over `dim`, the square root of `variance`. */
export function std(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  return unary('sqrt', variance(x, dim, options));
}

/** log(sum(exp(x))) over `dim`, stable for large inputs (the max is subtracted first). */
export function logsumexp(x: Tensor, dim?: Dims, keepDim = false): Tensor {
  requireFloat(x, 'logsumexp');
  const dims = normalizeDims(dim, x.ndim, 'logsumexp');
  if (sizeOf(x.shape) === 0) return unary('log', sum(unary('exp', x), dims, keepDim));
  const m = amax(x, dims, true).detach();
  const shift = where(unary('isfinite', m), m, 0);
  const lse = binary(
    'add',
    unary('log', sum(unary('exp', binary('sub', x, shift)), dims, true)),
    shift,
  );
  return keepDim ? lse : reshape(lse, dropDims(x.shape, dims));
}
