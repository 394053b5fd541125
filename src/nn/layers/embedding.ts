import { noGrad } from '../../autograd/grad-mode.js';
import { empty } from '../../ops/core.js';
import { tensor } from '../../ops/creation.js';
import { cat } from '../../ops/indexing.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { embedding } from '../functional-layers.js';
import { normal } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of `Embedding`. @example `new k.nn.Embedding(1000, 32, { paddingIdx: 0, generator: new k.Generator(7) })` */
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

/**
 * Embeddings of a table's categorical columns, for an MLP: the first `numEmbeddings.length`
 * input columns hold level indices (as a table's `data.embed` encodes them: 0 for a missing,
 * rare or unseen level, 1.. for the kept levels), each looked up in its own table of
 * `embeddingDim`-sized vectors (initialized N(0, 1), as `Embedding`); the vectors replace the
 * index columns, and the other columns pass through. Input float `[N, F]`, output
 * `[N, F - C + C * embeddingDim]` for C embedded columns. An index outside its column's table
 * is a `ValueError` naming the column.
 *
 * @example
 * ```ts
 * const emb = new k.nn.CategoryEmbedding([52], 8);          // a 51-level column, 8-d vectors
 * emb.forward(k.tensor([[3, 0.5, -1.2]])).shape;            // [1, 10]
 * ```
 */
export class CategoryEmbedding extends Module<[Tensor], Tensor> {
  /** All columns' vectors, stacked: column c's table starts at row `numEmbeddings[0..c)`'s sum. */
  weight: Parameter;
  readonly numEmbeddings: readonly number[];
  private readonly offsets: Int32Array;

  constructor(
    numEmbeddings: readonly number[],
    readonly embeddingDim: number,
    options: { dtype?: DType; generator?: Generator } = {},
  ) {
    super();
    if (numEmbeddings.length === 0 || numEmbeddings.some((n) => !Number.isInteger(n) || n < 1))
      throw new ValueError(
        `CategoryEmbedding: numEmbeddings must be a non-empty list of positive integers, got [${numEmbeddings.join(', ')}]`,
      );
    if (!Number.isInteger(embeddingDim) || embeddingDim < 1)
      throw new ValueError(
        `CategoryEmbedding: embeddingDim must be a positive integer, got ${embeddingDim}`,
      );
    this.numEmbeddings = [...numEmbeddings];
    this.offsets = new Int32Array(numEmbeddings.length);
    for (let c = 1; c < numEmbeddings.length; c++)
      this.offsets[c] = this.offsets[c - 1]! + numEmbeddings[c - 1]!;
    const total = numEmbeddings.reduce((s, n) => s + n, 0);
    this.weight = new Parameter(empty([total, embeddingDim], options.dtype ?? 'float32'));
    normal(this.weight, { generator: options.generator });
  }

  forward(x: Tensor): Tensor {
    const c = this.numEmbeddings.length;
    if (x.ndim !== 2 || x.shape[1]! < c)
      throw new ShapeError(
        `CategoryEmbedding: expected [N, F] with F >= ${c} (the index columns first), got ${fmtShape(x.shape)}`,
      );
    const n = x.shape[0]!;
    const codes = x.narrow(1, 0, c).dataSync();
    const idx = new Int32Array(n * c);
    for (let i = 0; i < codes.length; i++) {
      const col = i % c;
      const v = codes[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < this.numEmbeddings[col]!))
        throw new ValueError(
          `CategoryEmbedding: index ${v} in input column ${col} (row ${Math.floor(i / c)}) is outside its table of ${this.numEmbeddings[col]} vectors`,
        );
      idx[i] = v + this.offsets[col]!;
    }
    const vectors = embedding(tensor(idx, { shape: [n, c], dtype: 'int32' }), this.weight).reshape([
      n,
      c * this.embeddingDim,
    ]);
    const rest = x.shape[1]! - c;
    return rest === 0 ? vectors : cat([vectors, x.narrow(1, c, rest)], 1);
  }

  protected override extraRepr(): string {
    return `[${this.numEmbeddings.join(', ')}], ${this.embeddingDim}`;
  }
}
