import { gelu, relu } from '../../ops/activation.js';
import type { DType } from '../../tensor/dtype.js';
import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';

/** Options of `TransformerEncoderLayer` (PyTorch's keywords in camelCase). */
export interface TransformerEncoderLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Feed-forward activation: 'relu' (default), 'gelu' (exact), or a function. */
  activation?: 'relu' | 'gelu' | ((x: Tensor) => Tensor);
  /** LayerNorm eps (default 1e-5). */
  layerNormEps?: number;
  /** Input [N, L, E] instead of [L, N, E] (default false). */
  batchFirst?: boolean;
  /** Pre-norm: normalize before attention and feed-forward (default false: post-norm). */
  normFirst?: boolean;
  /** Learn the biases of the linear layers and norms (default true). */
  bias?: boolean;
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values (the default generator otherwise). */
  generator?: Generator;
}

/** Options of `TransformerEncoderLayer.forward`. */
export interface TransformerEncoderLayerForwardOptions {
  /** Attention mask [L, L] or [N * nhead, L, L]: bool true = may not attend; float is added. */
  srcMask?: Tensor | null;
  /** [N, L] (unbatched [L]): bool true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Apply a causal mask (on top of `srcMask`). */
  isCausal?: boolean;
}

/**
 * One Transformer encoder block, as `torch.nn.TransformerEncoderLayer`: self-attention and a
 * feed-forward block (linear1, activation, dropout, linear2), each with dropout and a residual,
 * normalized after (default) or before (`normFirst`) each sub-block. Input [L, N, E]
 * ([N, L, E] with `batchFirst`) or unbatched [L, E]. Keys `self_attn.in_proj_weight`,
 * `self_attn.out_proj.weight`, `linear1.*`, `linear2.*`, `norm1.*`, `norm2.*`.
 *
 * @example
 * ```ts
 * const layer = new k.nn.TransformerEncoderLayer(32, 4, { dimFeedforward: 64, batchFirst: true });
 * layer.forward(k.randn([2, 10, 32])).shape; // [2, 10, 32]
 * ```
 */
export class TransformerEncoderLayer extends Module<
  [Tensor, TransformerEncoderLayerForwardOptions?],
  Tensor
> {
  selfAttn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  readonly #activation: (x: Tensor) => Tensor;
  readonly #options: TransformerEncoderLayerOptions;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    this.#options = { ...options };
    const { dimFeedforward = 2048, dropout = 0.1, layerNormEps = 1e-5, dtype } = options;
    const { bias = true, generator } = options;
    this.selfAttn = new MultiheadAttention(dModel, nhead, {
      dropout,
      bias,
      batchFirst: options.batchFirst ?? false,
      dtype,
      generator,
    });
    this.linear1 = new Linear(dModel, dimFeedforward, { bias, dtype, generator });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { bias, dtype, generator });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, bias, dtype });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    this.normFirst = options.normFirst ?? false;
    const act = options.activation ?? 'relu';
    if (typeof act === 'function') this.#activation = act;
    else if (act === 'relu') this.#activation = relu;
    else if (act === 'gelu') this.#activation = (x) => gelu(x);
    else
      throw new ValueError(
        `TransformerEncoderLayer: activation should be 'relu' or 'gelu', not '${act}'`,
      );
    this.setKeyName('selfAttn', 'self_attn');
  }

  /** The feed-forward activation given at construction ('relu', 'gelu' or a function). */
  get activation(): NonNullable<TransformerEncoderLayerOptions['activation']> {
    return this.#options.activation ?? 'relu';
  }

  /**
   * A deep copy: a new layer of the same configuration holding copies of this layer's values
   * (independent storage), in the same training mode.
   */
  clone(): TransformerEncoderLayer {
    const copy = new TransformerEncoderLayer(this.dModel, this.nhead, this.#options);
    copy.loadStateDict(this.stateDict());
    const mine = this.parameters();
    copy.parameters().forEach((p, i) => {
      p.requiresGrad = mine[i]!.requiresGrad;
    });
    return copy.train(this.training);
  }

  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), options));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, options)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, options: TransformerEncoderLayerForwardOptions): Tensor {
    const [out] = this.selfAttn.forward(x, x, x, {
      attnMask: options.srcMask,
      keyPaddingMask: options.srcKeyPaddingMask,
      isCausal: options.isCausal,
      needWeights: false,
    });
    return this.dropout1.forward(out);
  }

  private ffBlock(x: Tensor): Tensor {
    const hidden = this.dropout.forward(this.#activation(this.linear1.forward(x)));
    return this.dropout2.forward(this.linear2.forward(hidden));
  }
}

/** Options of `TransformerEncoder`. */
export interface TransformerEncoderOptions {
  /** A final normalization (key `norm`), as PyTorch's `norm` argument. */
  norm?: Module<[Tensor], Tensor> | null;
}

/** Options of `TransformerEncoder.forward`. */
export interface TransformerEncoderForwardOptions {
  /** Attention mask for every layer (see `TransformerEncoderLayer`). */
  mask?: Tensor | null;
  /** [N, L] (unbatched [L]): bool true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Apply a causal mask in every layer. */
  isCausal?: boolean;
}

/**
 * A stack of `numLayers` encoder layers, as `torch.nn.TransformerEncoder`: the layers are deep
 * copies of `encoderLayer` (independent parameters that start equal, as PyTorch's
 * `copy.deepcopy`), keys `layers.0.self_attn.in_proj_weight`..., then the optional `norm`.
 *
 * @example
 * ```ts
 * const layer = new k.nn.TransformerEncoderLayer(32, 4, { dimFeedforward: 64 });
 * const encoder = new k.nn.TransformerEncoder(layer, 2, { norm: new k.nn.LayerNorm(32) });
 * encoder.forward(k.randn([10, 2, 32])).shape; // [10, 2, 32]
 * ```
 */
export class TransformerEncoder extends Module<
  [Tensor, TransformerEncoderForwardOptions?],
  Tensor
> {
  layers: TransformerEncoderLayer[];
  norm: Module<[Tensor], Tensor> | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    options: TransformerEncoderOptions = {},
  ) {
    super();
    if (!Number.isInteger(numLayers) || numLayers <= 0)
      throw new ValueError(
        `TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`,
      );
    this.layers = Array.from({ length: numLayers }, () => encoderLayer.clone());
    this.norm = options.norm ?? null;
  }

  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers)
      x = layer.forward(x, {
        srcMask: options.mask,
        srcKeyPaddingMask: options.srcKeyPaddingMask,
        isCausal: options.isCausal,
      });
    return this.norm ? this.norm.forward(x) : x;
  }
}
