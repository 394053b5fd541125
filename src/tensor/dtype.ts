import { DTypeError } from './errors.js';

/**
 * The element types a tensor can hold. `float32` is the default; `int32` holds indices and labels
 * (kiln has no int64); `bool` is stored one byte per element.
 *
 * @example
 * ```ts
 * const labels = k.tensor([0, 2, 1], { dtype: 'int32' });
 * ```
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The typed array behind each dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Maps a dtype to the typed array that stores it. */
export interface DTypeStorage {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

/** All dtypes, in promotion order. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** Allocates zeroed storage for `n` elements of `dtype`. */
export function allocStorage(dtype: DType, n: number): TypedArray {
  return new CONSTRUCTORS[dtype](n);
}

/** The dtype whose storage is this typed array. */
export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Whether a string names a dtype. */
export function isDType(value: unknown): value is DType {
  return value === 'float32' || value === 'float64' || value === 'int32' || value === 'bool';
}

/** Throws a `DTypeError` unless `value` names a dtype. */
export function checkDType(value: unknown, where: string): DType {
  if (!isDType(value)) {
    throw new DTypeError(
      `${where}: unknown dtype ${JSON.stringify(value)}; expected one of float32, float64, int32, bool`,
    );
  }
  return value;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Category used by PyTorch's promotion of 0-d operands: bool < integer < floating. */
export function category(dtype: DType): number {
  return dtype === 'bool' ? 0 : dtype === 'int32' ? 1 : 2;
}

/** The wider of two dtypes (bool < int32 < float32 < float64), as `torch.promote_types`. */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** The floating dtype an operation on `dtype` computes in: integers and bools become float32. */
export function toFloat(dtype: DType): DType {
  return isFloat(dtype) ? dtype : 'float32';
}

/** Bytes per element. */
export function itemSize(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}
