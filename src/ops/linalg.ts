import { isGradEnabled } from '../autograd/grad-mode.js';
import { packedLinear } from '../backend/native/index.js';
import { backend } from '../backend/registry.js';
import { DTypeError, fmtShape, ShapeError } from '../tensor/errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastView, record, resultDtype, uninit } from './core.js';
import { cast } from './elementwise.js';
import { reshape, squeeze, unsqueeze } from './views.js';

/**
 * Matrix product with `torch.matmul`'s rules: 1-D operands are promoted to a row (left) or a
 * column (right) and the added dim is removed from the result; batch dims broadcast.
 *
 * @example
 * ```ts
 * k.randn([10, 3, 4]).matmul(k.randn([4, 5])).shape; // [10, 3, 5]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: both operands need at least 1 dim, got a${fmtShape(a.shape)} @ b${fmtShape(b.shape)}`,
    );
  }
  if (a.dtype === 'bool' || b.dtype === 'bool') {
    throw new DTypeError(`matmul: bool operands are not supported (a ${a.dtype}, b ${b.dtype})`);
  }
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const k = a2.shape[a2.ndim - 1]!;
  const kb = b2.shape[b2.ndim - 2]!;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a${fmtShape(a.shape)} @ b${fmtShape(b.shape)} (${k} != ${kb})`,
    );
  }
  let out = mm(a2, b2);
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return out;
}

/** The matmul primitive on operands of at least 2 dims with broadcast batch dims. */
function mm(a: Tensor, b: Tensor): Tensor {
  const dtype = resultDtype(a, b);
  const ca = cast(a, dtype);
  const cb = cast(b, dtype);
  const batch = broadcastShapes(ca.shape.slice(0, -2), cb.shape.slice(0, -2), 'matmul');
  const m = ca.shape[ca.ndim - 2]!;
  const k = ca.shape[ca.ndim - 1]!;
  const n = cb.shape[cb.ndim - 1]!;
  const out = uninit([...batch, m, n], dtype);
  backend().matmul(broadcastView(ca, [...batch, m, k]), broadcastView(cb, [...batch, k, n]), out);
  return record('matmul', out, [ca, cb], [ca, cb]);
}

/**
 * Matrix product of two 2-D tensors, as `torch.mm`.
 *
 * @example
 * ```ts
 * k.mm(k.ones([2, 3]), k.ones([3, 4])).shape; // [2, 4]
 * ```
 */
export function mm2d(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2) {
    throw new ShapeError(
      `mm: expected 2-D operands, got a${fmtShape(a.shape)} and b${fmtShape(b.shape)}`,
    );
  }
  return matmul(a, b);
}

/**
 * Batched product of 3-D tensors of equal batch size, as `torch.bmm`.
 *
 * @example
 * ```ts
 * k.bmm(k.ones([5, 2, 3]), k.ones([5, 3, 4])).shape; // [5, 2, 4]
 * ```
 */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `bmm: expected 3-D operands with equal batch size, got a${fmtShape(a.shape)} and b${fmtShape(b.shape)}`,
    );
  }
  return matmul(a, b);
}

/**
 * Dot product of two 1-D tensors of equal length.
 *
 * @example
 * ```ts
 * k.dot(k.tensor([1, 2]), k.tensor([3, 4])).item(); // 11
 * ```
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1 || a.shape[0] !== b.shape[0]) {
    throw new ShapeError(
      `dot: expected 1-D operands of equal length, got a${fmtShape(a.shape)} and b${fmtShape(b.shape)}`,
    );
  }
  return reshape(matmul(a, b), []);
}

/**
 * The affine map `x @ weight^T + bias` as one primitive, as `torch.nn.functional.linear`. Its
 * rule computes the weight gradient as `g^T @ x` directly in the weight's layout (a composite
 * of matmul and transpose would build `x^T @ g` and copy it transposed every step), and adds
 * the bias in place into the product.
 *
 * @example
 * ```ts
 * const y = linearOp(k.randn([32, 784]), k.randn([128, 784]), k.zeros([128])); // [32, 128]
 * ```
 */
export function linearOp(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const dtype = resultDtype(x, weight);
  const cx = cast(x, dtype);
  const cw = cast(weight, dtype);
  const cb = bias ? cast(bias, dtype) : null;
  const n = cw.shape[0]!;
  const k = cw.shape[1]!;
  const lead = cx.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const x2 = reshape(cx.detach(), [rows, k]);
  const out = uninit([...lead, n], dtype);
  const out2 = { storage: out.storage, shape: [rows, n], strides: [n, 1], offset: 0, dtype };
  const wT = {
    storage: cw.storage,
    shape: [k, n],
    strides: [cw.strides[1]!, cw.strides[0]!],
    offset: cw.offset,
    dtype,
  };
  // A weight that takes no gradient in this call (inference, frozen layers) is packed for the
  // GEMM once and kept until it is written (storageVersion), instead of on every call.
  const fast = dtype === 'float32' && n > 0 && k > 0 ? packedLinear() : null;
  let biasAdded = false;
  if (fast !== null && !(cw.requiresGrad && isGradEnabled())) {
    biasAdded = cb !== null && (cb.strides[0] === 1 || n === 1);
    fast.forward(x2, cw, biasAdded ? cb : null, out2);
  } else {
    backend().matmul(x2, wT, out2);
  }
  if (cb && !biasAdded) backend().binary('add', out2, broadcastView(cb, [rows, n]), out2);
  return record('linear', out, cb ? [cx, cw, cb] : [cx, cw], [cx, cw]);
}
