// The fused inference kernel Conv2d + ReLU + MaxPool2d(2) (NativeConv.forwardReluPool) on
// batches that view the middle of a larger storage (narrowed and transposed views, and
// contiguous copies) against the three layers run one by one on the js reference backend, over
// batch sizes 1 to 64 and odd and even spatial sizes; then the MNIST CNN of the benchmarks, as
// the regression of "kiln_native.convForward: a view reaches outside its storage". That error
// came from a build/ compiled before the conv parameter layout gained its pool slot: such a build
// ran the pooled call as a plain convolution into the pooled-size output. The loader now refuses
// a build whose parameter layouts differ (tested last).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeBinding } from '../../src/backend/native/index.js';
import {
  CONV_PARAMS,
  paramLayoutMismatch,
  type RawLayouts,
  WINDOW_PARAMS,
} from '../../src/backend/native/layouts.js';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import { uninit } from '../../src/ops/core.js';
import { assertClose } from '../helpers/gradcheck.js';

const { binding, error } = loadNative();
const skip = binding?.conv ? false : `native fused convolution unavailable (${error})`;
const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** The MNIST CNN of bench/cnn.ts (two Conv2d + ReLU + MaxPool2d(2) runs, then the head). */
function mnistCnn(): k.nn.Sequential {
  const { nn } = k;
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 5 * 5, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** The layers of `model` one by one on the js backend (nothing fused). */
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

describe('native fused Conv2d + ReLU + MaxPool2d(2) on views', { skip }, () => {
  after(() => {
    k.setBackend('js');
    nativeBinding()?.setNumThreads(1);
  });

  it('matches the three steps on js for offset views, batch sizes 1-64, odd sizes', () => {
    // [C, H, W], out channels, kernel, padding: odd and even outputs, rows short and long; from
    // 8 input channels the 3x3 kernels run by Winograd (also with channels and out channels off
    // the vector width, and padding), few taps by the register-pooled kernel; each is checked
    // with KILN_CONV_WINOGRAD=0 (the direct kernels) too.
    const shapes: [number[], number, number, number][] = [
      [[1, 28, 28], 32, 3, 0],
      [[32, 13, 13], 64, 3, 0],
      [[3, 9, 7], 8, 3, 1],
      [[2, 11, 15], 5, 3, 0],
      [[4, 8, 30], 9, 5, 2],
      [[12, 9, 7], 20, 3, 1],
      [[9, 10, 13], 16, 3, 0],
      [[8, 4, 5], 3, 3, 0],
      // Few taps with 8 pooled columns or more: pooled in registers (padded: from a copy).
      [[3, 9, 20], 7, 3, 1],
      [[2, 6, 17], 4, 2, 0],
    ];
    const conv = binding?.conv;
    if (!conv) return;
    for (const [[c, h, w], o, kk, pad] of shapes) {
      k.manualSeed(c! * 100 + o);
      const all = k.rand([67, c!, h!, w!]);
      const wt = k.randn([o, c!, kk, kk]);
      const b = k.randn([o]);
      const convSize: [number, number] = [h! + 2 * pad - kk + 1, w! + 2 * pad - kk + 1];
      const window = {
        kernel: [kk, kk],
        stride: [1, 1],
        padding: [pad, pad],
        dilation: [1, 1],
      } as const;
      // Batch 64 on the two MNIST layers only (the js reference is slow on the rest).
      const batches: [number, number][] = [
        [1, 0],
        [1, 66],
        [2, 3],
        [5, 61],
      ];
      if (c! <= 32 && h! >= 13 && w! >= 13) batches.push([64, 3]);
      for (const [n, at] of batches) {
        const views = [all.narrow(0, at, n), all.narrow(0, at, n).contiguous()];
        // A view with unit stride on H instead of W (the same values).
        if (n < 64) views.push(all.narrow(0, at, n).transpose(2, 3).contiguous().transpose(2, 3));
        for (const x of views) {
          k.setBackend('js');
          const ref = k.F.maxPool2d(k.F.conv2d(x, wt, b, { padding: pad }).relu(), 2);
          k.setBackend('native');
          for (const threads of [1, 2]) {
            nativeBinding()!.setNumThreads(threads);
            // Without Winograd the direct kernels need rows of 6 outputs.
            for (const winograd of convSize[1] >= 6 ? [true, false] : [true]) {
              if (winograd) delete process.env.KILN_CONV_WINOGRAD;
              else process.env.KILN_CONV_WINOGRAD = '0';
              const out = uninit([n, o, convSize[0] >> 1, convSize[1] >> 1], 'float32');
              const taken = conv.forwardReluPool(x, wt, b, window, convSize, out);
              const what = `${threads}T [${n}@${at}, ${c}, ${h}, ${w}] o ${o} k ${kk} pad ${pad}`;
              assert.ok(taken, `the fused kernel takes ${what}`);
              assertClose(out, ref, { atol: 1e-4, rtol: 1e-4 });
            }
          }
          delete process.env.KILN_CONV_WINOGRAD;
        }
      }
    }
  });

  it('the MNIST CNN in eval under noGrad on 64 rows of rand([256, 1, 28, 28])', () => {
    k.setBackend('native');
    k.manualSeed(0);
    const model = mnistCnn();
    model.eval();
    const xs = k.rand([256, 1, 28, 28]);
    const batches = [xs.narrow(0, 64, 64), xs.narrow(0, 192, 64), xs.narrow(0, 5, 64).contiguous()];
    const refs = batches.map((x) => layerByLayer(model, x));
    for (const threads of [1, 2]) {
      nativeBinding()!.setNumThreads(threads);
      for (const [i, x] of batches.entries()) {
        const got = k.noGrad(() => model.forward(x));
        assert.deepEqual(got.shape, [64, 10]);
        assertClose(got, refs[i]!, { atol: 1e-4, rtol: 1e-4 });
      }
    }
  });

  it('the loader refuses a build whose parameter layouts differ', () => {
    const raw = createRequire(import.meta.url)(
      process.env.KILN_NATIVE_PATH || join(ROOT, 'build', 'Release', 'kiln_native.node'),
    ) as RawLayouts;
    assert.equal(paramLayoutMismatch(raw), null);
    assert.deepEqual(raw.convParams(), CONV_PARAMS);
    assert.deepEqual(raw.windowParams(), WINDOW_PARAMS);
    // A build from before the pool slot (the bug): its layout ends one slot early.
    const beforePool = { ...raw, convParams: () => CONV_PARAMS.slice(0, -1) };
    assert.match(
      paramLayoutMismatch(beforePool) ?? '',
      /convParams slot 30 is 'missing' in the build but 'pool'/,
    );
    const swapped = [...WINDOW_PARAMS];
    [swapped[14], swapped[21]] = [swapped[21]!, swapped[14]!];
    const reordered = { ...raw, windowParams: () => swapped };
    assert.match(paramLayoutMismatch(reordered) ?? '', /windowParams slot 14 is 'outOff'/);
    // Builds from before the check export no layouts at all.
    assert.match(paramLayoutMismatch({}) ?? '', /no windowParams export/);
    assert.match(
      paramLayoutMismatch({ windowParams: raw.windowParams }) ?? '',
      /no convParams export/,
    );
  });
});
