import { empty } from '../../ops/core.js';
import { zeros } from '../../ops/creation.js';
import type { DType } from '../../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { uniform } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** The nonlinearity of a plain (Elman) RNN. */
export type RnnNonlinearity = 'tanh' | 'relu';

/**
 * One step of an Elman RNN from its pre-activation `x W_ih^T + b_ih + h W_hh^T + b_hh`.
 * @internal
 */
export function rnnActivate(pre: Tensor, nonlinearity: RnnNonlinearity): Tensor {
  return nonlinearity === 'tanh' ? pre.tanh() : pre.relu();
}

/**
 * One LSTM step from the summed gate pre-activations [B, 4H] (PyTorch's order i, f, g, o) and
 * the previous cell state; returns [h', c']. One sigmoid over all four gates (g's part is
 * unused) costs less than three separate sigmoid ops on small tensors, where the per-op overhead
 * dominates.
 * @internal
 */
export function lstmGates(gates: Tensor, c: Tensor): [Tensor, Tensor] {
  const h = gates.shape[gates.ndim - 1]! / 4;
  const d = gates.ndim - 1;
  const s = gates.sigmoid();
  const i = s.narrow(d, 0, h);
  const f = s.narrow(d, h, h);
  const o = s.narrow(d, 3 * h, h);
  const g = gates.narrow(d, 2 * h, h).tanh();
  const cNext = f.mul(c).add(i.mul(g));
  return [o.mul(cNext.tanh()), cNext];
}

/**
 * One GRU step (gate order r, z, n) from the input part `gi = x W_ih^T + b_ih` and the hidden
 * part `gh = h W_hh^T + b_hh` (kept apart because n = tanh(gi_n + r * gh_n)); returns h'. Uses
 * h' = n + z (h - n), which equals PyTorch's (1 - z) n + z h with one op fewer.
 * @internal
 */
export function gruGates(gi: Tensor, gh: Tensor, hPrev: Tensor): Tensor {
  const h = gi.shape[gi.ndim - 1]! / 3;
  const d = gi.ndim - 1;
  const rz = gi
    .narrow(d, 0, 2 * h)
    .add(gh.narrow(d, 0, 2 * h))
    .sigmoid();
  const r = rz.narrow(d, 0, h);
  const z = rz.narrow(d, h, h);
  const n = gi
    .narrow(d, 2 * h, h)
    .add(r.mul(gh.narrow(d, 2 * h, h)))
    .tanh();
  return n.add(z.mul(hPrev.sub(n)));
}

/** Options shared by `RNNCell`, `LSTMCell` and `GRUCell`. */
export interface RNNCellOptions {
  /** Learn `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Parameter dtype (float32 by default). */
  dtype?: DType;
  /** The generator for the initial values (the default generator otherwise). */
  generator?: Generator;
}

