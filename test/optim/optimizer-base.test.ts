// Optimizer base behaviour: zeroGrad, skipped parameters, stateDict round trips and their errors,
// option validation, and non-contiguous parameters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';
import {
  flat,
  label,
  makeOptimizer,
  makeParams,
  maxRelDiff,
  type OptimizerCase,
  refs,
  runSteps,
  setGrads,
} from './refs.js';

const half = refs.steps / 2;

describe('stateDict round trip', () => {
  // One case per optimizer kind, with its richest options (momentum, amsgrad, centered...).
  const byName = new Map<string, OptimizerCase>();
  for (const c of refs.optimizers) byName.set(c.name, c);

  for (const c of byName.values()) {
    test(`${label(c)}: save after ${half} steps, load into a fresh one, continue == uninterrupted`, () => {
      const params = makeParams('float64');
      const opt = makeOptimizer(c, params);
      runSteps(opt, params, 0, half);
      const sd = opt.stateDict();
      const saved = flat(params);
      // Later steps of the original must not leak into the snapshot.
      runSteps(opt, params, half, refs.steps);
      const straight = flat(params);

      const fresh = makeParams('float64');
      let at = 0;
      for (const p of fresh) {
        const values = saved.slice(at, at + p.numel());
        at += p.numel();
        k.noGrad(() => p.copy_(k.tensor(values, { dtype: 'float64', shape: p.shape })));
      }
      const resumed = makeOptimizer({ name: c.name, options: { ...c.options, lr: 123 } }, fresh);
      resumed.loadStateDict(sd);
      assert.equal(
        resumed.paramGroups[0]!.lr,
        opt.paramGroups[0]!.lr,
        'lr comes from the state dict',
      );
      runSteps(resumed, fresh, half, refs.steps);
      assert.deepEqual(flat(fresh), straight, 'bit for bit');
      assert.ok(maxRelDiff(straight, c.traj.at(-1)!) < 1e-12, 'and equal to PyTorch');
    });
  }

  test('state is keyed by parameter index across groups, with PyTorch state names', () => {
    const params = makeParams('float64');
    const opt = new k.optim.Adam([{ params: [params[0]!] }, { params: [params[1]!], lr: 0.1 }], {
      amsgrad: true,
    });
    setGrads(params, 0);
    opt.step();
    const sd = opt.stateDict();
    assert.deepEqual(
      sd.paramGroups.map((g) => g.params),
      [[0], [1]],
    );
    assert.deepEqual(Object.keys(sd.state[1]!).sort(), [
      'exp_avg',
      'exp_avg_sq',
      'max_exp_avg_sq',
      'step',
    ]);
    assert.equal(sd.state[1]!.step, 1);
    assert.deepEqual((sd.state[0]!.exp_avg as k.Tensor).shape, refs.shapes[0]);
    assert.equal(sd.paramGroups[1]!.lr, 0.1);
  });
});

describe('loadStateDict errors', () => {
  const make = () => {
    const params = makeParams('float64');
    const opt = new k.optim.SGD([{ params: [params[0]!] }, { params: [params[1]!] }], {
      lr: 0.1,
      momentum: 0.9,
    });
    setGrads(params, 0);
    opt.step();
    return opt;
  };

  test('group count', () => {
    const sd = make().stateDict();
    const other = new k.optim.SGD(makeParams('float64'), { lr: 0.1, momentum: 0.9 });
    assert.throws(() => other.loadStateDict(sd), {
      name: 'ValueError',
      message: /2 param groups, the optimizer has 1/,
    });
  });

  test('parameter count per group', () => {
    const sd = make().stateDict();
    const ps = makeParams('float64');
    const other = new k.optim.SGD([{ params: ps }, { params: [k.zeros([3])] }], { lr: 0.1 });
    assert.throws(() => other.loadStateDict(sd), {
      name: 'ValueError',
      message: /param group 0 has 1 parameters in the state dict, 2 in the optimizer/,
    });
  });

  test('tensor shapes', () => {
    const sd = make().stateDict();
    const other = new k.optim.SGD([{ params: [k.zeros([1, 4])] }, { params: [k.zeros([2])] }], {
      lr: 0.1,
    });
    assert.throws(() => other.loadStateDict(sd), {
      name: 'ValueError',
      message:
        /state 'momentum_buffer' of parameter 0 has shape \[2,2\], the parameter has \[1,4\]/,
    });
  });
});

