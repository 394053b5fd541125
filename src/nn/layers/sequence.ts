import { cat } from '../../ops/indexing.js';
import { ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { MultiheadAttention, type MultiheadAttentionOptions } from './attention.js';
import type { GRU, LSTM, RNN } from './recurrent.js';

/** What a {@link RecurrentBlock} returns: the last step [N, H*D] or every step [N, L, H*D]. */
export type RecurrentOutput = 'last' | 'sequence';

/**
 * Makes an `RNN`, `LSTM` or `GRU` fit a `Sequential`: one tensor in, one tensor out. With
 * `output: 'last'` (default) it returns the last layer's final hidden state, both directions
 * concatenated for a bidirectional RNN ([N, H*D]; for one direction this equals the output at
 * the last step); with `'sequence'` the full output [N, L, H*D]. The recurrent module is the
 * child `rnn` (keys `rnn.weight_ih_l0`...). Build it with `batchFirst: true` for [N, L, F] input.
 *
 * @example
 * ```ts
 * const block = new k.nn.RecurrentBlock(new k.nn.LSTM(1, 16, { batchFirst: true }));
 * block.forward(k.randn([8, 24, 1])).shape; // [8, 16]
 * ```
 */
export class RecurrentBlock extends Module<[Tensor], Tensor> {
  readonly output: RecurrentOutput;

  constructor(
    readonly rnn: LSTM | GRU | RNN,
    options: { output?: RecurrentOutput } = {},
  ) {
    super();
    this.output = options.output ?? 'last';
    if (this.output !== 'last' && this.output !== 'sequence')
      throw new ValueError(
        `RecurrentBlock: output must be 'last' or 'sequence', got '${String(this.output)}'`,
      );
  }

  forward(x: Tensor): Tensor {
    const [out, state] = this.rnn.forward(x) as [Tensor, Tensor | [Tensor, Tensor]];
    if (this.output === 'sequence') return out;
    const hN = Array.isArray(state) ? state[0] : state;
    // hN is [numLayers * D, N, H]: the last layer's directions are its last D rows.
    const d = this.rnn.bidirectional ? 2 : 1;
    const last = Array.from({ length: d }, (_, i) => hN.select(0, hN.shape[0]! - d + i));
    return d === 1 ? last[0]! : cat(last, -1);
  }

  protected override extraRepr(): string {
    return `output='${this.output}'`;
  }
}

/**
 * Self-attention for a `Sequential`: `MultiheadAttention` with query = key = value = the input
 * ([N, L, E] with `batchFirst`, the default here), returning only the attended output.
 * `isCausal` lets step i attend to steps <= i only (for forecasting). The attention module is
 * the child `attn` (keys `attn.in_proj_weight`...).
 *
 * @example
 * ```ts
 * const sa = new k.nn.SelfAttention(16, 4, { isCausal: true });
 * sa.forward(k.randn([2, 5, 16])).shape; // [2, 5, 16]
 * ```
 */
export class SelfAttention extends Module<[Tensor], Tensor> {
  readonly attn: MultiheadAttention;
  readonly isCausal: boolean;

  constructor(
    embedDim: number,
    numHeads: number,
    options: Omit<MultiheadAttentionOptions, 'kdim' | 'vdim'> & { isCausal?: boolean } = {},
  ) {
    super();
    const { isCausal = false, ...rest } = options;
    this.attn = new MultiheadAttention(embedDim, numHeads, { batchFirst: true, ...rest });
    this.isCausal = isCausal;
  }

  forward(x: Tensor): Tensor {
    return this.attn.forward(x, x, x, { needWeights: false, isCausal: this.isCausal })[0];
  }

  protected override extraRepr(): string {
    return `is_causal=${this.isCausal}`;
  }
}

/** How {@link SequencePool} reduces the sequence dim. */
export type SequencePoolMode = 'last' | 'first' | 'mean' | 'max';

/**
 * Reduces [N, L, E] to [N, E] over the sequence dim (dim 1): the last or first step, the mean or
 * the max. Puts a head (a `Linear`) after a sequence-returning block such as a
 * `TransformerEncoder`.
 *
 * @example
 * ```ts
 * new k.nn.SequencePool('mean').forward(k.randn([2, 5, 16])).shape; // [2, 16]
 * ```
 */
export class SequencePool extends Module<[Tensor], Tensor> {
  constructor(readonly mode: SequencePoolMode = 'last') {
    super();
    if (!['last', 'first', 'mean', 'max'].includes(mode))
      throw new ValueError(
        `SequencePool: mode must be 'last', 'first', 'mean' or 'max', got '${mode}'`,
      );
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 3)
      throw new ValueError(`SequencePool: expected [N, L, E] input, got ${x.ndim} dims`);
    switch (this.mode) {
      case 'last':
        return x.select(1, -1);
      case 'first':
        return x.select(1, 0);
      case 'mean':
        return x.mean(1);
      case 'max':
        return x.amax(1);
    }
  }

  protected override extraRepr(): string {
    return `mode='${this.mode}'`;
  }
}
