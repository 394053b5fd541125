import { backend } from '../backend/registry.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { normalizeDim } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, record, resultDtype } from './core.js';
import { arange } from './creation.js';
import { binary, cast } from './elementwise.js';
import { clone, reshape, unsqueeze } from './views.js';

function requireIndex(index: Tensor, op: string): void {
  if (index.dtype !== 'int32')
    throw new DTypeError(`${op}: index must be an int32 tensor, got ${index.dtype}`);
}

/** Throws a `ValueError` naming the first index outside [-0, size). */
function checkRange(index: Tensor, size: number, op: string, dim: number): void {
  const data = index.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= size) {
      throw new ValueError(
        `${op}: index ${v} out of range for dim ${dim} of size ${size} (at flat position ${i})`,
      );
    }
  }
}

/**
 * out[i][j] = x[i][index[i][j]] (for dim 1), as `torch.gather`; index is int32.
 *
 * @example
 * ```ts
 * k.gather(scores, 1, labels.unsqueeze(1)); // each row's score at its label
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  requireIndex(index, 'gather');
  const d = normalizeDim(dim, x.ndim, 'gather');
  if (index.ndim !== x.ndim || index.shape.some((s, i) => i !== d && s > x.shape[i]!)) {
    throw new ShapeError(
      `gather: index ${fmtShape(index.shape)} does not fit input ${fmtShape(x.shape)} at dim ${d}`,
    );
  }
  checkRange(index, x.shape[d]!, 'gather', d);
  const out = empty(index.shape, x.dtype);
  backend().gather(x, d, index, out);
  return record('gather', out, [x], [], { dim: d, index, shape: x.shape });
}

/**
 * A copy of `x` with `src` added at the positions `index` selects along `dim` (functional scatter_add).
 *
 * @example
 * ```ts
 * k.zeros([3]).scatterAdd(0, k.tensor([0, 0, 2], { dtype: 'int32' }), k.ones([3])); // [2, 0, 1]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  requireIndex(index, 'scatterAdd');
  const d = normalizeDim(dim, x.ndim, 'scatterAdd');
  if (
    index.ndim !== x.ndim ||
    index.shape.some((s, i) => s > src.shape[i]! || (i !== d && s > x.shape[i]!))
  ) {
    throw new ShapeError(
      `scatterAdd: index ${fmtShape(index.shape)} does not fit self ${fmtShape(x.shape)} and src ${fmtShape(src.shape)} at dim ${d}`,
    );
  }
  checkRange(index, x.shape[d]!, 'scatterAdd', d);
  const dtype = resultDtype(x, src);
  const cx = cast(x, dtype);
  const cs = cast(src, dtype);
  const out = clone(cx).detach();
  backend().scatterAdd(out, d, index, cs);
  return record('scatterAdd', out, [cx, cs], [], { dim: d, index });
}

/**
 * The entries of `x` at the int32 positions `index` (1-D) along `dim`, as `torch.index_select`.
 *
 * @example
 * ```ts
 * k.indexSelect(x, 0, k.tensor([2, 0], { dtype: 'int32' })); // rows 2 and 0
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  requireIndex(index, 'indexSelect');
  if (index.ndim > 1)
    throw new ShapeError(`indexSelect: index must be 1-D, got ${fmtShape(index.shape)}`);
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  const d = x.ndim === 0 ? 0 : normalizeDim(dim, x.ndim, 'indexSelect');
  const src = x.ndim === 0 ? reshape(x, [1]) : x;
  checkRange(idx, src.shape[d]!, 'indexSelect', d);
  const shape = [...src.shape];
  shape[d] = idx.shape[0]!;
  const out = empty(shape, x.dtype);
  backend().indexSelect(src, d, idx, out);
  const result = record('indexSelect', out, [src], [], { dim: d, index: idx, shape: src.shape });
  return x.ndim === 0 ? reshape(result, []) : result;
}

/**
 * A copy of `x` with the slices of `src` added at positions `index` along `dim` (functional index_add).
 *
 * @example
 * ```ts
 * k.zeros([3, 2]).indexAdd(0, k.tensor([1], { dtype: 'int32' }), k.ones([1, 2]));
 * ```
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  requireIndex(index, 'indexAdd');
  const d = normalizeDim(dim, x.ndim, 'indexAdd');
  if (index.ndim !== 1 || src.shape[d] !== index.shape[0]) {
    throw new ShapeError(
      `indexAdd: index ${fmtShape(index.shape)} must be 1-D with one entry per slice of src ${fmtShape(src.shape)} at dim ${d}`,
    );
  }
  if (src.ndim !== x.ndim || src.shape.some((s, i) => i !== d && s !== x.shape[i])) {
    throw new ShapeError(
      `indexAdd: src ${fmtShape(src.shape)} must match self ${fmtShape(x.shape)} except at dim ${d}`,
    );
  }
  checkRange(index, x.shape[d]!, 'indexAdd', d);
  const out = clone(x).detach();
  backend().indexAdd(out, d, index, src);
  return record('indexAdd', out, [x, src], [], { dim: d, index });
}

/**
 * One-hot encoding of int32 labels in [0, numClasses): shape [..., numClasses], int32.
 *
 * @example
 * ```ts
 * k.oneHot(k.tensor([0, 2], { dtype: 'int32' }), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(labels: Tensor, numClasses = -1): Tensor {
  requireIndex(labels, 'oneHot');
  const data = labels.dataSync();
  let max = -1;
  for (let i = 0; i < data.length; i++) {
    if (data[i]! < 0)
      throw new ValueError(`oneHot: class values must be non-negative, got ${data[i]}`);
    max = Math.max(max, data[i]!);
  }
  const classes = numClasses === -1 ? max + 1 : numClasses;
  if (max >= classes) {
    throw new ValueError(
      `oneHot: class value ${max} is out of range for numClasses ${classes} (expected 0..${classes - 1})`,
    );
  }
  return cast(
    binary('eq', unsqueeze(labels, -1), arange(0, classes, 1, { dtype: 'int32' })),
    'int32',
  );
}

/**
 * Concatenates tensors along `dim`; all other dims must match.
 *
 * @example
 * ```ts
 * k.cat([k.zeros([2, 3]), k.ones([1, 3])], 0).shape; // [3, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('cat: expected a non-empty list of tensors');
  const first = tensors[0]!;
  if (first.ndim === 0)
    throw new ShapeError('cat: zero-dimensional tensors cannot be concatenated');
  const d = normalizeDim(dim, first.ndim, 'cat');
  let dtype = first.dtype;
  let total = 0;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new ShapeError(
        `cat: tensor ${i} has shape ${fmtShape(t.shape)}, expected ${fmtShape(first.shape)} except at dim ${d}`,
      );
    }
    dtype = resultDtype(empty([1], dtype), t);
    total += t.shape[d]!;
  });
  const shape = [...first.shape];
  shape[d] = total;
  const out = empty(shape, dtype);
  let at = 0;
  const inputs = tensors.map((t) => cast(t, dtype));
  for (const t of inputs) {
    const strides = out.strides;
    backend().copy(t, {
      storage: out.storage,
      shape: t.shape,
      strides,
      offset: at * strides[d]!,
      dtype,
    });
    at += t.shape[d]!;
  }
  return record('cat', out, inputs, [], { dim: d, sizes: inputs.map((t) => t.shape[d]!) });
}

/**
 * Stacks equal-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * k.stack([k.zeros([3]), k.ones([3])], 0).shape; // [2, 3]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack: expected a non-empty list of tensors');
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, j) => s !== first.shape[j])) {
      throw new ShapeError(
        `stack: tensor ${i} has shape ${fmtShape(t.shape)}, expected ${fmtShape(first.shape)}`,
      );
    }
  });
  const d = normalizeDim(dim, first.ndim + 1, 'stack');
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/**
 * Pads with a constant, as `torch.nn.functional.pad(mode='constant')`: `pads` lists
 * (before, after) pairs starting from the last dim. Negative pads crop.
 *
 * @example
 * ```ts
 * k.pad(k.ones([2, 2]), [1, 1]).shape; // [2, 4]
 * ```
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim || pads.some((p) => !Number.isInteger(p))) {
    throw new ValueError(
      `pad: expected an even number of integer pads, at most 2 per dim of ${fmtShape(x.shape)}, got [${pads.join(',')}]`,
    );
  }
  const before = new Array<number>(x.ndim).fill(0);
  const after = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    before[x.ndim - 1 - i] = pads[2 * i]!;
    after[x.ndim - 1 - i] = pads[2 * i + 1]!;
  }
  let src = x;
  for (let d = 0; d < x.ndim; d++) {
    const cropFront = Math.max(-before[d]!, 0);
    const cropBack = Math.max(-after[d]!, 0);
    if (cropFront + cropBack > src.shape[d]!)
      throw new ValueError(`pad: cropping more than dim ${d} of ${fmtShape(x.shape)}`);
    if (cropFront || cropBack) src = src.narrow(d, cropFront, src.shape[d]! - cropFront - cropBack);
  }
  const shape = src.shape.map((s, d) => s + Math.max(before[d]!, 0) + Math.max(after[d]!, 0));
  const out = empty(shape, src.dtype);
  if (value !== 0) backend().fill(out, value);
  const offset = before.reduce((acc, b, d) => acc + Math.max(b, 0) * out.strides[d]!, 0);
  backend().copy(src, {
    storage: out.storage,
    shape: src.shape,
    strides: out.strides,
    offset,
    dtype: src.dtype,
  });
  return record('pad', out, [src], [], { pads: before.map((b) => Math.max(b, 0)), param0: value });
}
