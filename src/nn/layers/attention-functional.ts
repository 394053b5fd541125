import { arange, full, zeros } from '../../ops/creation.js';
import { where } from '../../ops/elementwise.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../functional-layers.js';

/** Options of `scaledDotProductAttention` (PyTorch's keywords in camelCase). */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. **Bool: true = the query may attend to that key** (PyTorch's
   * `scaled_dot_product_attention` convention, the opposite of `MultiheadAttention`'s masks).
   * Float: added to the scores (use -Infinity to block).
   */
  attnMask?: Tensor | null;
  /** Let query i attend to keys j <= i only (top-left aligned when L != S). */
  isCausal?: boolean;
  /** Dropout probability on the attention weights (applied whenever > 0, as PyTorch). */
  dropoutP?: number;
  /** Factor of the scores (default 1/sqrt(E), E = the query's last dim). */
  scale?: number | null;
  /** The generator for the dropout mask (the default generator otherwise). */
  generator?: Generator;
}

/**
 * `mask` as an additive float mask of `dtype`: a bool mask's true entries (= blocked) become
 * -Infinity, the others 0; a float mask is cast to `dtype`.
 * @internal
 */
export function additiveMask(mask: Tensor, dtype: Tensor['dtype'], what: string): Tensor {
  // A select between two scalars (not a zeros tensor of the mask's size), so a traced export
  // keeps the mask's batch size dynamic.
  if (mask.dtype === 'bool')
    return where(mask, full([], -Infinity, { dtype }), zeros([], { dtype }));
  if (mask.dtype !== 'float32' && mask.dtype !== 'float64')
    throw new DTypeError(`${what}: only bool and float masks are supported, got ${mask.dtype}`);
  // Cast so that a float64 mask does not promote a float32 model's scores.
  return mask.dtype === dtype ? mask : mask.to(dtype);
}

/** Bool [L, S], true where key j lies after query i (j > i): the blocked causal positions. */
function causalBlocked(l: number, s: number): Tensor {
  return arange(s, undefined, 1, { dtype: 'int32' })
    .unsqueeze(0)
    .gt(arange(l, undefined, 1, { dtype: 'int32' }).unsqueeze(1));
}

/**
 * The attention core on q [..., L, E], k [..., S, E], v [..., S, Ev] with an optional additive
 * mask; returns the output [..., L, Ev] and the weights [..., L, S] (after dropout, as PyTorch's
 * MultiheadAttention returns them). A query row whose keys are all masked comes out NaN (the
 * softmax of all -Infinity), as PyTorch 1.13-2.4 do.
 * @internal
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: Tensor | null,
  isCausal: boolean,
  dropoutP: number,
  scale: number,
  generator?: Generator,
): [Tensor, Tensor] {
  // Scaling q (L x E values) rather than the scores (L x S) is cheaper when S > E.
  let scores = q.mul(scale).matmul(k.transpose(-2, -1));
  if (mask) scores = scores.add(mask);
  if (isCausal) {
    const l = q.shape[q.ndim - 2]!;
    const s = k.shape[k.ndim - 2]!;
    scores = scores.maskedFill(causalBlocked(l, s), -Infinity);
  }
  let weights = scores.softmax(-1);
  if (dropoutP > 0) weights = dropout(weights, dropoutP, true, { generator });
  return [weights.matmul(v), weights];
}

/**
 * Attention softmax(q k^T * scale + mask) v, as `torch.nn.functional.scaled_dot_product_attention`
 * (computed with plain differentiable ops). q [..., L, E], k [..., S, E], v [..., S, Ev] with
 * broadcastable batch dims; returns [..., L, Ev].
 *
 * As in PyTorch, a **bool `attnMask` marks the allowed pairs (true = may attend)**, a float one
 * is added; `isCausal` with an `attnMask` is an error. Rows with every key blocked come out
 * NaN, as PyTorch up to 2.4 (2.5's math kernel returns zeros there).
 *
 * @example
 * ```ts
 * const q = k.randn([2, 4, 5, 8]); // [batch, heads, L, E]
 * const out = k.F.scaledDotProductAttention(q, q, q, { isCausal: true }); // [2, 4, 5, 8]
 * ```
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const { attnMask = null, isCausal = false, dropoutP = 0 } = options;
  const op = 'scaledDotProductAttention';
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2)
    throw new ShapeError(
      `${op}: expected q, k, v of at least 2 dims, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  const e = q.shape[q.ndim - 1]!;
  if (k.shape[k.ndim - 1] !== e || k.shape[k.ndim - 2] !== v.shape[v.ndim - 2])
    throw new ShapeError(
      `${op}: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} do not fit (q and k need the same last dim, k and v the same length)`,
    );
  if (!(dropoutP >= 0 && dropoutP <= 1))
    throw new ValueError(`${op}: dropoutP must be a probability in [0, 1], got ${dropoutP}`);
  if (isCausal && attnMask)
    throw new ValueError(`${op}: explicit attnMask should not be set when isCausal is true`);
  let mask: Tensor | null = null;
  if (attnMask) {
    // The bool convention here is "true = attend": blocked entries are the false ones.
    mask =
      attnMask.dtype === 'bool'
        ? where(attnMask, zeros([], { dtype: q.dtype }), -Infinity)
        : additiveMask(attnMask, q.dtype, op);
  }
  const scale = options.scale ?? 1 / Math.sqrt(e);
  return attention(q, k, v, mask, isCausal, dropoutP, scale, options.generator)[0];
}
