import type { GradOp } from '../autograd/node.js';
import { backend } from '../backend/registry.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { contiguousStrides, inferShape, normalizeDim, viewStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, record, uninit } from './core.js';

/** A view of t's storage with new geometry, recorded as primitive `op`. */
function viewOf(
  t: Tensor,
  shape: number[],
  strides: number[],
  offset: number,
  op: GradOp,
  attrs = {},
): Tensor {
  const out = new Tensor(t.storage, shape, strides, offset, t.dtype);
  return record(op, out, [t], [], attrs);
}

/** A contiguous copy of t (t itself when it is already contiguous). */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous()) return t;
  return clone(t);
}

/** A contiguous copy that owns its storage; gradients flow through unchanged. */
export function clone(t: Tensor): Tensor {
  const out = uninit(t.shape, t.dtype);
  backend().copy(t, out);
  return record('clone', out, [t]);
}

/** Reshapes without copying when the layout allows, else copies first, as `torch.reshape`. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, t.numel(), 'reshape', t.shape);
  if (target.length === t.ndim && target.every((d, i) => d === t.shape[i])) return t;
  const strides = viewStrides(t.shape, t.strides, target);
  if (strides) return viewOf(t, target, strides, t.offset, 'reshape');
  return viewOf(clone(t), target, contiguousStrides(target), 0, 'reshape');
}

/** Like `reshape` but never copies: throws a `ShapeError` when the layout does not allow it. */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, t.numel(), 'view', t.shape);
  const strides = viewStrides(t.shape, t.strides, target);
  if (!strides) {
    throw new ShapeError(
      `view: size ${fmtShape(target)} is not compatible with the strides of ${fmtShape(t.shape)}; use reshape (it copies)`,
    );
  }
  return viewOf(t, target, strides, t.offset, 'reshape');
}

/** Reorders dims without copying, as `torch.permute`. */
export function permute(t: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== t.ndim) {
    throw new ShapeError(
      `permute: expected ${t.ndim} dims for ${fmtShape(t.shape)}, got [${dims.join(',')}]`,
    );
  }
  const perm = dims.map((d) => normalizeDim(d, t.ndim, 'permute'));
  if (new Set(perm).size !== perm.length)
    throw new ValueError(`permute: dims [${dims.join(',')}] repeat a dim`);
  return viewOf(
    t,
    perm.map((d) => t.shape[d]!),
    perm.map((d) => t.strides[d]!),
    t.offset,
    'permute',
    { perm },
  );
}

/** Swaps two dims without copying. */
export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  if (t.ndim < 2 && dim0 === dim1) return t;
  const a = normalizeDim(dim0, t.ndim, 'transpose');
  const b = normalizeDim(dim1, t.ndim, 'transpose');
  const perm = t.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(t, perm);
}

/** Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0, as `torch.expand`. */
export function expand(t: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < t.ndim) {
    throw new ShapeError(
      `expand: target ${fmtShape(shape)} has fewer dims than ${fmtShape(t.shape)}`,
    );
  }
  const lead = shape.length - t.ndim;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? t.shape[i - lead]! : d));
  const strides = target.map((d, i) => {
    const src = i - lead;
    if (src < 0) return 0;
    const own = t.shape[src]!;
    if (own === d) return t.strides[src]!;
    if (own === 1) return 0;
    throw new ShapeError(
      `expand: cannot expand ${fmtShape(t.shape)} to ${fmtShape(shape)} (dim ${i}: ${own} vs ${d})`,
    );
  });
  if (target.some((d) => !Number.isInteger(d) || d < 0))
    throw new ShapeError(`expand: invalid shape ${fmtShape(shape)}`);
  if (target.length === t.ndim && target.every((d, i) => d === t.shape[i])) return t;
  return viewOf(t, target, strides, t.offset, 'expand');
}

/**
 * Elements `start, start+step, ...` below `end` along `dim`, without copying. Negative start and
 * end count from the end and are clamped to the dim, as Python slicing with a positive step.
 */
