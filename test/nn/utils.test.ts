import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';

const { utils, Parameter } = k.nn;

function withGrad(values: number[]): k.nn.Parameter {
  const p = new Parameter(k.zeros([values.length]));
  p.grad = k.tensor(values);
  return p;
}

describe('nn.utils', () => {
  it('clipGradNorm scales by maxNorm / (norm + 1e-6) only above maxNorm', () => {
    const a = withGrad([3, 0]);
    const b = withGrad([0, 4]);
    const total = utils.clipGradNorm([a, b], 1);
    assert.ok(Math.abs(total - 5) < 1e-6);
    assertClose(a.grad!, [3 / (5 + 1e-6), 0]);
    assertClose(b.grad!, [0, 4 / (5 + 1e-6)]);
    const c = withGrad([0.3, 0.4]);
    assert.ok(Math.abs(utils.clipGradNorm(c, 1) - 0.5) < 1e-6);
    assertClose(c.grad!, [0.3, 0.4], { atol: 0 });
  });

  it('clipGradNorm skips parameters without grads, handles Infinity and non-finite norms', () => {
    const none = new Parameter(k.zeros([2]));
    assert.equal(utils.clipGradNorm([none], 1), 0);
    const p = withGrad([1, -7, 2]);
    assert.equal(utils.clipGradNorm([p, none], 100, { normType: Infinity }), 7);
    const bad = withGrad([Number.NaN, 1]);
    assert.ok(Number.isNaN(utils.clipGradNorm(bad, 1)));
    assert.throws(
      () => utils.clipGradNorm(bad, 1, { errorIfNonfinite: true }),
      /total norm .* NaN/,
    );
  });

  it('clipGradValue clamps in place', () => {
    const p = withGrad([-3, 0.5, 2]);
    utils.clipGradValue([p], 1);
    assertClose(p.grad!, [-1, 0.5, 1]);
  });

  it('l1Penalty and l2Penalty are differentiable sums', () => {
    const a = k.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const b = k.tensor([[0.5], [-3]], { dtype: 'float64', requiresGrad: true });
    assert.equal(utils.l1Penalty([a, b]).item(), 6.5);
    assert.equal(utils.l2Penalty([a, b]).item(), 1 + 4 + 0.25 + 9);
    gradcheck((x, y) => utils.l2Penalty([x!, y!]), [a, b]);
    gradcheck((x, y) => utils.l1Penalty([x!, y!]), [a, b]);
    const model = new k.nn.Linear(2, 1);
    const loss = utils.l2Penalty(model.parameters());
    loss.backward();
    assertClose(model.weight.grad!, model.weight.mul(2));
  });

  it('parametersToVector and vectorToParameters round trip', () => {
    const m = new k.nn.Linear(3, 2);
    const v = utils.parametersToVector(m.parameters());
    assert.deepEqual(v.shape, [8]);
    const other = new k.nn.Linear(3, 2);
    utils.vectorToParameters(v, other.parameters());
    assert.deepEqual(other.weight.toArray(), m.weight.toArray());
    assert.deepEqual(other.bias!.toArray(), m.bias!.toArray());
    assert.throws(() => utils.vectorToParameters(k.zeros([7]), other.parameters()), k.ShapeError);
  });
});
