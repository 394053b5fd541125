/**
 * Shared helpers of the metric tests: feeding a metric one batch or several uneven ones.
 *
 * @example
 * ```ts
 * const whole = feed(new Accuracy(), logits, labels);
 * const split = feed(new Accuracy(), logits, labels, [3, 1, 4]);
 * ```
 */
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/index.js';
import type { Metric } from '../../src/train/metrics/index.js';

/**
 * Resets `metric`, feeds `output`/`target` as batches of the given sizes along dim 0 (the rest in
 * a last batch; one batch when no sizes), and returns `compute()`. Batches are `narrow` views
 * with an offset into the full tensors, so the metric must honour strides and offsets.
 */
export function feed(metric: Metric, output: Tensor, target: Tensor, sizes: number[] = []): number {
  metric.reset();
  const n = output.shape[0]!;
  let at = 0;
  for (const size of sizes) {
    metric.update(output.narrow(0, at, size), target.narrow(0, at, size));
    at += size;
  }
  if (at < n || sizes.length === 0)
    metric.update(output.narrow(0, at, n - at), target.narrow(0, at, n - at));
  return metric.compute();
}

/**
 * Asserts that feeding in one batch and in each of `splits` gives exactly the same value, and
 * that a reset followed by the one-batch feed gives it again; returns the value.
 */
export function assertStreams(
  make: () => Metric,
  output: Tensor,
  target: Tensor,
  splits: number[][],
): number {
  const metric = make();
  const whole = feed(metric, output, target);
  for (const sizes of splits) {
    assert.equal(feed(metric, output, target, sizes), whole, `batches ${sizes.join('+')}`);
  }
  assert.equal(feed(metric, output, target), whole, 'after reset');
  return whole;
}

/** Asserts |actual - expected| <= tol (absolute), naming both on failure. */
export function assertNear(actual: number, expected: number, tol = 1e-12, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what} expected ${expected}, got ${actual} (tol ${tol})`,
  );
}
