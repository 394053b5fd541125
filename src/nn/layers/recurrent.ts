import { empty } from '../../ops/core.js';
import { zeros } from '../../ops/creation.js';
import { cat, stack } from '../../ops/indexing.js';
import { composite } from '../../ops/trace.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../functional-layers.js';
import { uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { gruGates, lstmGates, type RnnNonlinearity, rnnActivate } from './recurrent-cells.js';

/** Options of `RNN`, `LSTM` and `GRU` (PyTorch's keywords in camelCase). */
export interface RNNOptions {
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Learn `bias_ih_l*` and `bias_hh_l*` (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training only (default 0). */
  dropout?: number;
  /** Run a second, reversed direction per layer and concatenate both outputs (default false). */
  bidirectional?: boolean;
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values (the default generator otherwise). */
  generator?: Generator;
}

type Mode = 'RNN' | 'LSTM' | 'GRU';

/** The parameters of one layer and direction. */
interface LayerWeights {
  wIh: Parameter;
  wHh: Parameter;
  bIh: Parameter | null;
  bHh: Parameter | null;
}

/**
 * The shared multi-layer loop. Parameters are own fields named exactly as PyTorch's attributes
 * (`weight_ih_l0`, `bias_hh_l1_reverse`), so the generic field walk yields PyTorch's state-dict
 * keys in PyTorch's order (per layer, per direction: w_ih, w_hh, b_ih, b_hh).
 */
abstract class RNNBase<I extends unknown[], O> extends Module<I, O> {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;

  constructor(
    private readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNOptions,
  ) {
    super();
    const name = this.constructor.name;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.dropout = options.dropout ?? 0;
    this.bidirectional = options.bidirectional ?? false;
    for (const [what, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', this.numLayers],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new ValueError(`${name}: dropout must be a probability in [0, 1], got ${this.dropout}`);
    const dtype = options.dtype ?? 'float32';
    const gates = { RNN: 1, LSTM: 4, GRU: 3 }[mode] * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, Parameter>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : hiddenSize * dirs;
      for (let dir = 0; dir < dirs; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        self[`weight_ih${suffix}`] = new Parameter(empty([gates, layerInput], dtype));
        self[`weight_hh${suffix}`] = new Parameter(empty([gates, hiddenSize], dtype));
        if (this.bias) {
          self[`bias_ih${suffix}`] = new Parameter(empty([gates], dtype));
          self[`bias_hh${suffix}`] = new Parameter(empty([gates], dtype));
        }
      }
    }
    this.resetParameters(options.generator);
  }

  /** Draws every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch. */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, { a: -bound, b: bound, generator });
  }

  /** The parameters per layer and direction, `[w_ih, w_hh, b_ih?, b_hh?]`, as `all_weights`. */
  get allWeights(): Parameter[][] {
    const out: Parameter[][] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < (this.bidirectional ? 2 : 1); dir++) {
        const w = this.weights(layer, dir);
        out.push([w.wIh, w.wHh, ...(w.bIh && w.bHh ? [w.bIh, w.bHh] : [])]);
      }
    }
    return out;
  }

  private weights(layer: number, dir: number): LayerWeights {
    const self = this as unknown as Record<string, Parameter | undefined>;
    const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    return {
      wIh: self[`weight_ih${suffix}`]!,
      wHh: self[`weight_hh${suffix}`]!,
      bIh: self[`bias_ih${suffix}`] ?? null,
      bHh: self[`bias_hh${suffix}`] ?? null,
    };
  }

  /** The Elman nonlinearity (only RNN overrides it). */
  protected get nonlinearityOf(): RnnNonlinearity {
    return 'tanh';
  }

  /**
   * Runs every layer and direction. `initial` holds one optional state per kind (h, or h and c)
   * of [L*D, B, H] (or unbatched [L*D, H]); returns the output and the final states.
   */
  protected run(x: Tensor, initial: (Tensor | undefined)[], names: string[]): [Tensor, Tensor[]] {
    const inputs = [x, ...initial.map((s) => s ?? null), ...this.allWeights.flat()];
    const attrs = {
      mode: this.mode,
      numLayers: this.numLayers,
      hiddenSize: this.hiddenSize,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
      bias: this.bias,
      nonlinearity: this.nonlinearityOf,
    };
    return composite('rnn', inputs, attrs, () => this.runSteps(x, initial, names));
  }

  private runSteps(
    x: Tensor,
    initial: (Tensor | undefined)[],
    names: string[],
  ): [Tensor, Tensor[]] {
    const name = this.constructor.name;
    if (x.ndim !== 2 && x.ndim !== 3)
      throw new ShapeError(`${name}: expected input to be 2-D or 3-D, got ${fmtShape(x.shape)}`);
    if (x.shape[x.ndim - 1] !== this.inputSize)
      throw new ShapeError(
        `${name}: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, expected inputSize ${this.inputSize}`,
      );
    const isBatched = x.ndim === 3;
    // Time-major [T, B, F] internally: one step is then a contiguous slab of the projections.
    let seq = isBatched ? (this.batchFirst ? x.transpose(0, 1) : x) : x.unsqueeze(1);
    const batch = seq.shape[1]!;
    const dirs = this.bidirectional ? 2 : 1;
    const expected = [this.numLayers * dirs, ...(isBatched ? [batch] : []), this.hiddenSize];
    const states = initial.map((s, kind) => {
      if (!s) return zeros([this.numLayers * dirs, batch, this.hiddenSize], { dtype: x.dtype });
      if (s.ndim !== expected.length || s.shape.some((d, i) => d !== expected[i]))
        throw new ShapeError(
          `${name}: ${names[kind]} has shape ${fmtShape(s.shape)}, expected ${fmtShape(expected)}`,
        );
      return isBatched ? s : s.unsqueeze(1);
    });
    const finals: Tensor[][] = states.map(() => []);
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let dir = 0; dir < dirs; dir++) {
        const idx = layer * dirs + dir;
        const [out, last] = this.direction(
          seq,
          this.weights(layer, dir),
          dir === 1,
          states.map((s) => s.select(0, idx)),
        );
        outs.push(out);
        for (const [kind, s] of last.entries()) finals[kind]!.push(s);
      }
      seq = dirs === 2 ? cat(outs, 2) : outs[0]!;
      if (this.training && this.dropout > 0 && layer < this.numLayers - 1)
        seq = dropout(seq, this.dropout, true);
    }
    const output = isBatched ? (this.batchFirst ? seq.transpose(0, 1).contiguous() : seq) : seq;
    const last = finals.map((f) => stack(f, 0));
    return isBatched ? [output, last] : [output.squeeze(1), last.map((s) => s.squeeze(1))];
  }

  /**
   * One direction of one layer over seq [T, B, F]. The input projections of all steps are one
   * matmul; each step then adds only h W_hh^T and the elementwise gate math.
   */
  private direction(
    seq: Tensor,
    w: LayerWeights,
    reverse: boolean,
    state: Tensor[],
  ): [Tensor, Tensor[]] {
    const [steps, batch, features] = seq.shape as [number, number, number];
    let xp = seq
      .reshape([steps * batch, features])
      .matmul(w.wIh.T)
      .reshape([steps, batch, w.wIh.shape[0]!]);
    // GRU keeps b_hh apart (n = tanh(.. + r * (h W_hn^T + b_hn))); the others fold both biases in.
    const gru = this.mode === 'GRU';
    if (w.bIh && w.bHh) xp = xp.add(gru ? w.bIh : w.bIh.add(w.bHh));
    const whhT = w.wHh.T;
    const hs = new Array<Tensor>(steps);
    let h = state[0]!;
    let c = state[1];
    for (let s = 0; s < steps; s++) {
      const t = reverse ? steps - 1 - s : s;
      const xt = xp.select(0, t);
      const hh = h.matmul(whhT);
      if (this.mode === 'LSTM') [h, c] = lstmGates(xt.add(hh), c!);
      else if (gru) h = gruGates(xt, w.bHh ? hh.add(w.bHh) : hh, h);
      else h = rnnActivate(xt.add(hh), this.nonlinearityOf);
      hs[t] = h;
    }
    return [stack(hs, 0), c ? [h, c] : [h]];
  }

  protected override extraRepr(): string {
    const extra = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) extra.push(`num_layers=${this.numLayers}`);
    if (!this.bias) extra.push('bias=False');
    if (this.batchFirst) extra.push('batch_first=True');
    if (this.dropout) extra.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extra.push('bidirectional=True');
    return extra.join(', ');
  }
}

