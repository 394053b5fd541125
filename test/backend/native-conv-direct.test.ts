// The direct float32 convolution kernels (native/src/conv_direct*.cc: stride 1, one group, output
// rows of at least 6, AVX2) against the js backend's im2col + matmul composite: output and the
// gradients of sum(y * gout), with and without the fused ReLU, over channel counts past a
// register block, padding (symmetric and 'same'), a strided input view, kernels other than 3x3,
// few taps (the row-vector tile), rows that need the flat layout, and the split across 2
// threads. On a machine or build without the kernels the same calls run the im2col path, so the
// comparisons hold either way.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { nativeBinding } from '../../src/backend/native/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import { conv2dRelu, conv2dReluPool } from '../../src/nn/functional-conv.js';
import { assertClose } from '../helpers/gradcheck.js';

const { binding, error } = loadNative();
const skip = binding?.conv ? false : `native fused convolution unavailable (${error})`;

interface Case {
  name: string;
  x: number[];
  w: number[];
  options: k.F.ConvOptions;
  /** Input as the transpose of a [N, C, W, H] tensor (a view with column stride H). */
  transposed?: boolean;
}

const CASES: Case[] = [
  { name: '3x3, channels past a block of 16', x: [3, 18, 9, 10], w: [20, 18, 3, 3], options: {} },
  { name: 'MNIST second layer', x: [2, 32, 13, 13], w: [64, 32, 3, 3], options: {} },
  { name: 'padding 1', x: [2, 5, 7, 11], w: [33, 5, 3, 3], options: { padding: 1 } },
  { name: "5x3 kernel, 'same'", x: [2, 3, 8, 12], w: [7, 3, 5, 3], options: { padding: 'same' } },
  {
    name: '5x5 kernel (input gradient only direct)',
    x: [2, 3, 11, 10],
    w: [9, 3, 5, 5],
    options: {},
  },
  { name: 'one input channel (few taps)', x: [2, 1, 28, 28], w: [10, 1, 3, 3], options: {} },
  {
    name: 'three channels, padding 1, rows of 20 (few taps)',
    x: [2, 3, 9, 20],
    w: [7, 3, 3, 3],
    options: { padding: 1 },
  },
  { name: 'rows of 7 (the flat layout)', x: [2, 3, 9, 9], w: [8, 3, 3, 3], options: {} },
  { name: 'one output row', x: [2, 4, 3, 40], w: [5, 4, 3, 3], options: {} },
  {
    name: 'transposed input view',
    x: [2, 6, 9, 8],
    w: [17, 6, 3, 3],
    options: { padding: 1 },
    transposed: true,
  },
];

/** y and the gradients of sum(y * gout) for x, weight and bias on the active backend. */
function run(c: Case, relu: boolean, seed: number): k.Tensor[] {
  k.manualSeed(seed);
  const xs = c.transposed ? [c.x[0]!, c.x[1]!, c.x[3]!, c.x[2]!] : c.x;
  const xLeaf = k.randn(xs).requiresGrad_();
  const w = k.randn(c.w).requiresGrad_();
  const b = k.randn([c.w[0]!]).requiresGrad_();
  const x = c.transposed ? xLeaf.transpose(2, 3) : xLeaf;
  const y = relu ? conv2dRelu(x, w, b, c.options) : k.F.conv2d(x, w, b, c.options);
  y.mul(k.randn(y.shape)).sum().backward();
  return [y.detach(), xLeaf.grad!, w.grad!, b.grad!];
}

function compare(c: Case, relu: boolean): void {
  k.setBackend('js');
  const ref = run(c, relu, 3);
  k.setBackend('native');
  const got = run(c, relu, 3);
  // float32 sums of up to a few hundred products in another order.
  for (const [i, g] of got.entries()) assertClose(g, ref[i]!, { atol: 2e-4, rtol: 2e-4 });
}

describe('native direct float32 convolution against the js composite', { skip }, () => {
  after(() => {
    k.setBackend('native');
    nativeBinding()?.setNumThreads(1);
  });
  for (const c of CASES) {
    it(c.name, () => compare(c, false));
    it(`${c.name} with the fused ReLU`, () => compare(c, true));
  }

  it('splits samples across 2 threads with the same results', () => {
    // Enough work per task to take the split (KILN_CONV_PAR_MIN, 2^20 multiply-adds).
    const c: Case = { name: 'two threads', x: [6, 16, 14, 14], w: [40, 16, 3, 3], options: {} };
    k.setBackend('native');
    nativeBinding()!.setNumThreads(1);
    const one = run(c, true, 8);
    nativeBinding()!.setNumThreads(2);
    const two = run(c, true, 8);
    // The output and dx are per sample; dw and db add the two tasks' partial sums.
    for (const [i, g] of two.entries()) assertClose(g, one[i]!, { atol: 1e-4, rtol: 1e-5 });
    compare(c, true);
    nativeBinding()!.setNumThreads(1);
  });

  it('inference: Conv2d + ReLU + MaxPool2d(2) in one kernel matches the three steps on js', () => {
    const shapes: [number[], number[], k.F.ConvOptions][] = [
      [[3, 1, 28, 28], [32, 1, 3, 3], {}],
      [[2, 32, 13, 13], [64, 32, 3, 3], {}],
      [[2, 5, 9, 12], [20, 5, 3, 3], { padding: 1 }], // odd rows: floor drops the last
      [[2, 3, 10, 10], [4, 3, 3, 3], { stride: 2 }], // not taken: the two steps run
    ];
    for (const [xs, ws, options] of shapes) {
      k.manualSeed(4);
      const x = k.randn(xs);
      const w = k.randn(ws);
      const b = k.randn([ws[0]!]);
      k.setBackend('js');
      const ref = k.F.maxPool2d(k.F.conv2d(x, w, b, options).relu(), 2);
      k.setBackend('native');
      const got = k.noGrad(() => conv2dReluPool(x, w, b, options));
      assertClose(got, ref, { atol: 1e-4, rtol: 1e-4 });
    }
  });

  it('nn.Sequential runs Conv2d + ReLU + MaxPool2d fused in inference and with grad', () => {
    k.setBackend('native');
    k.manualSeed(6);
    const seq = new k.nn.Sequential(
      new k.nn.Conv2d(2, 8, 3),
      new k.nn.ReLU(),
      new k.nn.MaxPool2d(2),
      new k.nn.Flatten(),
    );
    const x = k.randn([2, 2, 11, 11]);
    const conv = seq.at(0) as k.nn.Conv2d;
    const ref = k.F.maxPool2d(k.F.conv2d(x, conv.weight, conv.bias).relu(), 2).flatten(1);
    const inference = k.noGrad(() => seq.forward(x));
    assert.equal(inference.gradFn, null);
    assertClose(inference, ref, { atol: 1e-5, rtol: 1e-5 });
    // With grad the training kernel records one node, so the parameters get gradients.
    const trained = seq.forward(x);
    assertClose(trained, ref, { atol: 1e-5, rtol: 1e-5 });
    trained.sum().backward();
    assert.ok(conv.weight.grad !== null);
    // A MaxPool2d with another window is not fused (3x3 here).
    const other = new k.nn.Sequential(conv, new k.nn.ReLU(), new k.nn.MaxPool2d(3));
    const y3 = k.noGrad(() => other.forward(x));
    assertClose(y3, k.F.maxPool2d(k.F.conv2d(x, conv.weight, conv.bias).relu(), 3), {
      atol: 1e-5,
      rtol: 1e-5,
    });
  });
});