describe('zeroGrad and gradients', () => {
  test('zeroGrad sets grads to null by default, zeros with setToNone: false', () => {
    const params = makeParams('float32');
    const opt = new k.optim.SGD(params, { lr: 0.1 });
    setGrads(params, 0);
    opt.zeroGrad({ setToNone: false });
    for (const p of params) {
      assert.ok(p.grad);
      assert.deepEqual(Array.from(p.grad.dataSync()), new Array(p.numel()).fill(0));
    }
    opt.zeroGrad();
    for (const p of params) assert.equal(p.grad, null);
  });

  test('parameters without a gradient are skipped and get no state', () => {
    const params = makeParams('float64');
    const before = Array.from(params[1]!.dataSync());
    const opt = new k.optim.Adam(params, { lr: 0.1 });
    params[0]!.grad = k.onesLike(params[0]!);
    opt.step();
    assert.deepEqual(Array.from(params[1]!.dataSync()), before);
    assert.equal(opt.state.has(params[1]!), false);
    assert.equal(opt.state.get(params[0])!.step, 1);
  });

  test('gradients from backward drive the update (y = sum(w^2), SGD lr 0.25 halves w)', () => {
    const w = k.tensor([2, -4], { requiresGrad: true });
    const opt = new k.optim.SGD([w], { lr: 0.25 });
    w.mul(w).sum().backward();
    opt.step();
    assert.deepEqual(w.toArray(), [1, -2]);
  });

  test('a non-contiguous parameter view is updated in place through a copy', () => {
    const base = k.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );
    const view = base.transpose(0, 1);
    view.requiresGrad = true;
    const opt = new k.optim.SGD([view], { lr: 0.5 });
    view.grad = k.ones([3, 2], { dtype: 'float64' });
    opt.step();
    assert.deepEqual(base.toArray(), [
      [0.5, 1.5, 2.5],
      [3.5, 4.5, 5.5],
    ]);
  });

  test('a gradient of the wrong shape is a ValueError', () => {
    const w = k.zeros([2, 3], { requiresGrad: true });
    const opt = new k.optim.SGD([w], { lr: 0.1 });
    w.grad = k.zeros([3, 2]);
    assert.throws(() => opt.step(), { name: 'ValueError', message: /gradient of shape \[3,2\]/ });
  });
});

describe('construction and validation', () => {
  test('PyTorch defaults', () => {
    const p = [k.zeros([2], { requiresGrad: true })];
    const d = (o: { defaults: object }) => o.defaults as Record<string, unknown>;
    assert.deepEqual(d(new k.optim.Adam(p)), {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      maximize: false,
    });
    assert.equal(d(new k.optim.AdamW(p)).weightDecay, 1e-2);
    assert.deepEqual(d(new k.optim.RMSprop(p)), {
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
      maximize: false,
    });
    assert.deepEqual(d(new k.optim.Adagrad(p)), {
      lr: 1e-2,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
      maximize: false,
    });
    assert.deepEqual(d(new k.optim.Adadelta(p)), {
      lr: 1,
      rho: 0.9,
      eps: 1e-6,
      weightDecay: 0,
      maximize: false,
    });
    assert.deepEqual(d(new k.optim.Adamax(p)), {
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      maximize: false,
    });
    assert.deepEqual(d(new k.optim.Lion(p)), {
      lr: 1e-4,
      betas: [0.9, 0.99],
      weightDecay: 0,
      maximize: false,
    });
  });

  test('invalid options name the option and the value', () => {
    const p = [k.zeros([2], { requiresGrad: true })];
    assert.throws(() => new k.optim.SGD(p, { lr: -0.1 }), {
      name: 'ValueError',
      message: /SGD: invalid lr -0\.1/,
    });
    assert.throws(() => new k.optim.SGD(p, { lr: 0.1, momentum: -1 }), {
      message: /invalid momentum -1/,
    });
    assert.throws(() => new k.optim.SGD(p, { lr: 0.1, nesterov: true }), {
      message: /nesterov needs momentum > 0/,
    });
    assert.throws(() => new k.optim.Adam(p, { betas: [1, 0.9] }), {
      message: /Adam: invalid betas\[0\] 1/,
    });
    assert.throws(() => new k.optim.AdamW(p, { eps: -1 }), { message: /AdamW: invalid eps -1/ });
    assert.throws(() => new k.optim.RMSprop(p, { alpha: -0.5 }), {
      message: /invalid alpha -0\.5/,
    });
    assert.throws(() => new k.optim.Adagrad(p, { lrDecay: -1 }), { message: /invalid lrDecay -1/ });
    assert.throws(() => new k.optim.Adadelta(p, { rho: 1.5 }), { message: /invalid rho 1\.5/ });
    assert.throws(() => new k.optim.Lion(p, { weightDecay: -1 }), {
      message: /invalid weightDecay -1/,
    });
    assert.throws(() => new k.optim.Adam([], {}), {
      name: 'ValueError',
      message: /empty parameter list/,
    });
  });

  test('a parameter in two groups is rejected', () => {
    const [a, b] = makeParams('float32');
    const opt = new k.optim.SGD([{ params: [a!] }], { lr: 0.1 });
    assert.throws(() => opt.addParamGroup({ params: [b!, a!] }), {
      name: 'ValueError',
      message: /already in another group/,
    });
    opt.addParamGroup({ params: [b!], lr: 0.5 });
    assert.equal(opt.paramGroups[1]!.lr, 0.5);
    assert.equal(opt.paramGroups[1]!.momentum, 0);
  });
});