/**
 * A multi-layer Elman RNN, as `torch.nn.RNN`: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T +
 * b_hh) (or relu). Input [T, B, in] ([B, T, in] with `batchFirst`) or unbatched [T, in];
 * `forward(x, h0?)` returns `[output, hN]` with output [T, B, D*H] and hN [L*D, B, H]
 * (D = 2 when bidirectional). Keys `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`,
 * `..._reverse`; all drawn from U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * const rnn = new k.nn.RNN(3, 8, { numLayers: 2, batchFirst: true });
 * const [out, hN] = rnn.forward(k.randn([4, 10, 3])); // out [4, 10, 8], hN [2, 4, 8]
 * ```
 */
export class RNN extends RNNBase<[Tensor, Tensor?], [Tensor, Tensor]> {
  readonly nonlinearity: RnnNonlinearity;

  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RNNOptions & { nonlinearity?: RnnNonlinearity } = {},
  ) {
    super('RNN', inputSize, hiddenSize, options);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ValueError(`RNN: unknown nonlinearity '${nl}', expected 'tanh' or 'relu'`);
    this.nonlinearity = nl;
  }

  protected override get nonlinearityOf(): RnnNonlinearity {
    return this.nonlinearity;
  }

  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, [h0], ['h0']);
    return [out, hN!];
  }
}

