// Derivative rules that first-order checks of their own op never reach (found by mutation testing
// of src/autograd/rules.ts): zero-gradient rules, second-order paths through unslice, maxPool's
// backward and im2col/col2im, and the broadcast and dtype fitting of input gradients.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { F } from '../../src/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const f64 = (values: number[], shape?: number[]) => {
  const t = k.tensor(values, { dtype: 'float64' });
  return shape ? t.reshape(shape) : t;
};

/**
 * The gradient of `loss(x)` with respect to `x`, kept differentiable (createGraph). The inner
 * backward also reaches `w`; its gradient there is dropped, so only the outer backward counts.
 */
function gradOf(x0: Tensor, w: Tensor, loss: (x: Tensor) => Tensor): Tensor {
  const x = x0.clone().requiresGrad_();
  loss(x).backward(undefined, { createGraph: true });
  w.grad = null;
  return x.grad!;
}

describe('zero-gradient rules', () => {
  for (const op of ['sign', 'floor', 'ceil', 'round'] as const) {
    it(`${op}: the input gets a gradient of zeros of its own shape`, () => {
      const x = f64([0.4, -1.6, 2.5, -0.2, 3.7, 1.1], [2, 3]).requiresGrad_();
      x[op]().mul(3).sum().backward();
      assert.ok(x.grad, `${op} gave no gradient`);
      assert.deepEqual(x.grad.shape, [2, 3]);
      assert.deepEqual(x.grad.tolist(), [
        [0, 0, 0],
        [0, 0, 0],
      ]);
    });
  }
});

describe('second order through rules that only double backward runs', () => {
  it('unslice of a strided slice that stops short of the end of its dim', () => {
    // 8 elements, every second from 1 up to 6: [1, 3, 5]; a slice one step too long ([1, 3, 5, 7])
    // would not fit, where at the end of the dim it would be clamped and go unnoticed.
    const xs = f64([0.3, -1.2, 0.7, 2.1, -0.4, 1.6, 0.9, -0.8]);
    const weights = f64([1, 2, 3, 4, 5, 6, 7, 8]);
    gradcheck(
      (w) =>
        k.enableGrad(() =>
          gradOf(xs, w, (x) => x.slice(0, 1, 6, 2).mul(w).square().sum())
            .mul(weights)
            .square()
            .sum(),
        ),
      [f64([0.8, -1.5, 0.4]).requiresGrad_()],
    );
  });

  it('maxPool2d: the gradient of its gradient (maxPoolBackward rule)', () => {
    const xs = f64(
      [0.1, 0.9, -0.3, 0.4, 1.5, -1.1, 0.2, 0.8, -0.7, 0.6, 1.2, -0.5, 0.35, -0.9, 0.05, 1.7],
      [1, 1, 4, 4],
    );
    gradcheck(
      (w) =>
        k.enableGrad(() =>
          gradOf(xs, w, (x) => F.maxPool2d(x, 2).mul(w).square().sum())
            .mul(xs)
            .sum(),
        ),
      [f64([0.5, -1.0, 1.5, 2.0], [1, 1, 2, 2]).requiresGrad_()],
    );
  });

  it('conv2d: the gradient of its input gradient in the weight (im2col/col2im rules)', () => {
    const xs = f64(
      Array.from({ length: 2 * 1 * 4 * 5 }, (_, i) => Math.sin(i * 0.7) + 0.1 * i),
      [2, 1, 4, 5],
    );
    gradcheck(
      (w) =>
        k.enableGrad(() =>
          gradOf(xs, w, (x) =>
            F.conv2d(x, w, null, { padding: 1, stride: [1, 2] })
              .square()
              .sum(),
          )
            .square()
            .sum(),
        ),
      [
        f64(
          [
            0.3, -0.2, 0.5, 0.1, -0.4, 0.25, 0.6, -0.15, 0.05, 0.2, -0.3, 0.45, 0.35, -0.05, 0.15,
            0.4, -0.25, 0.1,
          ],
          [2, 1, 3, 3],
        ).requiresGrad_(),
      ],
    );
  });
});

describe('input gradients fitted to their inputs', () => {
  it('broadcast dims (new leading dims and dims of size 1) are summed back', () => {
    const a = f64([1, 2, 3], [3, 1]).requiresGrad_();
    const b = f64([10, 20, 30, 40], [1, 4]).requiresGrad_();
    const c = f64([1, 1, 1, 1]).requiresGrad_();
    a.add(b).add(c).mul(2).sum().backward();
    assert.deepEqual(a.grad!.shape, [3, 1]);
    assert.deepEqual(a.grad!.tolist(), [[8], [8], [8]]);
    assert.deepEqual(b.grad!.shape, [1, 4]);
    assert.deepEqual(b.grad!.tolist(), [[6, 6, 6, 6]]);
    assert.deepEqual(c.grad!.shape, [4]);
    assert.deepEqual(c.grad!.tolist(), [6, 6, 6, 6]);
  });

  it('a float32 input of a float64 result gets a float32 gradient', () => {
    const a = k.tensor([1.5, 2.5], { dtype: 'float32', requiresGrad: true });
    const b = f64([0.1, 0.2]).requiresGrad_();
    a.mul(b).sum().backward();
    assert.equal(a.grad!.dtype, 'float32');
    assert.equal(b.grad!.dtype, 'float64');
    assert.deepEqual(
      (a.grad!.tolist() as number[]).map((v) => Math.round(v * 1e6) / 1e6),
      [0.1, 0.2],
    );
  });
});
