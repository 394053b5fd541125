import { empty } from '../../ops/core.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { linear } from '../functional-layers.js';
import { xavierUniform, zeros } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { additiveMask, attention } from './attention-functional.js';
import { Linear } from './linear.js';

/** Options of `MultiheadAttention` (PyTorch's keywords in camelCase). */
export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights, in training only (default 0). */
  dropout?: number;
  /** Learn `in_proj_bias` and `out_proj.bias` (default true). */
  bias?: boolean;
  /** Inputs and output are [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
  /** Features of the keys (default embedDim); differing kdim/vdim give separate q/k/v weights. */
  kdim?: number;
  /** Features of the values (default embedDim). */
  vdim?: number;
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values and the dropout masks (the default otherwise). */
  generator?: Generator;
}

/** Options of `MultiheadAttention.forward`. */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (unbatched [S]): bool true = this key is padding, ignore it; a float mask is added. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N * numHeads, L, S] (unbatched [numHeads, L, S]): bool true = may not attend; float is added. */
  attnMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** Average the returned weights over the heads (default true): [N, L, S], else [N, H, L, S]. */
  averageAttnWeights?: boolean;
  /** Add a causal mask (query i attends to keys j <= i), on top of any `attnMask`. */
  isCausal?: boolean;
}

/**
 * Multi-head attention, as `torch.nn.MultiheadAttention`: project q, k, v, split `embedDim` into
 * `numHeads` heads, attend with softmax(q k^T / sqrt(headDim) + masks) v, concatenate, project.
 * `forward(query, key, value, options?)` returns `[output, weights | null]`; inputs are [L, N, E]
 * ([N, L, E] with `batchFirst`) or unbatched [L, E].
 *
 * Keys as PyTorch: `in_proj_weight` [3E, E] and `in_proj_bias` [3E] (q, k, v stacked), or
 * `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when `kdim`/`vdim` differ from `embedDim`;
 * `out_proj.weight`, `out_proj.bias`. Init as PyTorch: xavier-uniform projections, zero biases.
 *
 * Masks follow PyTorch's MultiheadAttention: a bool mask's **true entries are blocked**, a float
 * mask is added; a key padding mask and an attention mask are combined. A query whose keys are
 * all blocked gets NaN output (as PyTorch's non-fast path). `isCausal` builds the causal mask
 * itself (PyTorch 2.x treats it as a hint that requires `attnMask`). Not supported:
 * `addBiasKv`, `addZeroAttn`.
 *
 * @example
 * ```ts
 * const mha = new k.nn.MultiheadAttention(16, 4, { batchFirst: true });
 * const x = k.randn([2, 5, 16]);
 * const [out, weights] = mha.forward(x, x, x, { isCausal: true }); // [2, 5, 16], [2, 5, 5]
 * ```
 */
export class MultiheadAttention extends Module<
  [Tensor, Tensor, Tensor, MultiheadAttentionForwardOptions?],
  [Tensor, Tensor | null]