export function slice(t: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normalizeDim(dim, t.ndim, 'slice');
  if (!Number.isInteger(step) || step <= 0)
    throw new ValueError(`slice: step must be a positive integer, got ${step}`);
  const n = t.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIndex(start);
  const e = Math.max(clampIndex(end ?? n), s);
  const length = Math.ceil((e - s) / step);
  const shape = [...t.shape];
  shape[d] = length;
  const strides = [...t.strides];
  strides[d] = t.strides[d]! * step;
  return viewOf(t, shape, strides, t.offset + s * t.strides[d]!, 'slice', {
    dim: d,
    start: s,
    step,
  });
}

/** `length` elements from `start` along `dim`, without copying; out of range is an error. */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, t.ndim, 'narrow');
  const n = t.shape[d]!;
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new ValueError(
      `narrow: start ${start} and length ${length} exceed dim ${d} of size ${n} in ${fmtShape(t.shape)}`,
    );
  }
  return slice(t, d, s, s + length);
}

/** The sub-tensor at `index` along `dim`, with that dim removed, as `torch.select`. */
export function select(t: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim(dim, t.ndim, 'select');
  const n = t.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new ValueError(`select: index ${index} out of range for dim ${d} of size ${n}`);
  }
  const i = index < 0 ? index + n : index;
  return squeeze(slice(t, d, i, i + 1), d);
}

/** Removes size-1 dims (only `dim` when given; a non-1 dim is left alone, as PyTorch). */
export function squeeze(t: Tensor, dim?: number | readonly number[]): Tensor {
  const dims =
    dim === undefined
      ? null
      : (typeof dim === 'number' ? [dim] : dim).map((d) => normalizeDim(d, t.ndim, 'squeeze'));
  const shape = t.shape.filter((s, i) => !(s === 1 && (dims === null || dims.includes(i))));
  return reshape(t, shape);
}

/** Inserts a size-1 dim at `dim` (negative counts from the end of the result). */
export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.ndim + 1, 'unsqueeze');
  const shape = [...t.shape];
  shape.splice(d, 0, 1);
  return reshape(t, shape);
}

/** Flattens dims `startDim..endDim` into one. */
export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  if (t.ndim === 0) return reshape(t, [1]);
  const s = normalizeDim(startDim, t.ndim, 'flatten');
  const e = normalizeDim(endDim, t.ndim, 'flatten');
  if (s > e) throw new ValueError(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = t.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(t, [...t.shape.slice(0, s), merged, ...t.shape.slice(e + 1)]);
}

/**
 * Inverse of `slice` for gradients: a zero tensor of `shape` with `g` written at the sliced
 * positions. Differentiable (its gradient is the slice).
 */
export function unslice(
  g: Tensor,
  shape: readonly number[],
  dim: number,
  start: number,
  step: number,
): Tensor {
  const out = empty(shape, g.dtype);
  const strides = [...out.strides];
  strides[dim] = out.strides[dim]! * step;
  const target = new Tensor(out.storage, g.shape, strides, start * out.strides[dim]!, g.dtype);
  backend().copy(g, target);
  return record('unslice', out, [g], [], { dim, start, step });
}

/**
 * Splits along `dim` into pieces of `size` (the last may be smaller) or of the given sizes.
 *
 * @example
 * ```ts
 * k.split(k.arange(5), 2).map((t) => t.shape); // [[2], [2], [1]]
 * ```
 */
export function split(t: Tensor, size: number | readonly number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, t.ndim, 'split');
  const n = t.shape[d]!;
  let sizes: number[];
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0)
      throw new ValueError(`split: size must be a positive integer, got ${size}`);
    sizes = [];
    for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...size];
    if (
      sizes.reduce((a, b) => a + b, 0) !== n ||
      sizes.some((s) => !Number.isInteger(s) || s < 0)
    ) {
      throw new ValueError(`split: sizes [${sizes.join(',')}] do not sum to dim ${d} of size ${n}`);
    }
  }
  let at = 0;
  return sizes.map((s) => {
    const piece = narrow(t, d, at, s);
    at += s;
    return piece;
  });
}

/**
 * Splits along `dim` into `chunks` pieces of equal size (the last may be smaller), as `torch.chunk`.
 *
 * @example
 * ```ts
 * k.chunk(k.arange(6), 3).length; // 3
 * ```
 */
export function chunk(t: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const n = t.shape[normalizeDim(dim, t.ndim, 'chunk')]!;
  return split(t, Math.max(Math.ceil(n / chunks), 1), dim);
}
