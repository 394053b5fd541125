// The fused training Conv2d + ReLU + MaxPool2d(2) (native/src/conv_pool_train.cc, ops/conv-pool.ts)
// against the js backend's three steps: pooled output and the gradients of sum(y * gout) for x,
// weight and bias, over the MNIST CNN's two layers, padding with odd convolution sizes (floor
// drops a row and a column), channels past a register block, a strided input view, no bias, a
// first layer (no dx), ties (the first maximum takes the gradient, as maxPool), a 5x5 kernel
// (whose weight gradient falls back to the unfused rule), 2 threads, second-order gradients and
// nn.Sequential. The reference path itself is checked by central differences in float64.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeBinding } from '../../src/backend/native/index.js';
import { CONV_POOL_PARAMS, type RawLayouts } from '../../src/backend/native/layouts.js';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import { conv2dReluPool } from '../../src/nn/functional-conv.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
const { binding, error } = loadNative();
const skip = binding?.conv ? false : `native fused convolution unavailable (${error})`;

interface Case {
  name: string;
  x: number[];
  w: number[];
  options?: k.F.ConvOptions;
  bias?: boolean;
  /** Whether x requires grad (default true). */
  dx?: boolean;
  /** Input as a view: narrowed out of a larger batch and transposed in (H, W). */
  view?: boolean;
  /** Zero weights and a bias of 1: every window ties. */
  ties?: boolean;
}

const CASES: Case[] = [
  { name: 'MNIST first layer (no dx)', x: [3, 1, 28, 28], w: [32, 1, 3, 3], dx: false },
  { name: 'MNIST second layer (11x11 pooled to 5x5)', x: [2, 32, 13, 13], w: [64, 32, 3, 3] },
  { name: 'padding 1, 20 channels', x: [2, 5, 9, 12], w: [20, 5, 3, 3], options: { padding: 1 } },
  { name: 'no bias', x: [2, 3, 10, 14], w: [7, 3, 3, 3], bias: false },
  { name: 'narrowed, transposed input view', x: [2, 4, 12, 9], w: [9, 4, 3, 3], view: true },
  {
    name: 'ties: the first maximum takes the gradient',
    x: [2, 3, 8, 20],
    w: [5, 3, 3, 3],
    ties: true,
  },
  { name: '5x5 kernel (weight gradient unfused)', x: [2, 3, 12, 14], w: [6, 3, 5, 5] },
];

/** The pooled output and the gradients of sum(y * gout) on the active backend. */
function run(c: Case, seed: number): (k.Tensor | null)[] {
  k.manualSeed(seed);
  const xs = c.view ? [c.x[0]! + 2, c.x[1]!, c.x[3]!, c.x[2]!] : c.x;
  const leaf = k.randn(xs);
  if (c.dx !== false) leaf.requiresGrad_();
  const w = (c.ties ? k.zeros(c.w) : k.randn(c.w).mul(0.5)).requiresGrad_();
  const b =
    c.bias === false ? null : (c.ties ? k.ones([c.w[0]!]) : k.randn([c.w[0]!])).requiresGrad_();
  const x = c.view ? leaf.narrow(0, 1, c.x[0]!).transpose(2, 3) : leaf;
  const y = conv2dReluPool(x, w, b, c.options);
  y.mul(k.randn(y.shape)).sum().backward();
  return [y.detach(), leaf.grad, w.grad, b?.grad ?? null];
}

function compare(c: Case): void {
  k.setBackend('js');
  const ref = run(c, 3);
  k.setBackend('native');
  const got = run(c, 3);
  for (const [i, g] of got.entries()) {
    if (ref[i] === null) assert.equal(g, null);
    else assertClose(g!, ref[i]!, { atol: 2e-4, rtol: 2e-4 });
  }
}

