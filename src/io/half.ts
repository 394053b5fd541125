import type { Tensor } from '../tensor/tensor.js';

/** Half-precision formats safetensors files can be written in. */
export type HalfDType = 'float16' | 'bfloat16';

/** Options of `save` and `encodeSafetensors`. */
export interface SaveOptions {
  /** Write float tensors as F16 or BF16 (rounded to nearest even, as torch's `.half()`/`.bfloat16()`). */
  dtype?: HalfDType;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds `value` (via float32) to IEEE binary16 bits, to nearest with ties to even, as torch's `.half()`. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal (or zero): the significand with its implicit bit, shifted into place.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the significand correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Rounds `value` (via float32) to bfloat16 bits, to nearest with ties to even, as torch's `.bfloat16()`. */
export function floatToBFloat16(value: number): number {
  f32[0] = value;
  const b = u32[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A float tensor's elements, row-major, as little-endian float16 or bfloat16 bytes. */
export function halfBytes(t: Tensor, dtype: HalfDType): Uint8Array {
  const values = t.dataSync();
  const out = new Uint16Array(values.length);
  const convert = dtype === 'float16' ? floatToHalf : floatToBFloat16;
  for (let i = 0; i < values.length; i++) out[i] = convert(values[i]!);
  return new Uint8Array(out.buffer);
}
