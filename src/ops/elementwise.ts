import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import {
  BINARY_SAVES,
  BOOL_BINARY,
  BOOL_UNARY,
  FLOAT_BINARY,
  FLOAT_UNARY,
  FRACTIONAL_P0_UNARY,
  isGradBinary,
  isGradUnary,
  NO_BOOL_BINARY,
} from '../backend/op-table/index.js';
import { backend } from '../backend/registry.js';
import { type DType, isFloat, toFloat } from '../tensor/dtype.js';
import { DTypeError, ValueError } from '../tensor/errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  broadcastView,
  type Operand,
  record,
  resultDtype,
  scalar,
  toTensors,
  uninit,
} from './core.js';
import { traced } from './trace.js';

/** Casts t to dtype (a copy), or returns t when it already has it. Differentiable. */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = uninit(t.shape, dtype);
  backend().copy(t, out);
  if (!isFloat(dtype)) return traced('cast', out, [t]);
  return record('cast', out, [t]);
}

/**
 * Applies a unary primitive. Integer inputs of float ops are computed in float32; parameters
 * `p0`/`p1` are the op's scalars (slope, alpha, bounds...).
 */
export function unary(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0, outDtype?: DType): Tensor {
  const floating = FLOAT_UNARY.has(op) || (FRACTIONAL_P0_UNARY.has(op) && !Number.isInteger(p0));
  let dtype = outDtype ?? (BOOL_UNARY.has(op) ? 'bool' : floating ? toFloat(x.dtype) : x.dtype);
  if (dtype === 'bool' && !BOOL_UNARY.has(op)) dtype = 'int32';
  const input = BOOL_UNARY.has(op) || x.dtype === dtype ? x : cast(x, dtype);
  const out = uninit(x.shape, dtype);
  backend().unary(op, input, out, p0, p1);
  if (!isGradUnary(op)) return traced(op, out, [input], { param0: p0, param1: p1 });
  return record(op, out, [input], [input, out], { param0: p0, param1: p1 });
}

/**
 * Applies a binary primitive with NumPy broadcasting and PyTorch's type promotion (numbers
 * typed after the tensor beside them; true division of integers gives float32).
 */
export function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const [ta, tb] = toTensors(a, b, op);
  const shape = broadcastShapes(ta.shape, tb.shape, op);
  let compute = resultDtype(ta, tb);
  if (FLOAT_BINARY.has(op) && !isFloat(compute)) compute = 'float32';
  if (compute === 'bool' && NO_BOOL_BINARY.has(op)) {
    throw new DTypeError(
      `${op}: not supported on bool tensors; cast with .to('int32') or .to('float32') first`,
    );
  }
  const isComparison = BOOL_BINARY.has(op);
  const ca = isComparison || ta.dtype === compute ? ta : cast(ta, compute);
  const cb = isComparison || tb.dtype === compute ? tb : cast(tb, compute);
  const out = uninit(shape, isComparison ? 'bool' : compute);
  backend().binary(op, broadcastView(ca, shape), broadcastView(cb, shape), out);
  if (!isGradBinary(op)) return traced(op, out, [ca, cb]);
  const saves = BINARY_SAVES[op];
  const saved = saves === 'none' ? [] : saves === 'inputs' ? [ca, cb] : [ca, cb, out];
  return record(op, out, [ca, cb], saved);
}

/**
 * Elementwise selection: `cond ? a : b` with broadcasting, as `torch.where`.
 *
 * @example
 * ```ts
 * k.where(x.gt(0), x, 0); // relu
 * ```
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') {
    throw new DTypeError(`where: condition must be a bool tensor, got ${cond.dtype}`);
  }
  const [ta, tb] = toTensors(a, b, 'where');
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const dtype = resultDtype(ta, tb);
  const ca = cast(ta, dtype);
  const cb = cast(tb, dtype);
  const out = uninit(shape, dtype);
  backend().where(
    broadcastView(cond, shape),
    broadcastView(ca, shape),
    broadcastView(cb, shape),
    out,
  );
  return record('where', out, [ca, cb], [], { cond });
}

/**
 * `x` with `value` wherever the bool `mask` (broadcast to x) is true, as `maskedFill`. The result
 * keeps x's dtype (a fractional value on an integer tensor is truncated, as PyTorch).
 *
 * @example
 * ```ts
 * k.maskedFill(x, x.lt(0), 0); // negatives set to 0
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== 'bool')
    throw new DTypeError(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  broadcastShapes(x.shape, mask.shape, 'maskedFill');
  const out = where(mask, scalar(value, x.dtype), x);
  if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
    throw new ValueError(
      `maskedFill: mask of shape [${mask.shape}] would enlarge x of shape [${x.shape}]`,
    );
  }
  return out;
}

/**
 * Clamps to [min, max] (either may be null), as `torch.clamp`.
 *
 * @example
 * ```ts
 * k.clamp(x, 0, 1);
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (min == null && max == null)
    throw new ValueError('clamp: at least one of min and max must be given');
  const fractional =
    (!Number.isInteger(lo) && Number.isFinite(lo)) ||
    (!Number.isInteger(hi) && Number.isFinite(hi));
  return unary('clamp', x, lo, hi, fractional ? toFloat(x.dtype) : undefined);
}
