import { CheckpointError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A value that survives `checkpoint.json`: JSON, plus non-finite numbers. @example `const v: k.io.JsonValue = { best: Infinity, lr: [0.1] };` */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

const MARK = '$float';

function describe(v: unknown): string {
  if (v instanceof Tensor) return 'a Tensor';
  if (typeof v === 'object' && v !== null)
    return `a ${v.constructor?.name ?? 'null-prototype object'}`;
  return `a ${typeof v}`;
}

/**
 * Checks and converts a value for JSON. Plain JSON would silently turn `Infinity` (the initial
 * `best` of ReduceLROnPlateau) into `null` and tensors into junk objects, so non-finite numbers are
 * tagged as `{ "$float": "Infinity" }` and anything that is not plain data is an error naming its
 * path. `undefined` follows JSON: dropped from objects, `null` in arrays. @internal
 */
export function toJsonSafe(value: unknown, path: string, ancestors: unknown[] = []): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    return { [MARK]: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' };
  }
  if (typeof value === 'object') {
    if (ancestors.includes(value)) {
      throw new CheckpointError(
        `checkpoint: ${path} contains a cycle; only plain data can be saved`,
      );
    }
    const inner = [...ancestors, value];
    if (Array.isArray(value)) {
      return value.map((v, i) => (v === undefined ? null : toJsonSafe(v, `${path}[${i}]`, inner)));
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const out: { [key: string]: JsonValue } = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        Object.defineProperty(out, k, {
          value: toJsonSafe(v, `${path}.${k}`, inner),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
  }
  throw new CheckpointError(
    `checkpoint: ${path} is ${describe(value)}; checkpoint.json holds numbers, strings, booleans, null, arrays and plain objects`,
  );
}

/** Inverse of the tagging in `toJsonSafe`, for `JSON.parse`. @internal */
export function reviveJson(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const tag = (value as Record<string, unknown>)[MARK];
    if (keys.length === 1 && keys[0] === MARK && typeof tag === 'string') {
      if (tag === 'NaN') return Number.NaN;
      if (tag === 'Infinity') return Infinity;
      if (tag === '-Infinity') return -Infinity;
    }
  }
  return value;
}
