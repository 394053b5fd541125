import { noGrad } from '../../autograd/grad-mode.js';
import { empty } from '../../ops/core.js';
import type { DType } from '../../tensor/dtype.js';
import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { embedding } from '../functional-layers.js';
import { normal } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of `Embedding`. */
export interface EmbeddingLayerOptions {
  /** This row starts at zero and receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  dtype?: DType;
  /** The generator for the N(0, 1) initial values (the default generator otherwise). */
  generator?: Generator;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as `torch.nn.Embedding`:
 * `weight` initialized N(0, 1), the `paddingIdx` row zero and frozen (its gradient is zero).
 * Input: int32 indices of any shape; output [...shape, embeddingDim].
 *
 * @example
 * ```ts
 * const emb = new k.nn.Embedding(100, 16, { paddingIdx: 0 });
 * emb.forward(k.tensor([[3, 0]], { dtype: 'int32' })).shape; // [1, 2, 16]
 * ```
 */
export class Embedding extends Module<[Tensor], Tensor> {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingLayerOptions = {},
  ) {
    super();
    let pad = options.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad >= numEmbeddings || pad < -numEmbeddings)
        throw new ValueError(
          `Embedding: paddingIdx ${pad} must be within [-${numEmbeddings}, ${numEmbeddings})`,
        );
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.weight = new Parameter(empty([numEmbeddings, embeddingDim], options.dtype ?? 'float32'));
    this.resetParameters(options.generator);
  }

  /** Draws N(0, 1) values and zeroes the padding row, as PyTorch's `reset_parameters`. */
  resetParameters(generator?: Generator): void {
    normal(this.weight, { generator });
    const pad = this.paddingIdx;
    if (pad !== null) noGrad(() => this.weight.select(0, pad).fill_(0));
  }

  forward(idx: Tensor): Tensor {
    return embedding(idx, this.weight, { paddingIdx: this.paddingIdx });
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`;
  }
}
