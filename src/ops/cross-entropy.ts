import { backend } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, record, scalar } from './core.js';

/** Reductions of the fused cross-entropy. */
export type CrossEntropyReduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy of logits [N, C] against int32 class indices [N], as one primitive: one
 * log-softmax kernel, then a pass that picks each target's log probability. Its rule is
 * `(softmax(x) * s_i - T) * g`, with the per-row scale `s_i` and the scaled one-hot `T` built
 * here (softmax recomputed from x, so higher-order gradients hold), instead of the dozen ops of the composite form (log-softmax, gather, masks, weighted
 * mean). Targets must already be checked (in range or equal to `ignoreIndex`).
 *
 * @example
 * ```ts
 * const loss = fusedCrossEntropy(logits, labels, null, -100, 'mean');
 * ```
 */
export function fusedCrossEntropy(
  x: Tensor,
  target: Tensor,
  weight: Tensor | null,
  ignoreIndex: number,
  reduction: CrossEntropyReduction,
): Tensor {
  const [n, c] = x.shape as [number, number];
  const logp = empty([n, c], x.dtype);
  if (n > 0) backend().softmax(x, 1, true, logp);
  const t = target.dataSync();
  const w = weight ? weight.dataSync() : null;
  const lp = logp.storage;
  const perSample = new Float64Array(n);
  const rowWeight = new Float64Array(n);
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const cls = t[i]!;
    if (cls === ignoreIndex) continue;
    const wi = w ? w[cls]! : 1;
    rowWeight[i] = wi;
    weightSum += wi;
    perSample[i] = -wi * lp[i * c + cls]!;
  }
  // 'mean' divides by the summed weights of the kept targets, as PyTorch (NaN when none are kept).
  const denom = reduction === 'mean' ? weightSum : 1;
  let out: Tensor;
  if (reduction === 'none') {
    out = empty([n], x.dtype);
    out.storage.set(perSample);
  } else {
    let total = 0;
    for (let i = 0; i < n; i++) total += perSample[i]!;
    out = scalar(total / denom, x.dtype);
  }
  const rowScale = empty([n, 1], x.dtype);
  const targets = empty([n, c], x.dtype);
  for (let i = 0; i < n; i++) {
    const s = rowWeight[i]! / denom;
    rowScale.storage[i] = s;
    if (s !== 0) targets.storage[i * c + t[i]!] = s;
  }
  return record('crossEntropy', out, [x], [x, rowScale, targets]);
}
