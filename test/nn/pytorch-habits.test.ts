// PyTorch habits that used to fail with raw TypeErrors or silently do something else (issue 9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

describe('PyTorch habits', () => {
  it('float(), double(), int(), long() (int32), t(), tolist(), view(-1)', () => {
    const i = k.tensor([1, 2, 3], { dtype: 'int32' });
    assert.equal(i.float().dtype, 'float32');
    assert.equal(i.double().dtype, 'float64');
    assert.deepEqual(k.tensor([1.7, -2.5]).int().tolist(), [1, -2]);
    assert.equal(k.tensor([1.7]).long().dtype, 'int32');
    const x = k.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.deepEqual(x.t().tolist(), [
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    assert.deepEqual(k.tensor([1, 2]).t().tolist(), [1, 2]);
    assert.throws(() => k.zeros([2, 2, 2]).t(), /t\(\): expects a tensor of at most 2 dims/);
    assert.equal(k.tensor(5).tolist(), 5);
    assert.deepEqual(x.view(-1).tolist(), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(x.view(3, 2).shape, [3, 2]);
    assert.deepEqual(x.view([3, -1]).shape, [3, 2]);
    assert.deepEqual(x.reshape(-1, 1).shape, [6, 1]);
  });

  it('optimizers take a positional learning rate, PyTorch style, and refuse other values', () => {
    const p = [k.zeros([1], { requiresGrad: true })];
    for (const [name, Opt] of Object.entries({
      SGD: k.optim.SGD,
      Adam: k.optim.Adam,
      AdamW: k.optim.AdamW,
      Adamax: k.optim.Adamax,
      RMSprop: k.optim.RMSprop,
      Adagrad: k.optim.Adagrad,
      Adadelta: k.optim.Adadelta,
      Lion: k.optim.Lion,
    })) {
      assert.equal(new Opt(p, 0.25).paramGroups[0]!.lr, 0.25, name);
    }
    const sgd = new k.optim.SGD(p, 0.1);
    p[0]!.grad = k.ones([1]);
    sgd.step();
    assert.deepEqual(p[0]!.tolist(), [Math.fround(-0.1)]);
    assert.throws(
      () => new k.optim.SGD(p, '0.1' as unknown as number),
      /SGD: the second argument must be an options object such as \{ lr: 0\.01 \} or a learning rate, got "0\.1"/,
    );
  });

  it('loadStateDict(sd, false) is non-strict, as load_state_dict(sd, False)', () => {
    const a = new k.nn.Linear(2, 2);
    const b = new k.nn.Linear(2, 2);
    const { weight } = a.stateDict();
    const result = b.loadStateDict({ weight: weight! }, false);
    assert.deepEqual(result.missingKeys, ['bias']);
    assert.deepEqual(b.weight.tolist(), a.weight.tolist());
    assert.throws(() => b.loadStateDict({ weight: weight! }, true), /missing keys: 'bias'/);
  });

  it('crossEntropy with float class indices hints at int32', () => {
    assert.throws(
      () => k.F.crossEntropy(k.randn([3, 2]), k.tensor([0, 1, 1])),
      /probability target \[3\] must have the input's shape \[3,2\]; class indices must be int32: .*target\.long\(\)/,
    );
    assert.ok(
      Number.isFinite(k.F.crossEntropy(k.randn([3, 2]), k.tensor([0, 1, 1]).long()).item()),
    );
  });

  it('a Module subclass without forward says so', () => {
    // As plain JavaScript would write it (TypeScript itself refuses a class without forward).
    const Base = k.nn.Module as unknown as new () => object;
    const NoForward = class extends Base {};
    const m = new NoForward() as unknown as { forward: (x: k.Tensor) => k.Tensor };
    assert.throws(
      () => m.forward(k.zeros([1])),
      /has no forward\(\): a Module subclass must define forward/,
    );
    // A forward given as a class field (plain JavaScript) still wins.
    const FieldForward = class extends Base {
      forward = (x: k.Tensor) => x.mul(2);
    };
    assert.deepEqual(
      (new FieldForward() as unknown as typeof m).forward(k.ones([1])).tolist(),
      [2],
    );
    assert.deepEqual(Object.keys(new k.nn.Linear(1, 1).stateDict()), ['weight', 'bias']);
  });
});
