/**
 * Reads test/fixtures/torch-seq.json (written by make_seq_refs.py with PyTorch 1.13) for the
 * recurrent and attention tests, and loads its state dicts into kiln modules by PyTorch's keys.
 *
 * @example
 * ```ts
 * const refs = loadSeqRefs();
 * loadState(lstm, refs.recurrent[0]!.state); // strict: proves the keys
 * ```
 */
import { readFileSync } from 'node:fs';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';

/** A tensor as the fixture stores it (bool masks as 0/1 with `bool: true`). */
export interface SeqRef {
  shape: number[];
  data: number[];
  bool?: boolean;
}

/** What every case records: inputs, outputs, upstream gradients and input gradients. */
export interface SeqCase {
  name?: string;
  state: Record<string, SeqRef>;
  inputs: SeqRef[];
  outputs: SeqRef[];
  gradOutputs: SeqRef[];
  inputGrads: SeqRef[];
  paramGrads?: Record<string, SeqRef> | null;
}

/** The fixture file's content. */
export interface SeqRefs {
  torch: string;
  recurrent: (SeqCase & {
    mode: 'RNN' | 'LSTM' | 'GRU';
    options: k.nn.RNNOptions & { nonlinearity?: 'tanh' | 'relu' };
  })[];
  cells: (SeqCase & { mode: 'RNNCell' | 'LSTMCell' | 'GRUCell' })[];
  mha: (SeqCase & {
    options: { batchFirst: boolean; kdim: number; vdim: number; bias: boolean };
    selfAttention: boolean;
    isCausal: boolean;
    averageAttnWeights: boolean;
    keyPaddingMask?: SeqRef;
    attnMask?: SeqRef;
  })[];
  sdpa: (SeqCase & { isCausal: boolean; scale: number | null; attnMask?: SeqRef })[];
  encoder: (SeqCase & {
    options: {
      dimFeedforward: number;
      activation: 'relu' | 'gelu';
      normFirst: boolean;
      batchFirst: boolean;
    };
    srcKeyPaddingMask?: SeqRef;
    srcMask?: SeqRef;
  })[];
  encoderStack: SeqCase & { keys: string[]; causal: boolean };
  positional: { dModel: number; maxLen: number; pe: SeqRef };
}

let cached: SeqRefs | undefined;

/** The parsed fixture (read once). */
export function loadSeqRefs(): SeqRefs {
  cached ??= JSON.parse(
    readFileSync(new URL('../fixtures/torch-seq.json', import.meta.url), 'utf8'),
  ) as SeqRefs;
  return cached;
}

/** A fixture tensor as a kiln tensor: float64, or bool for masks. */
export function fromSeq(ref: SeqRef): Tensor {
  if (ref.bool) return k.tensor(ref.data, { dtype: 'int32', shape: ref.shape }).ne(0);
  return k.tensor(ref.data, { dtype: 'float64', shape: ref.shape });
}

/** Float64 leaves requiring grad, one per recorded input. */
export function inputsOf(c: SeqCase): Tensor[] {
  return c.inputs.map((r) => fromSeq(r).requiresGrad_());
}

/** Loads the recorded state dict strictly (every PyTorch key must exist in the module). */
export function loadState(m: k.nn.Module, state: Record<string, SeqRef>): void {
  const sd: Record<string, Tensor> = {};
  for (const [key, ref] of Object.entries(state)) sd[key] = fromSeq(ref);
  m.loadStateDict(sd);
}

/** Float64 tolerance of the comparisons (the fixture keeps 13 significant digits). */
export const tight = { atol: 1e-10, rtol: 1e-9 };

/**
 * Compares outputs, then backpropagates the recorded upstream gradients and compares the
 * gradients of the inputs (and of the parameters when recorded). Returns the largest absolute
 * difference seen, for the report.
 */
export function checkCase(
  c: SeqCase,
  outputs: Tensor[],
  inputs: Tensor[],
  module?: k.nn.Module,
): number {
  let maxDiff = 0;
  const track = (a: Tensor, ref: SeqRef) => {
    const e = fromSeq(ref);
    assertClose(a, e, tight);
    const d = a.sub(e).abs().amax().item();
    if (Number.isFinite(d)) maxDiff = Math.max(maxDiff, d);
  };
  outputs.forEach((o, i) => {
    track(o, c.outputs[i]!);
  });
  // Only the outputs with a recorded upstream gradient (MHA's weights have none) enter the loss.
  const terms = c.gradOutputs.map((g, i) => outputs[i]!.mul(fromSeq(g)).sum());
  terms.reduce((a, b) => a.add(b)).backward();
  inputs.forEach((x, i) => {
    track(x.grad!, c.inputGrads[i]!);
  });
  if (c.paramGrads && module) {
    const params = new Map(module.namedParameters());
    for (const [key, ref] of Object.entries(c.paramGrads)) {
      const grad = params.get(key)?.grad;
      if (!grad) throw new Error(`no gradient for parameter '${key}'`);
      track(grad, ref);
    }
  }
  return maxDiff;
}