/**
 * A multi-layer LSTM, as `torch.nn.LSTM`, with PyTorch's gate order i, f, g, o:
 * c_t = f c_{t-1} + i g, h_t = o tanh(c_t). `forward(x, [h0, c0]?)` returns
 * `[output, [hN, cN]]`. Shapes, options and keys as `RNN` (`weight_ih_l0` is [4H, in]).
 * Not supported: `projSize`.
 *
 * @example
 * ```ts
 * const lstm = new k.nn.LSTM(1, 16, { batchFirst: true });
 * const [out, [hN, cN]] = lstm.forward(k.randn([8, 24, 1]));
 * const last = out.select(1, -1); // [8, 16], equal to hN[0]
 * ```
 */
export class LSTM extends RNNBase<
  [Tensor, (readonly [Tensor, Tensor])?],
  [Tensor, [Tensor, Tensor]]
> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, state?: readonly [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [out, [hN, cN]] = this.run(x, [state?.[0], state?.[1]], ['h0', 'c0']);
    return [out, [hN!, cN!]];
  }
}

/**
 * A multi-layer GRU, as `torch.nn.GRU`, with PyTorch's gate order r, z, n:
 * n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h_t = (1 - z) n + z h_{t-1}.
 * `forward(x, h0?)` returns `[output, hN]`. Shapes, options and keys as `RNN`
 * (`weight_ih_l0` is [3H, in]).
 *
 * @example
 * ```ts
 * const gru = new k.nn.GRU(4, 8, { bidirectional: true });
 * const [out, hN] = gru.forward(k.randn([5, 2, 4])); // out [5, 2, 16], hN [2, 2, 8]
 * ```
 */
export class GRU extends RNNBase<[Tensor, Tensor?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  forward(x: Tensor, h0?: Tensor): [Tensor, Tensor] {
    const [out, [hN]] = this.run(x, [h0], ['h0']);
    return [out, hN!];
  }
}
