import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { roundTrip, roundTrips } from './ort.js';

const { nn } = k;

after(() => {
  const worst = Math.max(...roundTrips.map((r) => r.diff));
  console.log(
    `# sequence layers: ${roundTrips.length} onnxruntime outputs vs kiln, max relative diff ${worst.toExponential(2)}`,
  );
});

type Forward = (...xs: k.Tensor[]) => unknown;

/** A module around a forward function over the given submodule. */
class Wrap extends nn.Module<k.Tensor[], unknown> {
  constructor(
    readonly inner: k.nn.Module,
    readonly fn: Forward,
  ) {
    super();
  }
  forward(...xs: k.Tensor[]): unknown {
    return this.fn(...xs);
  }
}

/** Exports traced at batch 2 (axis `batchAxis` of every input dynamic), then runs batches 2, 1, 4. */
async function check(
  name: string,
  model: k.nn.Module,
  make: (n: number) => k.Tensor[],
  batchAxes: readonly number[],
  tol = 1e-5,
): Promise<void> {
  k.manualSeed(3);
  const example = make(2);
  const inputNames = example.map((_, i) => `in${i}`);
  const dynamicAxes = Object.fromEntries(
    inputNames.map((n, i) => [n, { [batchAxes[i]!]: 'batch' }]),
  );
  await roundTrip(
    name,
    model.eval(),
    example,
    [2, 1, 4].map(make),
    { inputNames, dynamicAxes },
    tol,
  );
}

describe('onnx export of recurrent layers (gate reordering) matches kiln in onnxruntime', () => {
  const T = 5;
  const variants: [string, k.nn.RNNOptions & { nonlinearity?: 'tanh' | 'relu' }][] = [
    ['1 layer', {}],
    ['2 layers bidirectional', { numLayers: 2, bidirectional: true }],
    ['batchFirst without bias', { batchFirst: true, bias: false }],
    ['2 layers batchFirst bidirectional', { numLayers: 2, batchFirst: true, bidirectional: true }],
  ];
  for (const mode of ['LSTM', 'GRU', 'RNN'] as const) {
    for (const [label, options] of variants) {
      it(`${mode} ${label}: output and final states`, async () => {
        k.manualSeed(5);
        const layer =
          mode === 'LSTM'
            ? new nn.LSTM(3, 4, options)
            : mode === 'GRU'
              ? new nn.GRU(3, 4, options)
              : new nn.RNN(3, 4, options);
        const bf = options.batchFirst ?? false;
        const make = (n: number) => [k.randn(bf ? [n, T, 3] : [T, n, 3])];
        await check(
          `${mode} ${label}`,
          new Wrap(layer, (x) => (layer.forward as Forward)(x!)),
          make,
          [bf ? 0 : 1],
        );
      });
    }
    it(`${mode} with given initial state`, async () => {
      k.manualSeed(6);
      const opts = { numLayers: 2, bidirectional: true };
      const layer =
        mode === 'LSTM'
          ? new nn.LSTM(3, 4, opts)
          : mode === 'GRU'
            ? new nn.GRU(3, 4, opts)
            : new nn.RNN(3, 4, { ...opts, nonlinearity: 'relu' });
      const make = (n: number) =>
        mode === 'LSTM'
          ? [k.randn([T, n, 3]), k.randn([4, n, 4]), k.randn([4, n, 4])]
          : [k.randn([T, n, 3]), k.randn([4, n, 4])];
      const fn: Forward = (x, h, c) =>
        mode === 'LSTM'
          ? (layer as k.nn.LSTM).forward(x!, [h!, c!])
          : (layer as k.nn.GRU).forward(x!, h!);
      await check(
        `${mode} with state`,
        new Wrap(layer, fn),
        make,
        mode === 'LSTM' ? [1, 1, 1] : [1, 1],
      );
    });
  }
});

describe('onnx export of attention and transformer layers matches kiln in onnxruntime', () => {
  it('MultiheadAttention self-attention, sequence first, with weights', async () => {
    const mha = new nn.MultiheadAttention(8, 2);
    const fn: Forward = (x) => mha.forward(x!, x!, x!);
    await check('mha', new Wrap(mha, fn), (n) => [k.randn([5, n, 8])], [1]);
  });
  it('MultiheadAttention batchFirst, kdim/vdim, causal, no weights', async () => {
    const mha = new nn.MultiheadAttention(8, 4, { batchFirst: true, kdim: 6, vdim: 5 });
    const fn: Forward = (q, kk, v) =>
      mha.forward(q!, kk!, v!, { needWeights: false, isCausal: true, attnMask: causal(4, 3) })[0];
    await check(
      'mha kdim',
      new Wrap(mha, fn),
      (n) => [k.randn([n, 4, 8]), k.randn([n, 3, 6]), k.randn([n, 3, 5])],
      [0, 0, 0],
    );
  });
  it('MultiheadAttention with a key padding mask input', async () => {
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true });
    const fn: Forward = (x, pad) => mha.forward(x!, x!, x!, { keyPaddingMask: pad! })[0];
    const make = (n: number) => [
      k.randn([n, 4, 8]),
      k.arange(4).unsqueeze(0).expand([n, 4]).ge(3).contiguous(),
    ];
    await check('mha padding', new Wrap(mha, fn), make, [0, 0]);
  });
  for (const [label, options] of [
    ['post-norm relu', {}],
    ['pre-norm gelu batchFirst', { normFirst: true, activation: 'gelu', batchFirst: true }],
  ] as const) {
    it(`TransformerEncoder (2 layers, ${label}) with a final norm`, async () => {
      const layer = new nn.TransformerEncoderLayer(8, 2, {
        dimFeedforward: 16,
        dropout: 0.1,
        ...options,
      });
      const enc = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8) });
      const bf = 'batchFirst' in options;
      await check(`encoder ${label}`, enc, (n) => [k.randn(bf ? [n, 6, 8] : [6, n, 8])], [
        bf ? 0 : 1,
      ]);
    });
  }
  it('PositionalEncoding (sequence first and batch first)', async () => {
    const pe = new nn.PositionalEncoding(6, { maxLen: 20 });
    await check('pos', pe, (n) => [k.randn([7, n, 6])], [1]);
    const pe2 = new nn.PositionalEncoding(6, { maxLen: 20, batchFirst: true });
    await check('pos bf', pe2, (n) => [k.randn([n, 7, 6])], [0]);
  });
});

/** A float mask with -Infinity above the diagonal. */
function causal(l: number, s: number): k.Tensor {
  return k
    .zeros([l, s])
    .maskedFill(k.arange(s).unsqueeze(0).gt(k.arange(l).unsqueeze(1)), -Infinity);
}