/** Parameters and checks shared by the three cells. */
abstract class CellBase<I extends unknown[], O> extends Module<I, O> {
  weightIh: Parameter;
  weightHh: Parameter;
  biasIh: Parameter | null;
  biasHh: Parameter | null;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    gates: number,
    options: RNNCellOptions,
  ) {
    super();
    const name = this.constructor.name;
    for (const [what, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ValueError(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    const dtype = options.dtype ?? 'float32';
    const g = gates * hiddenSize;
    this.weightIh = new Parameter(empty([g, inputSize], dtype));
    this.weightHh = new Parameter(empty([g, hiddenSize], dtype));
    const bias = options.bias ?? true;
    this.biasIh = bias ? new Parameter(empty([g], dtype)) : null;
    this.biasHh = bias ? new Parameter(empty([g], dtype)) : null;
    this.setKeyName('weightIh', 'weight_ih');
    this.setKeyName('weightHh', 'weight_hh');
    this.setKeyName('biasIh', 'bias_ih');
    this.setKeyName('biasHh', 'bias_hh');
    this.resetParameters(options.generator);
  }

  /** Draws every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch. */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const p of this.parameters()) uniform(p, { a: -bound, b: bound, generator });
  }

  /** Checks x ([B, in] or unbatched [in]) and returns it as [B, in] with the batch flag. */
  protected batched(x: Tensor): [Tensor, boolean] {
    const name = this.constructor.name;
    if (x.ndim !== 1 && x.ndim !== 2)
      throw new ShapeError(`${name}: expected input to be 1-D or 2-D, got ${fmtShape(x.shape)}`);
    if (x.shape[x.ndim - 1] !== this.inputSize)
      throw new ShapeError(
        `${name}: input ${fmtShape(x.shape)} has ${x.shape[x.ndim - 1]} features, expected inputSize ${this.inputSize}`,
      );
    return x.ndim === 1 ? [x.unsqueeze(0), false] : [x, true];
  }

  /** A state of [B, hidden] (zeros when absent), checked against the batch. */
  protected state(h: Tensor | undefined, x: Tensor, isBatched: boolean, what: string): Tensor {
    const b = x.shape[0]!;
    if (!h) return zeros([b, this.hiddenSize], { dtype: x.dtype });
    const expected = isBatched ? [b, this.hiddenSize] : [this.hiddenSize];
    if (h.ndim !== expected.length || h.shape.some((d, i) => d !== expected[i]))
      throw new ShapeError(
        `${this.constructor.name}: ${what} has shape ${fmtShape(h.shape)}, expected ${fmtShape(expected)}`,
      );
    return isBatched ? h : h.unsqueeze(0);
  }

  /** x W_ih^T + b_ih and h W_hh^T + b_hh. */
  protected projections(x: Tensor, h: Tensor): [Tensor, Tensor] {
    let gi = x.matmul(this.weightIh.T);
    let gh = h.matmul(this.weightHh.T);
    if (this.biasIh) gi = gi.add(this.biasIh);
    if (this.biasHh) gh = gh.add(this.biasHh);
    return [gi, gh];
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.biasIh ? '' : ', bias=False'}`;
  }
}

/**
 * One step of an Elman RNN, as `torch.nn.RNNCell`: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
 * (or relu). Input [B, inputSize] or unbatched [inputSize]; `h` defaults to zeros. Keys
 * `weight_ih` [H, in], `weight_hh` [H, H], `bias_ih`, `bias_hh`; all drawn from
 * U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * const cell = new k.nn.RNNCell(3, 5);
 * let h = cell.forward(k.randn([2, 3])); // [2, 5]
 * h = cell.forward(k.randn([2, 3]), h);
 * ```
 */
export class RNNCell extends CellBase<[Tensor, Tensor?], Tensor> {
  readonly nonlinearity: RnnNonlinearity;

  constructor(
    inputSize: number,
    hiddenSize: number,
    options: RNNCellOptions & { nonlinearity?: RnnNonlinearity } = {},
  ) {
    super(inputSize, hiddenSize, 1, options);
    const nl = options.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ValueError(`RNNCell: unknown nonlinearity '${nl}', expected 'tanh' or 'relu'`);
    this.nonlinearity = nl;
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const [xb, isBatched] = this.batched(x);
    const [gi, gh] = this.projections(xb, this.state(h, xb, isBatched, 'hx'));
    const out = rnnActivate(gi.add(gh), this.nonlinearity);
    return isBatched ? out : out.squeeze(0);
  }
}

/**
 * One LSTM step, as `torch.nn.LSTMCell`: gates i, f, g, o (PyTorch's order) from
 * x W_ih^T + b_ih + h W_hh^T + b_hh; c' = f c + i g, h' = o tanh(c'). `forward(x, [h, c]?)`
 * returns `[h', c']`. Keys `weight_ih` [4H, in], `weight_hh` [4H, H], `bias_ih`, `bias_hh`.
 *
 * @example
 * ```ts
 * const cell = new k.nn.LSTMCell(3, 5);
 * const [h, c] = cell.forward(k.randn([2, 3]));
 * cell.forward(k.randn([2, 3]), [h, c]);
 * ```
 */
export class LSTMCell extends CellBase<[Tensor, (readonly [Tensor, Tensor])?], [Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
  }

  forward(x: Tensor, state?: readonly [Tensor, Tensor]): [Tensor, Tensor] {
    const [xb, isBatched] = this.batched(x);
    const h = this.state(state?.[0], xb, isBatched, 'hx');
    const c = this.state(state?.[1], xb, isBatched, 'cx');
    const [gi, gh] = this.projections(xb, h);
    const [hNext, cNext] = lstmGates(gi.add(gh), c);
    return isBatched ? [hNext, cNext] : [hNext.squeeze(0), cNext.squeeze(0)];
  }
}

/**
 * One GRU step, as `torch.nn.GRUCell`: gates r, z, n (PyTorch's order); r and z are sigmoids of
 * the summed projections, n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h.
 * Keys `weight_ih` [3H, in], `weight_hh` [3H, H], `bias_ih`, `bias_hh`.
 *
 * @example
 * ```ts
 * const cell = new k.nn.GRUCell(3, 5);
 * const h = cell.forward(k.randn([2, 3])); // [2, 5]
 * ```
 */
export class GRUCell extends CellBase<[Tensor, Tensor?], Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const [xb, isBatched] = this.batched(x);
    const hb = this.state(h, xb, isBatched, 'hx');
    const [gi, gh] = this.projections(xb, hb);
    const out = gruGates(gi, gh, hb);
    return isBatched ? out : out.squeeze(0);
  }
}
