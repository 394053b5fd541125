// The native fused convolution (native/src/conv.cc via src/ops/conv.ts) against the js backend's
// im2col + matmul composite: outputs and the gradients of sum(y * gout) for x, weight and bias,
// over odd sizes, strides, padding, dilation, groups (depthwise included), 1x1 kernels, strided
// input views, conv1d, float32 and float64; the split across 2 threads; and second-order
// gradients, which the rule computes with the differentiable composite.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { nativeBinding } from '../../src/backend/native/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import { conv2dRelu } from '../../src/nn/functional-conv.js';
import { assertClose } from '../helpers/gradcheck.js';

const { binding, error } = loadNative();
const skip = binding?.conv ? false : `native fused convolution unavailable (${error})`;

interface Case {
  name: string;
  x: number[];
  w: number[];
  bias: boolean;
  options: k.F.ConvOptions;
  /** Input as a non-contiguous view: the transpose of a [N, C, W, H] tensor. */
  transposed?: boolean;
}

const CASES: Case[] = [
  { name: 'MNIST first layer', x: [3, 1, 28, 28], w: [8, 1, 3, 3], bias: true, options: {} },
  {
    name: 'odd sizes, padding',
    x: [2, 3, 7, 5],
    w: [5, 3, 3, 2],
    bias: true,
    options: { padding: [1, 2] },
  },
  {
    name: 'stride 2, dilation 2',
    x: [2, 4, 11, 9],
    w: [6, 4, 3, 3],
    bias: false,
    options: { stride: 2, dilation: 2, padding: 1 },
  },
  {
    name: 'stride pair, dilation pair',
    x: [1, 2, 9, 10],
    w: [3, 2, 2, 3],
    bias: true,
    options: { stride: [2, 3], dilation: [2, 1] },
  },
  {
    name: 'groups 2',
    x: [2, 4, 6, 6],
    w: [6, 2, 3, 3],
    bias: true,
    options: { groups: 2, padding: 1 },
  },
  {
    name: 'depthwise',
    x: [2, 3, 5, 5],
    w: [3, 1, 3, 3],
    bias: false,
    options: { groups: 3, padding: 1 },
  },
  { name: '1x1', x: [2, 5, 4, 3], w: [7, 5, 1, 1], bias: true, options: {} },
  {
    name: "'same', even kernel",
    x: [1, 2, 6, 7],
    w: [4, 2, 2, 4],
    bias: true,
    options: { padding: 'same' },
  },
  {
    name: 'kernel wider than the padded image',
    x: [1, 1, 2, 2],
    w: [2, 1, 3, 3],
    bias: true,
    options: { padding: 1, stride: 3 },
  },
  {
    name: 'transposed input view',
    x: [2, 3, 6, 8],
    w: [4, 3, 3, 3],
    bias: true,
    options: { padding: 1 },
    transposed: true,
  },
];

/** y and the gradients of sum(y * gout) on the active backend, float64 leaves from `seed`. */
function run(
  c: Case,
  dtype: k.DType,
  seed: number,
): { y: k.Tensor; grads: k.Tensor[]; op: string } {
  k.manualSeed(seed);
  const xs = c.transposed ? [c.x[0]!, c.x[1]!, c.x[3]!, c.x[2]!] : c.x;
  const xLeaf = k.randn(xs, { dtype }).requiresGrad_();
  const w = k.randn(c.w, { dtype }).requiresGrad_();
  const b = c.bias ? k.randn([c.w[0]!], { dtype }).requiresGrad_() : null;
  const x = c.transposed ? xLeaf.transpose(2, 3) : xLeaf;
  const y = k.F.conv2d(x, w, b, c.options);
  const gout = k.randn(y.shape, { dtype });
  const op = y.gradFn?.op ?? '';
  y.mul(gout).sum().backward();
  const grads = [xLeaf.grad!, w.grad!, ...(b ? [b.grad!] : [])];
  return { y: y.detach(), grads, op };
}

function compare(c: Case, dtype: k.DType): void {
  const tol = dtype === 'float64' ? { atol: 1e-10, rtol: 1e-10 } : { atol: 1e-4, rtol: 1e-4 };
  k.setBackend('js');
  const ref = run(c, dtype, 7);
  k.setBackend('native');
  const got = run(c, dtype, 7);
  assert.equal(got.op, 'conv2d', 'the native backend runs the fused primitive');
  assertClose(got.y, ref.y, tol);
  for (const [i, g] of got.grads.entries()) assertClose(g, ref.grads[i]!, tol);
}

