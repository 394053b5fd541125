/**
 * Error classes thrown by kiln. Each message names the operation, the offending shapes, values,
 * keys or fields, and what was expected, so that a user can act on it without a debugger.
 *
 * @example
 * ```ts
 * try { k.ones([2, 3]).matmul(k.ones([4, 5])); }
 * catch (e) { if (e instanceof k.ShapeError) console.log(e.message); }
 * // matmul: inner dimensions differ: a[2,3] @ b[4,5] (3 != 4)
 * ```
 */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Shapes that do not fit the operation (broadcasting, matmul, reshape, cat...).
 *
 * @example
 * ```ts
 * k.ones([2, 3]).matmul(k.ones([4, 5])); // ShapeError: matmul: inner dimensions differ ...
 * ```
 */
export class ShapeError extends KilnError {}
/**
 * A dtype the operation does not accept, or operands whose dtypes cannot be combined.
 *
 * @example
 * ```ts
 * k.ones([2]).gather(0, k.zeros([1])); // DTypeError: gather: index must be an int32 tensor ...
 * ```
 */
export class DTypeError extends KilnError {}
/**
 * An argument value out of its allowed range (a dim, a probability, an index...).
 *
 * @example
 * ```ts
 * k.ones([2]).sum(3); // ValueError: sum: dim 3 out of range for a 1-d tensor ...
 * ```
 */
export class ValueError extends KilnError {}
/**
 * A backend that cannot be selected or loaded.
 *
 * @example
 * ```ts
 * k.setBackend('gpu'); // BackendError: setBackend('gpu'): no backend named 'gpu' ...
 * ```
 */
export class BackendError extends KilnError {}
/**
 * Bad input data: a malformed file, a ragged row, a label out of range.
 *
 * @example
 * ```ts
 * await k.data.readIdx('labels.csv'); // DataError naming the file and what was expected
 * ```
 */
export class DataError extends KilnError {}
/**
 * An invalid configuration: an unknown name, a missing field, a value of the wrong type.
 *
 * @example
 * ```ts
 * k.train.metricFromName('acuracy'); // ConfigError: unknown metric 'acuracy'; did you mean 'accuracy'?
 * ```
 */
export class ConfigError extends KilnError {}
/**
 * A checkpoint or safetensors file that cannot be read or written safely.
 *
 * @example
 * ```ts
 * await k.io.load('truncated.safetensors'); // CheckpointError naming the file and field
 * ```
 */
export class CheckpointError extends KilnError {}

/** Formats a shape the way error messages print it: `[2,3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
