import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import { stack } from '../ops/indexing.js';
import { DataError, fmtShape } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * The batch type the default collate builds from items of type `T`: tensors and numbers become one
 * tensor with a leading batch dim; tuples and objects are collated position by position, key by
 * key; anything else becomes an array.
 *
 * @example
 * ```ts
 * type B = k.data.Collated<[k.Tensor, number]>; // [Tensor, Tensor]
 * ```
 */
export type Collated<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends readonly unknown[]
    ? { -readonly [K in keyof T]: Collated<T[K]> }
    : T extends string
      ? string[]
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : T[];

/**
 * Merges a list of items into a batch, as PyTorch's `default_collate`: tensors are stacked along a
 * new first dim, numbers become a float32 tensor (JavaScript cannot tell 1 from 1.0; store class
 * labels as int32 tensors to get int32 batches), booleans a bool tensor, tuples and objects are
 * collated per position and per key, strings are gathered into an array.
 *
 * @example
 * ```ts
 * const [x, y] = k.data.defaultCollate([[k.ones([2]), 0], [k.zeros([2]), 1]]); // [2,2], [2]
 * ```
 */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  if (items.length === 0) throw new DataError('collate: cannot build a batch from zero items');
  return collateAt(items as readonly unknown[], 'batch') as Collated<T>;
}

function collateAt(items: readonly unknown[], path: string): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    items.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.shape.join() !== first.shape.join()) {
        const got = t instanceof Tensor ? `shape ${fmtShape(t.shape)}` : typeof t;
        throw new DataError(
          `collate: ${path}: item ${i} has ${got}, item 0 has shape ${fmtShape(first.shape)}; items of a batch must share their shape`,
        );
      }
    });
    return noGrad(() => stack(items as Tensor[], 0));
  }
  if (typeof first === 'number' || typeof first === 'boolean') {
    const kind = typeof first;
    items.forEach((v, i) => {
      if (typeof v !== kind) {
        throw new DataError(`collate: ${path}: item ${i} is ${typeof v}, item 0 is ${kind}`);
      }
    });
    return kind === 'number'
      ? tensor(Float32Array.from(items as number[]))
      : tensor(Uint8Array.from(items as boolean[], (b) => (b ? 1 : 0)));
  }
  if (Array.isArray(first)) {
    items.forEach((v, i) => {
      if (!Array.isArray(v) || v.length !== first.length) {
        throw new DataError(
          `collate: ${path}: item ${i} is not a tuple of length ${first.length} like item 0`,
        );
      }
    });
    return first.map((_, j) =>
      collateAt(
        items.map((v) => (v as unknown[])[j]),
        `${path}[${j}]`,
      ),
    );
  }
  if (first !== null && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collateAt(
        items.map((v) => {
          if (v === null || typeof v !== 'object' || !(key in v)) {
            throw new DataError(`collate: ${path}: an item lacks the key "${key}" of item 0`);
          }
          return (v as Record<string, unknown>)[key];
        }),
        `${path}.${key}`,
      );
    }
    return out;
  }
  return [...items];
}