describe('native fused conv2d against the js composite', { skip }, () => {
  after(() => {
    k.setBackend('native');
    nativeBinding()?.setNumThreads(1);
  });
  for (const c of CASES) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.name} (${dtype})`, () => compare(c, dtype));
    }
  }

  for (const c of CASES.slice(0, 6)) {
    it(`${c.name} with the fused ReLU (float64)`, () => {
      const both = (backend: 'js' | 'native') => {
        k.setBackend(backend);
        k.manualSeed(9);
        const x = k.randn(c.x, { dtype: 'float64' }).requiresGrad_();
        const w = k.randn(c.w, { dtype: 'float64' }).requiresGrad_();
        const b = k.randn([c.w[0]!], { dtype: 'float64' }).requiresGrad_();
        const y = conv2dRelu(x, w, b, c.options);
        const op = y.gradFn?.op;
        y.mul(k.randn(y.shape, { dtype: 'float64' }))
          .sum()
          .backward();
        return { y: y.detach(), grads: [x.grad!, w.grad!, b.grad!], op };
      };
      const ref = both('js');
      const got = both('native');
      assert.equal(ref.op, 'relu');
      assert.equal(got.op, 'conv2d');
      assertClose(got.y, ref.y, { atol: 1e-10, rtol: 1e-10 });
      for (const [i, g] of got.grads.entries())
        assertClose(g, ref.grads[i]!, { atol: 1e-10, rtol: 1e-10 });
    });
  }

  it('nn.Sequential fuses Conv2d + ReLU, and not a subclassed ReLU', () => {
    k.setBackend('native');
    k.manualSeed(2);
    class Shifted extends k.nn.ReLU {
      override forward(x: k.Tensor): k.Tensor {
        return x.relu().add(1);
      }
    }
    const conv = new k.nn.Conv2d(2, 3, 3);
    const x = k.randn([2, 2, 6, 6]);
    const fused = new k.nn.Sequential(conv, new k.nn.ReLU()).forward(x);
    assert.equal(fused.gradFn?.op, 'conv2d');
    assertClose(fused, k.F.conv2d(x, conv.weight, conv.bias).relu(), { atol: 1e-6, rtol: 1e-6 });
    const plain = new k.nn.Sequential(conv, new Shifted()).forward(x);
    assertClose(plain, k.F.conv2d(x, conv.weight, conv.bias).relu().add(1), {
      atol: 1e-6,
      rtol: 1e-6,
    });
  });

  it('conv1d runs the fused kernel (H = 1)', () => {
    for (const backend of ['js', 'native'] as const) k.setBackend(backend);
    k.manualSeed(3);
    const x = k.randn([2, 3, 17], { dtype: 'float64' });
    const w = k.randn([4, 3, 5], { dtype: 'float64' });
    const opts = { stride: 2, padding: 2, dilation: 2 };
    const got = k.F.conv1d(x, w, null, opts);
    k.setBackend('js');
    const ref = k.F.conv1d(x, w, null, opts);
    k.setBackend('native');
    assertClose(got, ref, { atol: 1e-12, rtol: 1e-12 });
  });

  it('splits samples across 2 threads with the same results', () => {
    // Large enough per task (2 samples of 32 x 144 x 196 multiply-adds) to take the split.
    const c: Case = {
      name: 'two threads',
      x: [4, 16, 16, 16],
      w: [32, 16, 3, 3],
      bias: true,
      options: { padding: 1 },
    };
    k.setBackend('native');
    nativeBinding()!.setNumThreads(1);
    const one = run(c, 'float64', 11);
    nativeBinding()!.setNumThreads(2);
    const two = run(c, 'float64', 11);
    nativeBinding()!.setNumThreads(1);
    assertClose(two.y, one.y, { atol: 1e-12, rtol: 1e-12 });
    for (const [i, g] of two.grads.entries())
      assertClose(g, one.grads[i]!, { atol: 1e-10, rtol: 1e-12 });
    nativeBinding()!.setNumThreads(2);
    compare(c, 'float64');
    nativeBinding()!.setNumThreads(1);
  });

  it('second-order gradients match the js backend (the rule falls back to the composite)', () => {
    const second = (): k.Tensor[] => {
      k.manualSeed(5);
      const x = k.randn([2, 2, 5, 5], { dtype: 'float64' }).requiresGrad_();
      const w = k.randn([3, 2, 3, 3], { dtype: 'float64' }).requiresGrad_();
      k.F.conv2d(x, w, null, { padding: 1 })
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
    for (const [i, g] of got.entries()) assertClose(g, ref[i]!, { atol: 1e-9, rtol: 1e-9 });
  });

  it('rejects views that reach outside their storage', () => {
    const conv = binding?.conv;
    if (!conv) throw new Error('native fused convolution unavailable');
    const x = k.zeros([1, 1, 4, 4]);
    const w = k.zeros([1, 1, 3, 3]);
    const out = k.zeros([1, 1, 2, 2]);
    const window = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
    const shifted = {
      ...w,
      storage: w.storage,
      shape: w.shape,
      strides: w.strides,
      offset: 2,
      dtype: w.dtype,
    };
    assert.throws(() => conv.forward(x, shifted, null, window, 1, false, out), RangeError);
    const grads = { dx: null, dw: shifted, db: null };
    assert.throws(() => conv.backward(out, x, w, null, window, 1, grads), RangeError);
  });
});
