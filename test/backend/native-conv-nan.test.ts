// Non-finite values through the fused native convolution kernels: the inference Conv2d + ReLU +
// MaxPool2d(2) (Winograd, the few-tap kernel that pools in registers, and with
// KILN_CONV_WINOGRAD=0 the direct kernels and their pool), the convolution with the fused ReLU,
// and the training kernel (pooled output and argmax) against the layers run one by one on the js
// backend. The ReLU keeps a NaN and a pooling window holding a NaN pools to NaN (as PyTorch), so
// a model whose activations go NaN must show NaN, not train on zeros. Checked per element: NaN,
// +inf and -inf exactly where the reference has them, the finite values close.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import { conv2dRelu } from '../../src/nn/functional-conv.js';
import { maxPool } from '../../src/ops/window.js';

const { binding, error } = loadNative();
const skip = binding?.conv ? false : `native fused convolution unavailable (${error})`;

/** [N, C, H, W] input, out channels, padding. */
const SHAPES: [number[], number, number][] = [
  [[2, 1, 28, 28], 32, 0], // MNIST first layer: few taps, pooled in registers
  [[2, 32, 13, 13], 64, 0], // MNIST second layer: Winograd (direct with it off)
  [[2, 9, 11, 15], 20, 1], // odd sizes: floor drops the last row and column
  [[2, 3, 19, 23], 8, 0], // few taps, odd sizes
];

type Poison = 'nan input' | 'nan weight' | 'inf input';

/** A seeded input, weight and bias, with non-finite values put in as `poison` says. */
function data(xs: number[], o: number, poison: Poison): [k.Tensor, k.Tensor, k.Tensor] {
  k.manualSeed(11);
  const x = k.randn(xs).dataSync().slice();
  const w = k.randn([o, xs[1]!, 3, 3]).dataSync().slice();
  const b = k.randn([o]);
  const plane = xs[2]! * xs[3]!;
  if (poison === 'nan weight')
    w[5 * xs[1]! * 9 + 4] = Number.NaN; // out channel 5, centre tap
  else {
    // Scattered positions of several samples and channels, one at a corner, two adjacent.
    const at = [0, 17, 18, plane + 3 * xs[3]! + 5, x.length - 1, x.length >> 1];
    at.forEach((p, i) => {
      x[p] =
        poison === 'nan input'
          ? Number.NaN
          : i % 2
            ? Number.POSITIVE_INFINITY
            : Number.NEGATIVE_INFINITY;
    });
  }
  return [k.tensor(x).reshape(xs), k.tensor(w).reshape([o, xs[1]!, 3, 3]), b];
}

/** The class of each element: NaN, +inf, -inf exactly; finite values within a tolerance. */
function assertSameNonFinite(got: k.Tensor, ref: k.Tensor, what: string): number {
  assert.deepEqual(got.shape, ref.shape, what);
  const g = got.dataSync();
  const r = ref.dataSync();
  let nan = 0;
  for (let i = 0; i < r.length; i++) {
    const a = g[i]!;
    const e = r[i]!;
    if (Number.isFinite(e)) {
      assert.ok(Math.abs(a - e) <= 1e-3 + 1e-3 * Math.abs(e), `${what}: [${i}] ${a} != ${e}`);
    } else {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${what}: [${i}] ${a} != ${e}`,
      );
      if (Number.isNaN(e)) nan++;
    }
  }
  return nan;
}

function convPoolModel(
  c: number,
  o: number,
  pad: number,
  w: k.Tensor,
  b: k.Tensor,
): k.nn.Sequential {
  const conv = new k.nn.Conv2d(c, o, 3, { padding: pad });
  k.noGrad(() => {
    conv.weight.copy_(w);
    conv.bias!.copy_(b);
  });
  return new k.nn.Sequential(conv, new k.nn.ReLU(), new k.nn.MaxPool2d(2));
}

/** The model's layers one by one on the js backend (nothing fused). */
function layerByLayer(model: k.nn.Sequential, x: k.Tensor): k.Tensor {
  k.setBackend('js');
  try {
    return k.noGrad(() => {
      let y = x;
      for (const m of model.children()) y = m.forward(y) as k.Tensor;
      return y;
    });
  } finally {
    k.setBackend('native');
  }
}

describe('native fused convolutions keep NaN and inf as the unfused js layers', { skip }, () => {
  after(() => {
    delete process.env.KILN_CONV_WINOGRAD;
    k.setBackend('js');
  });

  for (const poison of ['nan input', 'nan weight', 'inf input'] as const) {
    for (const [xs, o, pad] of SHAPES) {
      const name = `${poison}, [${xs}] -> ${o} out channels, padding ${pad}`;
      it(`inference Conv2d + ReLU + MaxPool2d(2): ${name}`, () => {
        k.setBackend('native');
        const [x, w, b] = data(xs, o, poison);
        const model = convPoolModel(xs[1]!, o, pad, w, b);
        model.eval();
        const ref = layerByLayer(model, x);
        let nan = 0;
        for (const winograd of [true, false]) {
          if (winograd) delete process.env.KILN_CONV_WINOGRAD;
          else process.env.KILN_CONV_WINOGRAD = '0';
          const got = k.noGrad(() => model.forward(x));
          nan = assertSameNonFinite(got, ref, `${name}, winograd ${winograd}`);
        }
        delete process.env.KILN_CONV_WINOGRAD;
        if (poison !== 'inf input') assert.ok(nan > 0, `${name}: the reference has NaN`);
      });

      it(`conv2d with the fused ReLU: ${name}`, () => {
        const [x, w, b] = data(xs, o, poison);
        k.setBackend('js');
        const ref = k.F.conv2d(x, w, b, { padding: pad }).relu();
        k.setBackend('native');
        const got = k.noGrad(() => conv2dRelu(x, w, b, { padding: pad }));
        const nan = assertSameNonFinite(got, ref, name);
        if (poison !== 'inf input') assert.ok(nan > 0, `${name}: the reference has NaN`);
      });

      it(`training Conv2d + ReLU + MaxPool2d(2) and its argmax: ${name}`, () => {
        const [x, w, b] = data(xs, o, poison);
        k.setBackend('native');
        const model = convPoolModel(xs[1]!, o, pad, w, b);
        model.train();
        const got = model.forward(x);
        assert.equal(got.gradFn?.op, 'conv2dReluPool', 'the fused training kernel ran');
        const ref = layerByLayer(model, x);
        assertSameNonFinite(got.detach(), ref, name);
        // The argmax of each window holding a NaN is the js maxPool's (its last NaN).
        k.setBackend('js');
        const y = k.F.conv2d(x, w, b, { padding: pad }).relu();
        const size = [y.shape[2]! >> 1, y.shape[3]! >> 1] as const;
        const win = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] } as const;
        const [pooled, refIdx] = maxPool(y, win, size);
        k.setBackend('native');
        const idx = got.gradFn.attrs.index!.dataSync();
        const r = refIdx.dataSync();
        const p = pooled.dataSync();
        for (let i = 0; i < p.length; i++)
          if (Number.isNaN(p[i]!)) assert.equal(idx[i], r[i], `${name}: argmax of window ${i}`);
        // The backward still runs: a NaN window passes no gradient (as the ReLU's step mask).
        got.sum().backward();
        assert.ok(model.parameters().every((q) => q.grad !== null));
      });
    }
  }
});
