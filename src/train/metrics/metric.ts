/**
 * The streaming metric contract the Trainer drives, and the input checks shared by every metric.
 *
 * @module
 */
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * A metric accumulated over the batches of an epoch. `update` reads each batch once (through
 * `dataSync()`) into plain numbers and keeps no tensor, so memory stays flat; `compute` gives the
 * value over everything seen since the last `reset`, equal to the value on the concatenated data
 * (never an average of per-batch values). `compute` before any update returns `NaN`.
 *
 * @example
 * ```ts
 * const acc = new Accuracy();
 * for (const [x, y] of batches) acc.update(model.forward(x), y);
 * console.log(acc.name, acc.compute()); // accuracy 0.93
 * acc.reset();
 * ```
 */
export interface Metric {
  /** The key under which the Trainer logs the value (`accuracy`, `val_accuracy`...). */
  readonly name: string;
  /**
   * Whether larger values are better (accuracy, r2) or smaller ones (mae, mse); lets callbacks
   * such as early stopping pick their mode. Optional so that user-written metrics need not say.
   */
  readonly higherIsBetter?: boolean;
  /** Adds one batch: `output` is the model's output, `target` the labels or values. */
  update(output: Tensor, target: Tensor): void;
  /** The value over all batches since the last `reset` (`NaN` when nothing was seen). */
  compute(): number;
  /** Forgets every batch, as at the start of an epoch. */
  reset(): void;
}

/**
 * Throws a `ShapeError` unless `output` and `target` hold the same number of samples (their first
 * dim), and returns that number.
 *
 * @example
 * ```ts
 * const n = checkBatch('accuracy', logits, labels); // logits [32,10], labels [32] -> 32
 * ```
 */
export function checkBatch(where: string, output: Tensor, target: Tensor): number {
  if (output.ndim === 0 || target.ndim === 0) {
    throw new ShapeError(
      `${where}: output and target need a batch dim, got output ${fmtShape(output.shape)} and target ${fmtShape(target.shape)}`,
    );
  }
  const n = output.shape[0]!;
  if (target.shape[0] !== n) {
    throw new ShapeError(
      `${where}: output and target have different numbers of samples: output ${fmtShape(output.shape)} vs target ${fmtShape(target.shape)} (${n} != ${target.shape[0]})`,
    );
  }
  return n;
}

/**
 * Throws a `ValueError` unless `value` is an integer at least `min`.
 *
 * @example
 * ```ts
 * checkInt('accuracy', 'topK', 5, 1); // ok
 * ```
 */
export function checkInt(where: string, field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ValueError(`${where}: ${field} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Appends to a growing typed array, doubling its capacity when full so that an epoch of `n`
 * values costs O(n) copies in all.
 *
 * @example
 * ```ts
 * const buf = new GrowableFloat64();
 * buf.push(0.7);
 * buf.view(); // Float64Array [0.7]
 * ```
 */
export class GrowableFloat64 {
  private data = new Float64Array(1024);
  /** Number of values held. */
  length = 0;

  /** Appends one value. */
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  /** The values held, as a view (no copy) valid until the next `push`. */
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** Forgets the values; keeps a small buffer so a long epoch does not pin memory forever. */
  clear(): void {
    this.length = 0;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: memory only; the buffer grows back on demand
    if (this.data.length > 1024) this.data = new Float64Array(1024);
  }
}
