import type { TypedArray } from '../../tensor/dtype.js';
import { storageVersion } from '../../tensor/storage-version.js';
import type { View } from '../backend.js';

type Storage = View['storage'];

/** The addon's raw pre-packed Linear exports (native/src/linear_addon.cc). */
export interface RawLinear {
  linearPackedLength(params: Float64Array): number;
  linearPack(w: Storage, dst: Float32Array, params: Float64Array): boolean;
  linearPacked(
    x: Storage,
    packing: Float32Array,
    out: Storage,
    bias: Storage,
    params: Float64Array,
  ): boolean;
}

/**
 * The native float32 Linear over a weight packed once and kept: `out = x · wᵀ (+ bias)`, bit for
 * bit what the matmul and the bias add give (below the AVX-512 large-tile size, see
 * docs/design.md), without repacking the weight on every call.
 */
export interface NativeLinear {
  /**
   * out [M, N] (contiguous rows, unit column stride) = x [M, K] · wᵀ (w [N, K]) + bias [N] (unit
   * stride, or null), all float32, K and N > 0. The packing of `w` is cached by its storage and
   * view and rebuilt when the storage's write count (`storageVersion`) has moved.
   */
  forward(x: View, w: View, bias: View | null, out: View): void;
}

/** A weight's packing and what it was made from. */
interface Packing {
  version: number;
  offset: number;
  rows: number;
  cols: number;
  s0: number;
  s1: number;
  data: Float32Array;
}

// Keyed by the weight's storage, so a packing lives as long as its weight does.
const packings = new WeakMap<TypedArray, Packing>();
const sizeParams = new Float64Array(2);
const packParams = new Float64Array(5);
const params = new Float64Array(9);

function current(w: View): Packing | undefined {
  const p = packings.get(w.storage);
  return p !== undefined &&
    p.version === storageVersion(w.storage) &&
    p.offset === w.offset &&
    p.rows === w.shape[0] &&
    p.cols === w.shape[1] &&
    p.s0 === w.strides[0] &&
    p.s1 === w.strides[1]
    ? p
    : undefined;
}

function pack(raw: RawLinear, w: View): Packing {
  const [n, k] = w.shape as [number, number];
  sizeParams[0] = k;
  sizeParams[1] = n;
  const len = raw.linearPackedLength(sizeParams);
  const old = packings.get(w.storage);
  // Repacks into the old array; after the addon refused one (kernel switch, alignment) the
  // caller dropped it first, so a new array is made.
  const data = old !== undefined && old.data.length === len ? old.data : new Float32Array(len);
  packParams[0] = k;
  packParams[1] = n;
  packParams[2] = w.offset;
  packParams[3] = w.strides[1]!;
  packParams[4] = w.strides[0]!;
  if (!raw.linearPack(w.storage, data, packParams))
    throw new Error(
      `kiln native linearPack: packing of ${len} floats refused for a ${n}x${k} weight`,
    );
  const p: Packing = {
    version: storageVersion(w.storage),
    offset: w.offset,
    rows: n,
    cols: k,
    s0: w.strides[0]!,
    s1: w.strides[1]!,
    data,
  };
  packings.set(w.storage, p);
  return p;
}

/** Wraps the raw exports, or null for an addon built without them. */
export function wrapLinear(raw: Partial<RawLinear>): NativeLinear | null {
  if (!raw.linearPack || !raw.linearPacked || !raw.linearPackedLength) return null;
  const r = raw as RawLinear;
  return {
    forward(x, w, bias, out) {
      params[0] = x.shape[0]!;
      params[1] = w.shape[0]!;
      params[2] = w.shape[1]!;
      params[3] = x.offset;
      params[4] = x.strides[0]!;
      params[5] = x.strides[1]!;
      params[6] = out.offset;
      params[7] = out.strides[0]!;
      params[8] = bias ? bias.offset : -1;
      const b = bias ? bias.storage : out.storage;
      const p = current(w) ?? pack(r, w);
      if (r.linearPacked(x.storage, p.data, out.storage, b, params)) return;
      // Packed for another GEMM kernel set (setGemmKernel), or the array moved to an address
      // of another alignment: pack again into a new array.
      packings.delete(w.storage);
      if (!r.linearPacked(x.storage, pack(r, w).data, out.storage, b, params))
        throw new Error('kiln native linearPacked: a fresh packing was refused');
    },
  };
}
