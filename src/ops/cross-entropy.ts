import { backend } from '../backend/registry.js';
import { recycleStorage } from '../backend/storage-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, record, scalar, uninit } from './core.js';

/** Reductions of the fused cross-entropy. */
export type CrossEntropyReduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy of logits [N, C] against class indices (N int32 values, row-major), as one
 * primitive: one log-softmax kernel, then a pass that picks each target's log probability. Its
 * rule is `(softmax(x) * s_i - T) * g`, with the per-row scale `s_i` and the scaled one-hot `T`
 * built here (softmax recomputed from x, so higher-order gradients hold), instead of the dozen
 * ops of the composite form (log-softmax, gather, masks, weighted mean). Targets must already be
 * checked (in range or equal to `ignoreIndex`). The log probabilities are given back to the
 * storage pool at once, and `s_i` and `T` (which only the node holds) when backward frees it.
 *
 * @example
 * ```ts
 * const loss = fusedCrossEntropy(logits, labels.dataSync(), null, -100, 'mean');
 * ```
 */
export function fusedCrossEntropy(
  x: Tensor,
  t: ArrayLike<number>,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: CrossEntropyReduction,
): Tensor {
  const [n, c] = x.shape as [number, number];
  const logp = uninit([n, c], x.dtype);
  if (n > 0) backend().softmax(x, 1, true, logp);
  const w = weight ? weight.dataSync() : null;
  const lp = logp.storage;
  const perSample = reduction === 'none' ? empty([n], x.dtype) : null;
  let weightSum = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const cls = t[i]!;
    if (cls === ignoreIndex) continue;
    const wi = w ? w[cls]! : 1;
    weightSum += wi;
    const term = -wi * lp[i * c + cls]!;
    total += term;
    if (perSample) perSample.storage[i] = term;
  }
  recycleStorage(lp);
  // 'mean' divides by the summed weights of the kept targets, as PyTorch (NaN when none are kept).
  const denom = reduction === 'mean' ? weightSum : 1;
  const out = perSample ?? scalar(total / denom, x.dtype);
  const rowScale = uninit([n, 1], x.dtype);
  const targets = uninit([n, c], x.dtype);
  targets.storage.fill(0);
  for (let i = 0; i < n; i++) {
    const cls = t[i]!;
    const s = cls === ignoreIndex ? 0 : (w ? w[cls]! : 1) / denom;
    rowScale.storage[i] = s;
    if (s !== 0) targets.storage[i * c + cls] = s;
  }
  const loss = record('crossEntropy', out, [x], [x, rowScale, targets]);
  if (loss.gradFn) loss.gradFn.owned.push(rowScale.storage, targets.storage);
  else {
    recycleStorage(rowScale.storage);
    recycleStorage(targets.storage);
  }
  return loss;
}
