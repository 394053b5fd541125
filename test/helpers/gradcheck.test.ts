// The test helpers themselves: gradcheck must catch wrong gradients, layouts must build the
// promised memory layouts, assertClose must fail with clear messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, gradcheck, layouts } from './gradcheck.js';

describe('gradcheck', () => {
  it('passes correct gradients and restores the backend', () => {
    const before = k.getBackend();
    const x = k.tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    assert.doesNotThrow(() => gradcheck((a) => a.mul(a).exp(), [x]));
    assert.equal(k.getBackend(), before);
  });
  it('catches a wrong gradient, naming input, element and both values', () => {
    const x = k.tensor([1.5, 2], { dtype: 'float64', requiresGrad: true });
    const y = k.tensor([3], { dtype: 'float64', requiresGrad: true });
    // d/dx of x * detach(x) should be 2x; the detached factor makes the analytic value x.
    let message = '';
    try {
      gradcheck((a, b) => a.mul(a.detach()).add(b), [x, y]);
    } catch (e) {
      message = (e as Error).message;
    }
    const m =
      /^gradcheck: input 0, element \[0\] of leaf \[2\]: analytic (\S+) vs numeric (\S+)/.exec(
        message,
      );
    assert.ok(m, message);
    assert.ok(Math.abs(Number(m[2]) - 2 * Number(m[1])) < 1e-6, message);
    assert.throws(() => gradcheck((_a, b) => b.mul(b.detach()), [x, y]), /input 1, element \[0\]/);
  });
  it('rejects float32 inputs and inputs without grad', () => {
    assert.throws(() => gradcheck((a) => a, [k.tensor([1], { requiresGrad: true })]), /float64/);
    assert.throws(
      () => gradcheck((a) => a, [k.tensor([1], { dtype: 'float64' })]),
      /no input requires grad/,
    );
  });
});

describe('layouts', () => {
  it('builds contiguous, transposed, sliced and broadcast views of float64 leaves', () => {
    const ls = layouts([2, 3]);
    assert.deepEqual(
      ls.map((l) => l.name),
      ['contiguous', 'transposed', 'sliced', 'broadcast'],
    );
    const [c, t, s, b] = ls;
    for (const l of ls) {
      assert.deepEqual(l.tensor.shape, [2, 3], l.name);
      assert.equal(l.tensor.dtype, 'float64');
      assert.equal(l.base.isLeaf && l.base.requiresGrad, true);
      assert.equal(l.tensor.storage, l.base.storage, `${l.name} is a view of its base`);
    }
    assert.equal(c!.tensor.isContiguous(), true);
    assert.equal(t!.tensor.isContiguous(), false);
    assert.ok(s!.tensor.offset > 0 && !s!.tensor.isContiguous());
    assert.equal(b!.tensor.strides[0], 0);
    assertClose(t!.tensor, c!.tensor, { atol: 0 });
    assertClose(s!.tensor, c!.tensor, { atol: 0 });
    assert.deepEqual(
      layouts([]).map((l) => l.name),
      ['contiguous'],
    );
    assert.deepEqual(
      layouts([1, 4]).map((l) => l.name),
      ['contiguous', 'transposed', 'sliced'],
    );
  });
});

describe('assertClose', () => {
  it('compares values, shapes and dtypes with tolerances; NaN equals NaN', () => {
    assert.doesNotThrow(() =>
      assertClose(k.tensor([1, Number.NaN, Infinity]), [1, Number.NaN, Infinity]),
    );
    assert.doesNotThrow(() => assertClose(k.tensor([1.00001]), [1], { atol: 1e-4 }));
    assert.throws(() => assertClose(k.tensor([[1, 2]]), [[1, 2.5]]), {
      message: /^assertClose: element \[0,1\] of \[1,2\]: actual 2, expected 2\.5/,
    });
    assert.throws(() => assertClose(k.tensor([1, 2]), [[1, 2]]), /shape \[2\] != expected \[1,2\]/);
    assert.throws(() => assertClose(k.tensor([1]), [1], { dtype: 'float64' }), /dtype float32/);
    assert.throws(() => assertClose(k.tensor([-Infinity]), [Infinity]), /actual -Infinity/);
    assert.throws(() => assertClose(k.tensor([Number.NaN]), [0]), /actual NaN/);
  });
});
