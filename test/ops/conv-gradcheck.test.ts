// Gradient checks (central differences, float64, js backend) of the convolution, pooling and
// resampling functions over stride/padding/dilation/groups/ceilMode/countIncludePad combinations,
// with the input in four layouts (contiguous, transposed, sliced, broadcast views), plus the
// im2col/col2im primitives themselves (including their second-order rules).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { col2im, im2col, type Window2d } from '../../src/ops/window.js';
import { gradcheck, layouts } from '../helpers/gradcheck.js';

const f64 = { dtype: 'float64' as const };

function param(shape: number[], seed: number): Tensor {
  return k.randn(shape, { ...f64, generator: new k.Generator(seed) }).requiresGrad_();
}

/** gradcheck of fn(x, ...params) for every layout of x. */
function eachLayout(
  fn: (x: Tensor, ...p: Tensor[]) => Tensor,
  xShape: number[],
  params: Tensor[] = [],
): void {
  for (const { name, tensor } of layouts(xShape, { seed: 5 })) {
    // Parameter gradients do not depend on the input's layout: check them once (contiguous).
    const ps = name === 'contiguous' ? params : params.map((p) => p.detach());
    try {
      gradcheck(fn as (...t: Tensor[]) => Tensor, [tensor, ...ps]);
    } catch (e) {
      throw new Error(`${name} ${JSON.stringify(xShape)}: ${(e as Error).message}`);
    }
    for (const p of params) p.grad = null;
  }
}

describe('gradcheck: conv2d', () => {
  const cases: [string, number[], number[], k.F.ConvOptions, boolean][] = [
    ['plain', [2, 3, 5, 4], [4, 3, 3, 2], {}, true],
    ['stride 2, padding 1', [2, 2, 6, 5], [3, 2, 3, 3], { stride: 2, padding: 1 }, true],
    [
      'stride/padding/dilation pairs',
      [1, 2, 7, 6],
      [2, 2, 3, 2],
      { stride: [2, 1], padding: [1, 2], dilation: [2, 1] },
      false,
    ],
    ['groups 2', [2, 4, 5, 5], [6, 2, 3, 3], { groups: 2, padding: 1 }, true],
    ['depthwise', [2, 3, 5, 5], [3, 1, 3, 3], { groups: 3, padding: 1 }, false],
    ['depthwise multiplier 2', [1, 2, 4, 4], [4, 1, 2, 2], { groups: 2, stride: 2 }, true],
    [
      "'same', even kernel, dilation",
      [1, 2, 5, 6],
      [2, 2, 4, 3],
      { padding: 'same', dilation: [1, 2] },
      true,
    ],
  ];
  for (const [label, xs, ws, options, bias] of cases) {
    it(label, () => {
      const w = param(ws, 1);
      const b = param([ws[0]!], 2);
      const fn = (x: Tensor, wt: Tensor, bt?: Tensor) => k.F.conv2d(x, wt, bt, options);
      eachLayout(fn, xs, bias ? [w, b] : [w]);
    });
  }
  it('unbatched [C,H,W] input', () => {
    eachLayout(
      (x, w) => k.F.conv2d(x, w!, null, { padding: 1 }),
      [2, 4, 4],
      [param([3, 2, 3, 3], 3)],
    );
  });
});

describe('gradcheck: conv1d and convTranspose2d', () => {
  it('conv1d stride, padding, dilation', () => {
    const w = param([3, 2, 3], 4);
    eachLayout(
      (x, wt) => k.F.conv1d(x, wt!, null, { stride: 2, padding: 2, dilation: 2 }),
      [2, 2, 9],
      [w],
    );
  });
  it("conv1d groups, 'same', bias", () => {
    const [w, b] = [param([4, 1, 4], 5), param([4], 6)];
    eachLayout(
      (x, wt, bt) => k.F.conv1d(x, wt!, bt, { padding: 'same', groups: 2 }),
      [2, 2, 7],
      [w, b],
    );
  });
  const cases: [string, number[], number[], k.F.ConvTransposeOptions][] = [
    ['plain', [2, 3, 3, 4], [3, 2, 3, 3], {}],
    [
      'stride 2, padding 1, outputPadding 1',
      [1, 2, 4, 3],
      [2, 3, 3, 3],
      { stride: 2, padding: 1, outputPadding: 1 },
    ],
    [
      'groups 2, stride pair',
      [2, 4, 3, 3],
      [4, 1, 2, 3],
      { groups: 2, stride: [2, 3], outputPadding: [1, 2] },
    ],
    ['dilation 2', [1, 2, 3, 3], [2, 2, 2, 2], { dilation: 2, stride: 2, padding: 1 }],
  ];
  for (const [label, xs, ws, options] of cases) {
    it(`convTranspose2d ${label}`, () => {
      const w = param(ws, 7);
      const b = param([ws[1]! * (options.groups ?? 1)], 8);
      eachLayout((x, wt, bt) => k.F.convTranspose2d(x, wt!, bt, options), xs, [w, b]);
    });
  }
});