> {
  inProjWeight: Parameter | null;
  qProjWeight: Parameter | null;
  kProjWeight: Parameter | null;
  vProjWeight: Parameter | null;
  inProjBias: Parameter | null;
  outProj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly #generator: Generator | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    for (const [what, v] of [
      ['embedDim', embedDim],
      ['numHeads', numHeads],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(`MultiheadAttention: ${what} must be a positive integer, got ${v}`);
    }
    if (embedDim % numHeads !== 0)
      throw new ValueError(
        `MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
      );
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.headDim = embedDim / numHeads;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new ValueError(`MultiheadAttention: dropout must be in [0, 1], got ${this.dropout}`);
    this.batchFirst = options.batchFirst ?? false;
    this.#generator = options.generator;
    const dtype = options.dtype ?? 'float32';
    const packed = this.kdim === embedDim && this.vdim === embedDim;
    const e = embedDim;
    this.inProjWeight = packed ? new Parameter(empty([3 * e, e], dtype)) : null;
    this.qProjWeight = packed ? null : new Parameter(empty([e, e], dtype));
    this.kProjWeight = packed ? null : new Parameter(empty([e, this.kdim], dtype));
    this.vProjWeight = packed ? null : new Parameter(empty([e, this.vdim], dtype));
    const bias = options.bias ?? true;
    this.inProjBias = bias ? new Parameter(empty([3 * e], dtype)) : null;
    this.outProj = new Linear(e, e, { bias, dtype, generator: options.generator });
    this.setKeyName('inProjWeight', 'in_proj_weight');
    this.setKeyName('qProjWeight', 'q_proj_weight');
    this.setKeyName('kProjWeight', 'k_proj_weight');
    this.setKeyName('vProjWeight', 'v_proj_weight');
    this.setKeyName('inProjBias', 'in_proj_bias');
    this.setKeyName('outProj', 'out_proj');
    this.resetParameters(options.generator);
  }

  /** PyTorch's `_reset_parameters`: xavier-uniform projections, zero biases. */
  resetParameters(generator?: Generator): void {
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight])
      if (w) xavierUniform(w, { generator });
    this.outProj.resetParameters(generator);
    if (this.inProjBias) zeros(this.inProjBias);
    if (this.outProj.bias) zeros(this.outProj.bias);
  }

  /** The q, k and v projections (one matmul for self-attention with packed weights). */
  private project(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const e = this.embedDim;
    const b = this.inProjBias;
    const part = (i: number) => b?.narrow(0, i * e, e) ?? null;
    if (this.inProjWeight) {
      const w = this.inProjWeight;
      if (query === key && key === value) {
        const [q, k, v] = linear(query, w, b).chunk(3, -1);
        return [q!, k!, v!];
      }
      return [0, 1, 2].map((i) =>
        linear([query, key, value][i]!, w.narrow(0, i * e, e), part(i)),
      ) as [Tensor, Tensor, Tensor];
    }
    return [
      linear(query, this.qProjWeight!, part(0)),
      linear(key, this.kProjWeight!, part(1)),
      linear(value, this.vProjWeight!, part(2)),
    ];
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadAttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const { keyPaddingMask = null, attnMask = null, isCausal = false } = options;
    const { needWeights = true, averageAttnWeights = true } = options;
    const name = 'MultiheadAttention';
    const isBatched = query.ndim === 3;
    if (
      (query.ndim !== 2 && query.ndim !== 3) ||
      key.ndim !== query.ndim ||
      value.ndim !== query.ndim
    )
      throw new ShapeError(
        `${name}: expected query, key and value all 2-D (unbatched) or all 3-D, got ${fmtShape(query.shape)}, ${fmtShape(key.shape)}, ${fmtShape(value.shape)}`,
      );
    for (const [what, t, size] of [
      ['query', query, this.embedDim],
      ['key', key, this.kdim],
      ['value', value, this.vdim],
    ] as const) {
      if (t.shape[t.ndim - 1] !== size)
        throw new ShapeError(
          `${name}: ${what} ${fmtShape(t.shape)} has ${t.shape[t.ndim - 1]} features, expected ${size}`,
        );
    }
    if (key.shape.slice(0, -1).some((d, i) => d !== value.shape[i]))
      throw new ShapeError(
        `${name}: key shape ${fmtShape(key.shape)} does not match value shape ${fmtShape(value.shape)}`,
      );
    // Unbatched inputs become a batch of one in the sequence-first layout.
    const seqFirst = !isBatched || !this.batchFirst;
    const [q, k, v] = [query, key, value].map((t) => (isBatched ? t : t.unsqueeze(1))) as [
      Tensor,
      Tensor,
      Tensor,
    ];
    const [lenDim, batchDim] = seqFirst ? [0, 1] : [1, 0];
    const n = q.shape[batchDim]!;
    const l = q.shape[lenDim]!;
    const s = k.shape[lenDim]!;
    if (k.shape[batchDim] !== n)
      throw new ShapeError(
        `${name}: query ${fmtShape(query.shape)} and key ${fmtShape(key.shape)} have different batch sizes`,
      );
    const h = this.numHeads;
    const hd = this.headDim;
    // [L, N, E] or [N, L, E] -> [N, H, L, hd] as views (the matmuls take strided operands).
    const heads = (t: Tensor, len: number) =>
      seqFirst
        ? t.reshape([len, n, h, hd]).permute([1, 2, 0, 3])
        : t.reshape([n, len, h, hd]).permute([0, 2, 1, 3]);
    const [qp, kp, vp] = this.project(q, k, v);
    const mask = this.mask(attnMask, keyPaddingMask, isBatched, n, l, s, q.dtype);
    const p = this.training ? this.dropout : 0;
    const [out, weights] = attention(
      heads(qp, l),
      heads(kp, s),
      heads(vp, s),
      mask,
      isCausal,
      p,
      1 / Math.sqrt(hd),
      this.#generator,
    );
    const merged = seqFirst
      ? out.permute([2, 0, 1, 3]).reshape([l, n, this.embedDim])
      : out.permute([0, 2, 1, 3]).reshape([n, l, this.embedDim]);
    const output = this.outProj.forward(merged);
    let w: Tensor | null = null;
    if (needWeights) {
      w = averageAttnWeights ? weights.mean(1) : weights;
      if (!isBatched) w = w.squeeze(0);
    }
    return [isBatched ? output : output.squeeze(1), w];
  }

  /** The combined additive mask, broadcastable to [N, H, L, S], or null. */
  private mask(
    attnMask: Tensor | null,
    keyPaddingMask: Tensor | null,
    isBatched: boolean,
    n: number,
    l: number,
    s: number,
    dtype: DType,
  ): Tensor | null {
    const name = 'MultiheadAttention';
    let mask: Tensor | null = null;
    if (attnMask) {
      const heads3 = isBatched ? [n * this.numHeads, l, s] : [this.numHeads, l, s];
      const fits = (shape: number[]) =>
        attnMask.ndim === shape.length && attnMask.shape.every((d, i) => d === shape[i]);
      if (!fits([l, s]) && !fits(heads3))
        throw new ShapeError(
          `${name}: attnMask has shape ${fmtShape(attnMask.shape)}, expected ${fmtShape([l, s])} or ${fmtShape(heads3)}`,
        );
      const m = additiveMask(attnMask, dtype, name);
      mask = m.ndim === 3 ? m.reshape([n, this.numHeads, l, s]) : m;
    }
    if (keyPaddingMask) {
      const expected = isBatched ? [n, s] : [s];
      if (
        keyPaddingMask.ndim !== expected.length ||
        keyPaddingMask.shape.some((d, i) => d !== expected[i])
      )
        throw new ShapeError(
          `${name}: keyPaddingMask has shape ${fmtShape(keyPaddingMask.shape)}, expected ${fmtShape(expected)}`,
        );
      const kpm = additiveMask(keyPaddingMask, dtype, name).reshape([n, 1, 1, s]);
      mask = mask ? mask.add(kpm) : kpm;
    }
    return mask;
  }

  protected override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, dropout=${this.dropout}, batch_first=${this.batchFirst}`;
  }
}
