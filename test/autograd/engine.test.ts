// Autograd semantics: accumulation, retainGrad, retainGraph and the second-backward error,
// noGrad/enableGrad, detach, backward on non-scalars, in-place ops on tensors that require grad,
// createGraph higher-order gradients, graph reuse (diamonds) and dtype of gradients.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';

const leaf = (d: k.NestedArray, dtype: k.DType = 'float64') =>
  k.tensor(d, { dtype, requiresGrad: true });

describe('backward', () => {
  it('fills leaf grads; non-leaves get none unless retained', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(x);
    y.sum().backward();
    assertClose(x.grad!, [2, 4, 6]);
    assert.equal(y.grad, null);
    assert.equal(x.isLeaf, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.gradFn?.name, 'MulBackward');
  });
  it('gradients accumulate across backward calls until reset', () => {
    const x = leaf([1, -1]);
    x.mul(3).sum().backward();
    x.mul(3).sum().backward();
    assertClose(x.grad!, [6, 6]);
    x.grad = null;
    x.exp().sum().backward();
    assertClose(x.grad!, [Math.E, 1 / Math.E]);
  });
  it('a tensor used twice (diamond) sums both paths', () => {
    const x = leaf(2);
    const a = x.mul(3);
    const b = a.mul(a).add(a);
    b.backward();
    assertClose(x.grad!, 2 * 6 * 3 + 3);
  });
  it('retainGrad keeps the grad of a non-leaf', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2).retainGrad();
    assert.equal(h.retainsGrad, true);
    h.square().sum().backward();
    assertClose(h.grad!, [4, 8]);
    assertClose(x.grad!, [8, 16]);
    assert.throws(() => k.tensor([1]).retainGrad(), k.ValueError);
  });
  it('a second backward through freed buffers fails; retainGraph allows it', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward();
    assert.throws(() => y.backward(), {
      name: 'ValueError',
      message:
        /backward: trying to backward through MulBackward a second time, after its saved tensors were freed; pass \{ retainGraph: true \}/,
    });
    const z = x.exp().sum();
    x.grad = null;
    z.backward(undefined, { retainGraph: true });
    z.backward();
    assertClose(x.grad!, [2 * Math.E, 2 * Math.E ** 2]);
  });
  it('non-scalar outputs need an explicit gradient of matching shape', () => {
    const x = leaf([1, 2]);
    const y = x.mul(2);
    assert.throws(() => y.backward(), {
      name: 'ValueError',
      message:
        'backward: grad can be implied only for scalar outputs, this has shape [2]; pass a gradient',
    });
    assert.throws(() => y.backward(k.ones([3])), {
      name: 'ShapeError',
      message: 'backward: grad of shape [3] does not match the output [2]',
    });
    y.backward(k.tensor([1, -1]));
    assertClose(x.grad!, [2, -2]);
    const one = leaf([[5]]).mul(1);
    assert.doesNotThrow(() => one.backward(), 'one element is enough');
  });
  it('backward on a tensor without graph is an error; on a leaf it seeds its own grad', () => {
    assert.throws(() => k.tensor([1]).sum().backward(), {
      name: 'ValueError',
      message: /does not require grad/,
    });
    const x = leaf(3);
    x.backward();
    assertClose(x.grad!, 1);
  });
  it('grads keep the leaf dtype through mixed-precision ops and broadcasting', () => {
    const w = leaf([[1, 2, 3]], 'float32');
    const b = leaf(0.5, 'float64');
    const y = w.mul(k.tensor([[1], [2]], { dtype: 'float64' })).add(b);
    assert.equal(y.dtype, 'float64');
    y.sum().backward();
    assert.equal(w.grad!.dtype, 'float32');
    assert.deepEqual(w.grad!.shape, [1, 3]);
    assertClose(w.grad!, [[3, 3, 3]]);
    assert.deepEqual(b.grad!.shape, []);
    assertClose(b.grad!, 6);
  });
  it('only inputs that require grad receive gradients', () => {
    const x = leaf([1, 2]);
    const c = k.tensor([3, 4], { dtype: 'float64' });
    x.mul(c).sum().backward();
    assert.equal(c.grad, null);
    assertClose(x.grad!, [3, 4]);
  });
});

