import { fmtShape, ShapeError, ValueError } from './errors.js';

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  return strides;
}

/** Number of elements of a shape (1 for a 0-d shape). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether a view with these strides is laid out row-major without gaps. Size-1 dims are free. */
export function isContiguousLayout(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

/** Resolves a possibly negative dim against `ndim`, naming the op in the error. */
export function normalizeDim(dim: number, ndim: number, op: string): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new ValueError(
      `${op}: dim ${dim} out of range for a ${ndim}-d tensor (expected ${-n}..${n - 1})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Resolves a dim argument (undefined/null = all dims) to a sorted, de-duplicated list. */
export function normalizeDims(
  dim: number | readonly number[] | null | undefined,
  ndim: number,
  op: string,
): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : dim;
  if (ndim === 0) {
    for (const d of list) normalizeDim(d, 0, op);
    return [];
  }
  const out = list.map((d) => normalizeDim(d, ndim, op));
  const unique = [...new Set(out)].sort((a, b) => a - b);
  if (unique.length !== out.length)
    throw new ValueError(`${op}: dim ${JSON.stringify(dim)} repeats a dimension`);
  return unique;
}

/** NumPy broadcasting of two shapes; throws a `ShapeError` naming the op and both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Checks a user-given shape: non-negative integers, at most one -1 when `allowInfer`. */
export function checkShape(shape: readonly number[], op: string, allowInfer = false): void {
  let inferred = 0;
  for (const d of shape) {
    if (allowInfer && d === -1) {
      inferred++;
      continue;
    }
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`,
      );
    }
  }
  if (inferred > 1)
    throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
}

/** Resolves a -1 entry of a target shape against an element count. */
export function inferShape(
  shape: readonly number[],
  numel: number,
  op: string,
  from: readonly number[],
): number[] {
  checkShape(shape, op, true);
  const known = shape.reduce((acc, d) => (d === -1 ? acc : acc * d), 1);
  const out = [...shape];
  const hole = shape.indexOf(-1);
  if (hole >= 0) {
    if (known === 0 || numel % known !== 0) {
      throw new ShapeError(
        `${op}: cannot reshape ${fmtShape(from)} (${numel} elements) to ${fmtShape(shape)}`,
      );
    }
    out[hole] = numel / known;
  } else if (known !== numel) {
    throw new ShapeError(
      `${op}: cannot reshape ${fmtShape(from)} (${numel} elements) to ${fmtShape(shape)}`,
    );
  }
  return out;
}

/**
 * Strides for viewing (shape, strides) as `target` without a copy, or null when the memory layout
 * does not allow it (then reshape copies). Follows the algorithm of PyTorch's `computeStride`:
 * groups of source dims that are mutually contiguous may be split or merged freely.
 */
export function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] | null {
  const out = new Array<number>(target.length);
  if (sizeOf(shape) === 0 || shape.length === 0) return contiguousStrides(target);
  let viewD = target.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d]!;
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || target[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= target[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
