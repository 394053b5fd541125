import type { View } from '../backend.js';
import { runLoop } from './loops.js';

/**
 * Walks every position of `index` (of shape `shape`), calling `visit(indexOffset, otherOffset,
 * outOffset)` where `otherOffset` is the position in x with `dim` excluded and `outOffset` the
 * position in a second view of index's shape.
 */
function walk(
  shape: readonly number[],
  index: View,
  x: View,
  y: View,
  dim: number,
  visit: (io: number, xo: number, yo: number) => void,
): void {
  const nd = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const pos = new Array<number>(nd).fill(0);
  let io = index.offset;
  let xo = x.offset;
  let yo = y.offset;
  for (let it = 0; it < total; it++) {
    visit(io, xo, yo);
    for (let d = nd - 1; d >= 0; d--) {
      pos[d]!++;
      io += index.strides[d]!;
      if (d !== dim) xo += x.strides[d]!;
      yo += y.strides[d]!;
      if (pos[d]! < shape[d]!) break;
      const n = shape[d]!;
      pos[d] = 0;
      io -= index.strides[d]! * n;
      if (d !== dim) xo -= x.strides[d]! * n;
      yo -= y.strides[d]! * n;
    }
  }
}

export function gather(x: View, dim: number, index: View, out: View): void {
  const xs = x.strides[dim]!;
  const src = x.storage;
  const idx = index.storage;
  const dst = out.storage;
  walk(index.shape, index, x, out, dim, (io, xo, oo) => {
    dst[oo] = src[xo + idx[io] * xs]!;
  });
}

export function scatterAdd(out: View, dim: number, index: View, src: View): void {
  const os = out.strides[dim]!;
  const dst = out.storage;
  const idx = index.storage;
  const values = src.storage;
  walk(index.shape, index, out, src, dim, (io, oo, so) => {
    dst[oo + idx[io]! * os] += values[so]!;
  });
}

/** The view of `v` at position `i` along `dim`, with that dim kept at size 1. */
function line(v: View, dim: number, i: number): View {
  const shape = v.shape.slice();
  shape[dim] = 1;
  return {
    storage: v.storage,
    shape,
    strides: v.strides,
    offset: v.offset + i * v.strides[dim]!,
    dtype: v.dtype,
  };
}

export function indexSelect(x: View, dim: number, index: View, out: View): void {
  const n = index.shape[0] ?? 1;
  for (let i = 0; i < n; i++) {
    const at = index.storage[index.offset + i * (index.strides[0] ?? 0)]!;
    runLoop('out[o] = x0[i0];', line(out, dim, i), [line(x, dim, at)]);
  }
}

export function indexAdd(out: View, dim: number, index: View, src: View): void {
  const n = index.shape[0] ?? 1;
  for (let i = 0; i < n; i++) {
    const at = index.storage[index.offset + i * (index.strides[0] ?? 0)]!;
    runLoop('out[o] += x0[i0];', line(out, dim, at), [line(src, dim, i)]);
  }
}
