import { tensor } from '../../ops/creation.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../functional-layers.js';
import { Module } from '../module.js';
import { Buffer } from '../parameter.js';

/** Options of `PositionalEncoding`. */
export interface PositionalEncodingOptions {
  /** The longest sequence supported (default 5000). */
  maxLen?: number;
  /** Dropout after adding the encoding, in training only (default 0.1). */
  dropout?: number;
  /** Input [N, L, E] instead of [L, N, E] (default false, as the PyTorch tutorial). */
  batchFirst?: boolean;
  /** Save `pe` in the state dict (default true, as the tutorial's `register_buffer('pe', pe)`). */
  persistent?: boolean;
  /** Dtype of the `pe` buffer (float32 by default). */
  dtype?: DType;
  /** The generator for the dropout masks (the default generator otherwise). */
  generator?: Generator;
}

/**
 * Adds the fixed sinusoidal position encoding of "Attention is all you need", then dropout, as
 * the `PositionalEncoding` module of the PyTorch tutorial: pe[pos, 2i] = sin(pos / 10000^(2i/d)),
 * pe[pos, 2i+1] = cos(...). Input [L, N, dModel] ([N, L, dModel] with `batchFirst`).
 *
 * The buffer `pe` has the tutorial's shape [maxLen, 1, dModel] and is persistent by default, so
 * the tutorial's state dicts load by name; `persistent: false` leaves it out of `stateDict()`
 * (it is recomputed from dModel and maxLen anyway). An odd dModel is allowed (the last column is
 * a sine).
 *
 * @example
 * ```ts
 * const pos = new k.nn.PositionalEncoding(32, { maxLen: 100, batchFirst: true });
 * pos.forward(k.zeros([2, 10, 32])).shape; // [2, 10, 32]
 * ```
 */
export class PositionalEncoding extends Module<[Tensor], Tensor> {
  pe: Buffer;
  readonly maxLen: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly #generator: Generator | undefined;

  constructor(
    readonly dModel: number,
    options: PositionalEncodingOptions = {},
  ) {
    super();
    this.maxLen = options.maxLen ?? 5000;
    this.dropout = options.dropout ?? 0.1;
    this.batchFirst = options.batchFirst ?? false;
    this.#generator = options.generator;
    for (const [what, v] of [
      ['dModel', dModel],
      ['maxLen', this.maxLen],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(`PositionalEncoding: ${what} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new ValueError(`PositionalEncoding: dropout must be in [0, 1], got ${this.dropout}`);
    const values = new Float64Array(this.maxLen * dModel);
    for (let i = 0; i < dModel; i += 2) {
      // The tutorial's div_term: exp(2i * -ln(10000) / d), computed in float64 here.
      const freq = Math.exp(i * (-Math.log(10000) / dModel));
      for (let pos = 0; pos < this.maxLen; pos++) {
        values[pos * dModel + i] = Math.sin(pos * freq);
        if (i + 1 < dModel) values[pos * dModel + i + 1] = Math.cos(pos * freq);
      }
    }
    const pe = tensor(values, {
      shape: [this.maxLen, 1, dModel],
      dtype: options.dtype ?? 'float32',
    });
    this.pe = new Buffer(pe, { persistent: options.persistent ?? true });
  }

  forward(x: Tensor): Tensor {
    const len = x.shape[this.batchFirst ? 1 : 0];
    if (x.ndim !== 3 || x.shape[2] !== this.dModel || len === undefined || len > this.maxLen)
      throw new ShapeError(
        `PositionalEncoding: expected input ${this.batchFirst ? '[N, L, dModel]' : '[L, N, dModel]'} with dModel ${this.dModel} and L <= maxLen ${this.maxLen}, got ${fmtShape(x.shape)}`,
      );
    const pe = this.pe.narrow(0, 0, len);
    const y = x.add(this.batchFirst ? pe.transpose(0, 1) : pe);
    return dropout(y, this.dropout, this.training, { generator: this.#generator });
  }

  protected override extraRepr(): string {
    return `${this.dModel}, max_len=${this.maxLen}, dropout=${this.dropout}`;
  }
}
