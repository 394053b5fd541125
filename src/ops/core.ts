import { isGradEnabled } from '../autograd/grad-mode.js';
import { type Edge, GradNode, type GradOp, type OpAttrs } from '../autograd/node.js';
import type { View } from '../backend/backend.js';
import { takeStorage } from '../backend/storage-pool.js';
import { allocStorage, category, type DType, isFloat, promoteTypes } from '../tensor/dtype.js';
import { DTypeError, ValueError } from '../tensor/errors.js';
import { contiguousStrides, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { tracer } from './trace.js';

/** A tensor operand, or a plain number that is broadcast like a 0-d tensor. */
export type Operand = Tensor | number;

/** A new contiguous tensor of this shape and dtype, zero-filled. */
export function empty(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(
    allocStorage(dtype, sizeOf(shape)),
    [...shape],
    contiguousStrides(shape),
    0,
    dtype,
  );
}

/**
 * A new contiguous tensor of this shape and dtype whose contents are unspecified (possibly a
 * recycled storage): only for outputs a kernel overwrites in full.
 */
export function uninit(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(
    takeStorage(dtype, sizeOf(shape)),
    [...shape],
    contiguousStrides(shape),
    0,
    dtype,
  );
}

/** A 0-d tensor holding `value`. */
export function scalar(value: number, dtype: DType): Tensor {
  const t = empty([], dtype);
  t.storage[0] = dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  return t;
}

/**
 * The dtype of a number operand next to a tensor of `other` dtype, as PyTorch types Python
 * scalars: floats keep the tensor's float dtype; integral numbers keep integer tensors integral.
 */
export function scalarDtype(value: number, other: DType): DType {
  if (isFloat(other)) return other;
  if (Number.isInteger(value)) return other === 'bool' ? 'int32' : other;
  return 'float32';
}

/**
 * Result dtype of a binary op, following PyTorch: a 0-d operand (or a number) takes part in the
 * promotion only when its category (bool < integer < float) is higher than the other's.
 */
export function resultDtype(a: Tensor, b: Tensor): DType {
  const aDim = a.ndim === 0;
  const bDim = b.ndim === 0;
  if (aDim === bDim) return promoteTypes(a.dtype, b.dtype);
  const [dim0, full] = aDim ? [a, b] : [b, a];
  return category(dim0.dtype) > category(full.dtype) ? dim0.dtype : full.dtype;
}

/** Converts a pair of operands to tensors, typing numbers after the tensor beside them. */
export function toTensors(a: Operand, b: Operand, op: string): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    return [scalar(a, 'float32'), scalar(b, 'float32')];
  }
  if (typeof a === 'number') {
    const tb = b as Tensor;
    return [scalar(a, scalarDtype(a, tb.dtype)), tb];
  }
  if (typeof b === 'number') return [a, scalar(b, scalarDtype(b, a.dtype))];
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) {
    throw new ValueError(`${op}: operands must be tensors or numbers`);
  }
  return [a, b];
}

/** A view of t broadcast to `shape` (stride 0 on new or size-1 dims), without a Tensor. */
export function broadcastView(t: View, shape: readonly number[]): View {
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  const lead = shape.length - t.shape.length;
  const strides = shape.map((d, i) => {
    const src = i - lead;
    if (src < 0) return 0;
    return t.shape[src] === 1 && d !== 1 ? 0 : t.strides[src]!;
  });
  return { storage: t.storage, shape, strides, offset: t.offset, dtype: t.dtype };
}

/** Throws unless the tensor has a floating dtype. */
export function requireFloat(t: Tensor, op: string): void {
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${op}: expected a float32 or float64 tensor, got ${t.dtype}`);
  }
}

/**
 * Attaches a graph node to `out` when grad mode is on and some input requires grad. `saved`
 * holds only what the backward rule needs; inputs are linked through their producers.
 */
export function record(
  op: GradOp,
  out: Tensor,
  inputs: readonly Tensor[],
  saved: Tensor[] = [],
  attrs: OpAttrs = {},
): Tensor {
  if (tracer !== null) tracer.primitive(op, out, inputs, attrs);
  if (!isGradEnabled()) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) any = true;
  if (!any) return out;
  const next: Edge[] = inputs.map((t) => (t.requiresGrad ? (t.gradFn ?? t) : null));
  out.gradFn = new GradNode(
    op,
    next,
    saved,
    attrs,
    inputs.map((t) => t.shape),
    inputs.map((t) => t.dtype),
  );
  out.requiresGrad = true;
  return out;
}