describe('grad modes and detach', () => {
  it('noGrad returns fn value and records nothing, restores the mode after throws', () => {
    const x = leaf([1]);
    const y = k.noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(
      k.noGrad(() => 42),
      42,
    );
    assert.throws(
      () =>
        k.noGrad(() => {
          throw new Error('inner');
        }),
      { message: 'inner' },
    );
    assert.equal(k.isGradEnabled(), true);
  });
  it('enableGrad records inside noGrad', () => {
    const x = leaf([1]);
    const y = k.noGrad(() => k.enableGrad(() => x.mul(2)));
    assert.equal(y.requiresGrad, true);
    assert.equal(
      k.noGrad(() => k.isGradEnabled()),
      false,
    );
  });
  it('detach shares storage and cuts the graph', () => {
    const x = leaf([1, 2]);
    const d = x.mul(2).detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    const y = x.mul(x.detach());
    y.sum().backward();
    assertClose(x.grad!, [1, 2], { atol: 0 });
    const e = x.detach();
    assert.equal(e.storage, x.storage);
  });
  it('requiresGrad cannot be turned off on non-leaves', () => {
    const y = leaf([1]).mul(2);
    assert.throws(() => {
      y.requiresGrad = false;
    }, /non-leaf/);
  });
});

describe('in-place ops', () => {
  it('are refused on tensors that require grad, allowed under noGrad', () => {
    const w = leaf([1, 2]);
    assert.throws(() => w.add_(1), {
      name: 'ValueError',
      message:
        'add_: in-place change of a tensor that requires grad would corrupt the graph; do it inside k.noGrad(() => ...)',
    });
    assert.throws(() => w.fill_(0), /fill_: in-place change/);
    k.noGrad(() => w.sub_(k.tensor([1, 1]), 0.5));
    assertClose(w, [0.5, 1.5]);
  });
  it('compute in place with broadcasting, alpha and dtype conversion', () => {
    const t = k.tensor([
      [1, 2],
      [3, 4],
    ]);
    t.add_(k.tensor([10, 20]), 2)
      .mul_(0.5)
      .div_(k.tensor([[1], [2]]));
    assertClose(t, [
      [10.5, 21],
      [5.75, 11],
    ]);
    const i = k.tensor([5, 7], { dtype: 'int32' });
    i.add_(1.9);
    assert.deepEqual(i.toArray(), [6, 8]);
    assert.throws(() => i.div_(2), { name: 'DTypeError', message: /div_: result would be float/ });
    assertClose(k.tensor([-3, 3]).clamp_(-1, 2), [-1, 2]);
    assertClose(k.zeros([2]).zero_().copy_(5), [5, 5]);
    assert.throws(() => k.zeros([2]).copy_(k.ones([3])), k.ShapeError);
    assert.throws(() => k.zeros([1]).expand([3]).fill_(1), /expanded view/);
  });
});

describe('higher-order gradients (createGraph)', () => {
  it('second derivative of x^3 is 6x', () => {
    const x = leaf([2, -1]);
    const y = x.pow(3).sum();
    y.backward(undefined, { createGraph: true });
    const g = x.grad!;
    assertClose(g, [12, 3]);
    assert.equal(g.requiresGrad, true);
    x.grad = null;
    g.sum().backward();
    assertClose(x.grad!, [12, -6]);
  });
  it('second derivatives through exp, tanh, softmax-weighted sums and matmul', () => {
    const x = leaf([0.5]);
    x.exp().mul(x).sum().backward(undefined, { createGraph: true }); // (1 + x) e^x
    const g = x.grad!;
    x.grad = null;
    g.sum().backward(); // (2 + x) e^x
    assertClose(x.grad!, [2.5 * Math.exp(0.5)], { rtol: 1e-12 });

    const t = leaf([0.3]);
    t.tanh().sum().backward(undefined, { createGraph: true });
    const gt = t.grad!;
    t.grad = null;
    gt.sum().backward(); // -2 tanh(x) (1 - tanh^2)
    const th = Math.tanh(0.3);
    assertClose(t.grad!, [-2 * th * (1 - th * th)], { rtol: 1e-12 });

    const a = leaf([
      [1, 2],
      [3, 4],
    ]);
    a.matmul(a).sum().backward(undefined, { createGraph: true });
    const ga = a.grad!;
    a.grad = null;
    ga.square().sum().backward();
    assert.deepEqual(a.grad!.shape, [2, 2]);
    assert.ok(a.grad!.abs().sum().item() > 0);
  });
});
