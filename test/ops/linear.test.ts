import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';

const f64 = { dtype: 'float64' as const };

describe('F.linear (the fused linear primitive)', () => {
  it('equals x @ w^T + b on 1-D, 2-D and 3-D inputs', () => {
    const w = k.randn([4, 3], f64);
    const b = k.randn([4], f64);
    for (const shape of [[3], [5, 3], [2, 5, 3]]) {
      const x = k.randn(shape, f64);
      assertClose(k.F.linear(x, w, b), x.matmul(w.T).add(b), { atol: 1e-12 });
      assertClose(k.F.linear(x, w), x.matmul(w.T), { atol: 1e-12 });
    }
  });

  it('passes gradcheck with and without bias, on batched and non-contiguous inputs', () => {
    const x = k.randn([2, 5, 3], f64).requiresGrad_();
    const wt = k.randn([3, 4], f64).requiresGrad_();
    const b = k.randn([4], f64).requiresGrad_();
    gradcheck((xi, wi, bi) => k.F.linear(xi!, wi!.T, bi!), [x, wt, b]);
    gradcheck((xi, wi) => k.F.linear(xi!.transpose(0, 1), wi!.T), [x, wt]);
    gradcheck((xi, wi) => k.F.linear(xi!.select(0, 1).select(0, 2), wi!.T), [x, wt]);
  });

  it('writes the weight gradient in the weight layout and names bad shapes', () => {
    const w = k.randn([4, 3], { requiresGrad: true });
    k.F.linear(k.randn([6, 3]), w, k.zeros([4]))
      .sum()
      .backward();
    assert.deepEqual(w.grad!.shape, [4, 3]);
    assert.ok(w.grad!.isContiguous());
    assert.throws(
      () => k.F.linear(k.randn([2, 5]), w),
      /linear: input \[2,5\] does not fit weight \[4,3\]/,
    );
    assert.throws(
      () => k.F.linear(k.randn([2, 3]), w, k.zeros([3])),
      /linear: bias \[3\] does not fit weight \[4,3\]/,
    );
  });
});

describe('F.crossEntropy fused path', () => {
  it('passes first- and second-order gradchecks with weights and an ignored target', () => {
    const x = k.randn([5, 4], f64).requiresGrad_();
    const t = k.tensor([0, 3, 1, -100, 2], { dtype: 'int32' });
    const weight = k.tensor([1, 2, 0.5, 1.5], f64);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      gradcheck((xi) => k.F.crossEntropy(xi!, t, { weight, reduction }), [x]);
    }
    // Second order: d/dx of |dL/dx|^2, analytic (createGraph) against central differences.
    const gradNorm = (xv: k.Tensor, keep: boolean): [k.Tensor, k.Tensor] =>
      k.enableGrad(() => {
        const leaf = xv.detach().clone().requiresGrad_();
        k.F.crossEntropy(leaf, t, { weight }).backward(undefined, { createGraph: keep });
        return [leaf.grad!.square().sum(), leaf];
      });
    const [s, leaf] = gradNorm(x, true);
    leaf.grad = null;
    s.backward();
    const analytic = leaf.grad!.dataSync();
    const base = x.detach().dataSync() as Float64Array;
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const v = Float64Array.from(base);
        v[i]! += delta;
        return gradNorm(k.tensor(v, { shape: [5, 4] }), false)[0].item();
      };
      const numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
      assert.ok(
        Math.abs(numeric - analytic[i]!) < 1e-5 + 1e-3 * Math.abs(numeric),
        `element ${i}: ${numeric} vs ${analytic[i]}`,
      );
    }
  });
});
