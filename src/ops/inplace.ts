import { isGradEnabled } from '../autograd/grad-mode.js';
import type { BinaryOp } from '../backend/backend.js';
import { backend } from '../backend/registry.js';
import { isFloat } from '../tensor/dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { bumpStorageVersion } from '../tensor/storage-version.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastView, scalar } from './core.js';
import { cast } from './elementwise.js';

/**
 * In-place writes. They bypass autograd, so they are refused on tensors that require grad while
 * grad mode is on (wrap optimizer-style updates in `noGrad`), and on expanded views whose
 * elements alias each other.
 */
function checkWritable(t: Tensor, op: string): void {
  if (t.requiresGrad && isGradEnabled()) {
    throw new ValueError(
      `${op}: in-place change of a tensor that requires grad would corrupt the graph; do it inside k.noGrad(() => ...)`,
    );
  }
  if (t.strides.some((s, i) => s === 0 && t.shape[i]! > 1)) {
    throw new ValueError(
      `${op}: cannot write in place to an expanded view of shape ${fmtShape(t.shape)}; clone() it first`,
    );
  }
  // Caches of the old contents (packed Linear weights) must see the write.
  bumpStorageVersion(t.storage);
}

function operand(t: Tensor, o: Tensor | number, op: string): Tensor {
  const src = typeof o === 'number' ? scalar(o, t.dtype) : cast(o.detach(), t.dtype);
  const fits =
    src.ndim <= t.ndim &&
    src.shape.every((d, i) => d === 1 || d === t.shape[t.ndim - src.ndim + i]);
  if (!fits)
    throw new ShapeError(
      `${op}: source of shape ${fmtShape(src.shape)} does not broadcast to ${fmtShape(t.shape)}`,
    );
  return src;
}

/** Copies `src` (broadcast and converted to t's dtype) into t. */
export function copyInto<T extends Tensor>(t: T, src: Tensor | number): T {
  checkWritable(t, 'copy_');
  backend().copy(broadcastView(operand(t, src, 'copy_'), t.shape), t);
  return t;
}

/** Fills t with `value`. */
export function fillInPlace<T extends Tensor>(t: T, value: number): T {
  checkWritable(t, 'fill_');
  backend().fill(t, value);
  return t;
}

/** t = t (op) (alpha * o), keeping t's dtype. */
export function binaryInPlace<T extends Tensor>(
  t: T,
  op: BinaryOp,
  o: Tensor | number,
  alpha: number,
): T {
  const name = `${op}_`;
  checkWritable(t, name);
  if (op === 'div' && !isFloat(t.dtype))
    throw new DTypeError(`div_: result would be float but the tensor is ${t.dtype}`);
  let src = operand(t, o, name);
  if (alpha !== 1) src = cast(src.mul(alpha), t.dtype);
  backend().binary(op, t, broadcastView(src, t.shape), t);
  return t;
}
