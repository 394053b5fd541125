import type { DType, TypedArray } from '../tensor/dtype.js';

/**
 * The safetensors dtype names kiln reads. The four native ones map one to one onto kiln dtypes and
 * are the only ones written; the others are widened on read so that files saved by PyTorch load:
 * F16 and BF16 become float32 (exactly, every half value is a float32 value), I64 becomes int32
 * (range-checked), I8/U8/I16/U16 become int32, U32 becomes int32 (range-checked).
 *
 * @example
 * ```ts
 * const d: k.io.SafetensorsDType = 'BF16';
 * ```
 */
export type SafetensorsDType =
  | 'F64'
  | 'F32'
  | 'I32'
  | 'BOOL'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I16'
  | 'U16'
  | 'U32'
  | 'I8'
  | 'U8';

interface DTypeInfo {
  readonly itemSize: number;
  readonly kiln: DType;
}

const INFO: Readonly<Record<SafetensorsDType, DTypeInfo>> = {
  F64: { itemSize: 8, kiln: 'float64' },
  F32: { itemSize: 4, kiln: 'float32' },
  I32: { itemSize: 4, kiln: 'int32' },
  BOOL: { itemSize: 1, kiln: 'bool' },
  F16: { itemSize: 2, kiln: 'float32' },
  BF16: { itemSize: 2, kiln: 'float32' },
  I64: { itemSize: 8, kiln: 'int32' },
  I16: { itemSize: 2, kiln: 'int32' },
  U16: { itemSize: 2, kiln: 'int32' },
  U32: { itemSize: 4, kiln: 'int32' },
  I8: { itemSize: 1, kiln: 'int32' },
  U8: { itemSize: 1, kiln: 'int32' },
};

/**
 * Names in the safetensors spec that kiln recognizes but cannot hold, so the error can say
 * "unsupported" rather than "unknown".
 */
const KNOWN_UNSUPPORTED = new Set([
  'U64',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'C64',
]);

/** The safetensors name kiln writes for each dtype. */
export const WRITE_NAME: Readonly<Record<DType, SafetensorsDType>> = {
  float64: 'F64',
  float32: 'F32',
  int32: 'I32',
  bool: 'BOOL',
};

/**
 * Rank used to order tensors in a written file, as the reference implementation does (dtype
 * descending, then name): wider items first keeps every tensor naturally aligned in the buffer.
 */
export const WRITE_RANK: Readonly<Record<DType, number>> = {
  float64: 0,
  float32: 1,
  int32: 2,
  bool: 3,
};

export function isSafetensorsDType(name: unknown): name is SafetensorsDType {
  return typeof name === 'string' && Object.hasOwn(INFO, name);
}

export function isKnownUnsupported(name: string): boolean {
  return KNOWN_UNSUPPORTED.has(name);
}

export function dtypeInfo(name: SafetensorsDType): DTypeInfo {
  return INFO[name];
}

/**
 * Converts little-endian raw bytes of `numel` items of `name` into kiln storage. Returns an error
 * message (not a throw) for values that do not fit, so the caller can name the file and tensor.
 * `bytes` may be unaligned: every path copies or reads through a DataView, except when `owned`
 * says the caller hands over a fresh buffer holding exactly these bytes.
 */
export function convertBytes(
  name: SafetensorsDType,
  bytes: Uint8Array,
  numel: number,
  owned = false,
): TypedArray | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (name) {
    case 'F64':
    case 'F32':
    case 'I32': {
      // A buffer read just for this tensor can become its storage without another copy.
      if (owned && bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength) {
        const buffer = bytes.buffer as ArrayBuffer;
        if (name === 'F64') return new Float64Array(buffer, 0, numel);
        return name === 'F32'
          ? new Float32Array(buffer, 0, numel)
          : new Int32Array(buffer, 0, numel);
      }
      const out =
        name === 'F64'
          ? new Float64Array(numel)
          : name === 'F32'
            ? new Float32Array(numel)
            : new Int32Array(numel);
      // Copying bytes is exact (NaN payloads kept) and fast; it assumes a little-endian host.
      new Uint8Array(out.buffer).set(bytes.subarray(0, numel * out.BYTES_PER_ELEMENT));
      return out;
    }
    case 'BOOL': {
      const out = new Uint8Array(numel);
      for (let i = 0; i < numel; i++) out[i] = bytes[i] !== 0 ? 1 : 0;
      return out;
    }
    case 'F16': {
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(numel);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const lo = view.getInt32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // In int32 range exactly when the high word is the sign extension of the low word.
        if (hi !== lo >> 31) {
          const value = BigInt(hi) * 4294967296n + BigInt(lo >>> 0);
          return `element ${i} is ${value}, outside the int32 range kiln holds`;
        }
        out[i] = lo;
      }
      return out;
    }
    case 'U32': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        const v = view.getUint32(4 * i, true);
        if (v > 0x7fffffff) return `element ${i} is ${v}, outside the int32 range kiln holds`;
        out[i] = v;
      }
      return out;
    }
    case 'I16':
    case 'U16':
    case 'I8':
    case 'U8': {
      const out = new Int32Array(numel);
      for (let i = 0; i < numel; i++) {
        out[i] =
          name === 'I16'
            ? view.getInt16(2 * i, true)
            : name === 'U16'
              ? view.getUint16(2 * i, true)
              : name === 'I8'
                ? view.getInt8(i)
                : bytes[i]!;
      }
      return out;
    }
  }
}

/** IEEE 754 binary16 bits to a number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