describe('native fused training Conv2d + ReLU + MaxPool2d against the js steps', { skip }, () => {
  after(() => {
    k.setBackend('native');
    nativeBinding()?.setNumThreads(1);
  });

  it('the reference path passes central differences in float64', () => {
    k.setBackend('js');
    k.manualSeed(2);
    const x = k.randn([2, 2, 7, 8], { dtype: 'float64' }).requiresGrad_();
    const w = k.randn([3, 2, 3, 3], { dtype: 'float64' }).requiresGrad_();
    const b = k.randn([3], { dtype: 'float64' }).requiresGrad_();
    gradcheck((xi, wi, bi) => conv2dReluPool(xi, wi, bi, { padding: 1 }), [x, w, b]);
  });

  it('records one node where the kernel takes the call', () => {
    k.setBackend('native');
    k.manualSeed(1);
    const w = k.randn([8, 2, 3, 3]).requiresGrad_();
    const y = conv2dReluPool(k.randn([2, 2, 10, 10]), w, null);
    assert.equal(y.gradFn?.name, 'Conv2dReluPoolBackward');
    assert.deepEqual(y.shape, [2, 8, 4, 4]);
    // float64 and strided convolutions run the steps unfused.
    const w64 = k.randn([8, 2, 3, 3], { dtype: 'float64' }).requiresGrad_();
    const y64 = conv2dReluPool(k.randn([2, 2, 10, 10], { dtype: 'float64' }), w64, null);
    assert.equal(y64.gradFn?.name, 'MaxPoolBackward');
    const ys = conv2dReluPool(k.randn([2, 2, 12, 12]), w, null, { stride: 2 });
    assert.equal(ys.gradFn?.name, 'MaxPoolBackward');
  });

  for (const c of CASES) it(c.name, () => compare(c));

  it('splits samples across 2 threads with the same results', () => {
    const c: Case = { name: 'two threads', x: [6, 16, 14, 14], w: [40, 16, 3, 3] };
    k.setBackend('native');
    nativeBinding()!.setNumThreads(1);
    const one = run(c, 8);
    nativeBinding()!.setNumThreads(2);
    const two = run(c, 8);
    for (const [i, g] of two.entries()) assertClose(g!, one[i]!, { atol: 1e-4, rtol: 1e-5 });
    compare(c);
    nativeBinding()!.setNumThreads(1);
  });

  it('second-order gradients match the js backend (the rule falls back to the unfused steps)', () => {
    const second = (): k.Tensor[] => {
      k.manualSeed(5);
      const x = k.randn([2, 2, 8, 8]).requiresGrad_();
      const w = k.randn([3, 2, 3, 3]).requiresGrad_();
      conv2dReluPool(x, w, null, { padding: 1 })
        .square()
        .sum()
        .backward(undefined, { createGraph: true });
      const gx = x.grad!;
      x.grad = null;
      w.grad = null;
      gx.square().sum().backward();
      return [x.grad!, w.grad!];
    };
    k.setBackend('js');
    const ref = second();
    k.setBackend('native');
    const got = second();
    for (const [i, g] of got.entries()) assertClose(g, ref[i]!, { atol: 1e-4, rtol: 1e-4 });
  });

  it('nn.Sequential trains Conv2d + ReLU + MaxPool2d as one node with the js gradients', () => {
    const step = (): k.Tensor[] => {
      k.manualSeed(6);
      const seq = new k.nn.Sequential(
        new k.nn.Conv2d(1, 8, 3),
        new k.nn.ReLU(),
        new k.nn.MaxPool2d(2),
        new k.nn.Flatten(),
      );
      const y = seq.forward(k.randn([3, 1, 12, 12]));
      if (k.getBackend() === 'native') assert.equal(y.gradFn?.name, 'ReshapeBackward');
      y.mul(k.randn(y.shape)).sum().backward();
      return [y.detach(), ...seq.parameters().map((p) => p.grad!)];
    };
    k.setBackend('js');
    const ref = step();
    k.setBackend('native');
    const got = step();
    for (const [i, g] of got.entries()) assertClose(g, ref[i]!, { atol: 1e-4, rtol: 1e-4 });
  });

  it('the build reads the parameter slots the wrapper writes', () => {
    const raw = createRequire(import.meta.url)(
      process.env.KILN_NATIVE_PATH || join(ROOT, 'build', 'Release', 'kiln_native.node'),
    ) as RawLayouts;
    assert.deepEqual(raw.convPoolParams(), CONV_POOL_PARAMS);
  });

  it('rejects views that reach outside their storage', () => {
    const conv = binding?.conv;
    if (!conv) throw new Error('native fused convolution unavailable');
    const x = k.zeros([1, 1, 8, 8]);
    const w = k.zeros([1, 1, 3, 3]);
    const out = k.zeros([1, 1, 3, 3]);
    const idx = k.zeros([1, 1, 3, 3], { dtype: 'int32' });
    const window = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
    const shifted = { ...out, storage: out.storage, shape: out.shape, strides: out.strides };
    const late = { ...shifted, offset: 1, dtype: out.dtype };
    assert.throws(
      () => conv.forwardReluPoolTrain(x, w, null, window, [6, 6], late, idx),
      RangeError,
    );
    const grads = { dx: null, dw: w, db: null };
    assert.throws(
      () => conv.backwardReluPool(late, out, idx, x, w, window, [6, 6], grads),
      RangeError,
    );
  });
});