describe('gradcheck: pooling', () => {
  const max: [string, number | number[], k.F.MaxPoolOptions][] = [
    ['kernel 2', 2, {}],
    ['kernel 3, stride 2, padding 1', 3, { stride: 2, padding: 1 }],
    ['ceilMode', 3, { stride: 2, ceilMode: true }],
    ['dilation 2, padding 1, ceilMode', 3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }],
    ['pairs', [2, 3], { stride: [1, 2], padding: [1, 1], dilation: [2, 1] }],
  ];
  for (const [label, ks, options] of max) {
    it(`maxPool2d ${label}`, () => eachLayout((x) => k.F.maxPool2d(x, ks, options), [2, 2, 7, 6]));
  }
  it('maxPool1d padding, ceilMode', () => {
    eachLayout((x) => k.F.maxPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [2, 3, 8]);
  });
  const avg: [string, number | number[], k.F.AvgPoolOptions][] = [
    ['kernel 2', 2, {}],
    ['padding, countIncludePad', 3, { stride: 2, padding: 1 }],
    ['padding, no countIncludePad', 3, { stride: 2, padding: 1, countIncludePad: false }],
    [
      'ceilMode, no countIncludePad',
      3,
      { stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    ],
    ['pairs, ceilMode', [2, 3], { stride: [2, 1], padding: [1, 1], ceilMode: true }],
    ['divisorOverride', 2, { divisorOverride: 3 }],
  ];
  for (const [label, ks, options] of avg) {
    it(`avgPool2d ${label}`, () => eachLayout((x) => k.F.avgPool2d(x, ks, options), [2, 2, 7, 6]));
  }
  it('avgPool1d ceilMode, no countIncludePad', () => {
    eachLayout(
      (x) => k.F.avgPool1d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      [2, 3, 8],
    );
  });
  for (const size of [[3, 4], 1, [null, 2], [7, 4]] as const) {
    it(`adaptiveAvgPool2d ${JSON.stringify(size)}`, () => {
      eachLayout((x) => k.F.adaptiveAvgPool2d(x, size as [number, number]), [2, 2, 7, 9]);
    });
  }
});

describe('gradcheck: interpolate and dropout2d', () => {
  const cases: k.F.InterpolateOptions[] = [
    { size: [7, 9] },
    { scaleFactor: 2 },
    { size: [3, 2] },
    { size: [7, 9], mode: 'bilinear' },
    { size: [7, 9], mode: 'bilinear', alignCorners: true },
    { scaleFactor: [1.7, 0.6], mode: 'bilinear' },
  ];
  for (const options of cases) {
    it(`interpolate ${JSON.stringify(options)}`, () => {
      eachLayout((x) => k.F.interpolate(x, options), [2, 2, 5, 4]);
    });
  }
  it('dropout2d drops whole channels and passes gradients through the kept ones', () => {
    eachLayout((x) => k.F.dropout2d(x, 0.5, true, { generator: new k.Generator(3) }), [3, 4, 2, 2]);
    const y = k.F.dropout2d(k.ones([8, 16, 3, 3]), 0.5, true, { generator: new k.Generator(1) });
    const perChannel = y.sum([2, 3]).dataSync();
    for (const v of perChannel) assert.ok(v === 0 || v === 18, `channel sum ${v}`);
    assert.ok(perChannel.some((v) => v === 0) && perChannel.some((v) => v === 18));
    const x = k.randn([2, 3, 4, 4]);
    assert.equal(k.F.dropout2d(x, 0.5, false), x);
  });
});

describe('gradcheck: im2col / col2im primitives (first and second order)', () => {
  const window: Window2d = { kernel: [2, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 2] };
  it('im2col and col2im', () => {
    eachLayout((x) => im2col(x, window, [4, 3]), [2, 2, 5, 5]);
    eachLayout((c) => col2im(c, window, [5, 5]), [2, 2, 3, 2, 4, 3]);
  });
  it('second-order gradients through maxPool2d (maxPoolBackward records a gather)', () => {
    const w = param([2, 2, 3, 3], 10);
    const xs = k.randn([1, 2, 6, 6], f64);
    const gradOfGrad = (wt: Tensor) =>
      k.enableGrad(() => {
        const x = xs.clone().requiresGrad_();
        const y = k.F.maxPool2d(k.F.conv2d(x, wt, null, { padding: 1 }), 2);
        y.square().sum().backward(undefined, { createGraph: true });
        wt.grad = null;
        return x.grad!.square().sum();
      });
    gradcheck(gradOfGrad, [w]);
  });
  it('second-order gradients of conv2d (the rules record im2col/col2im)', () => {
    const w = param([2, 2, 3, 3], 9);
    const xs = k.randn([1, 2, 5, 5], f64);
    // d/dw of sum((d loss / d x)^2) needs the backward of the backward.
    const gradOfGrad = (wt: Tensor) => {
      // gradcheck evaluates under noGrad; the inner backward needs a graph.
      return k.enableGrad(() => {
        const x = xs.clone().requiresGrad_();
        const y = k.F.conv2d(x, wt, null, { padding: 1 });
        y.square().sum().backward(undefined, { createGraph: true });
        wt.grad = null; // the inner pass also reached the weight; keep only the outer gradient
        return x.grad!.square().sum();
      });
    };
    gradcheck(gradOfGrad, [w]);
  });
});
