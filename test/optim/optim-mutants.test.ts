// Optimizer behaviour that mutation testing of src/optim found untested: the js update loops that
// the native fused SGD/Adam kernels hide (views at an offset included), SGD's formula with every
// option, and option validation with its messages (see also optimizer-state.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k from '../../src/index.js';
import { optionsArg } from '../../src/optim/optimizer.js';
import { flat, label, makeOptimizer, makeParams, maxRelDiff, refs, runSteps } from './refs.js';

const f64 = (values: number[]) => k.tensor(values, { dtype: 'float64', requiresGrad: true });
const grad = (values: number[]) => k.tensor(values, { dtype: 'float64' });
const values = (t: k.Tensor) => Array.from(t.dataSync());

describe('js backend: the update loops behind the native fused kernels match PyTorch', () => {
  let previous = 'native';
  before(() => {
    previous = k.getBackend();
    k.setBackend('js');
  });
  after(() => k.setBackend(previous));

  // SGD and Adam (without amsgrad) run the addon's fused kernel when the native backend is active;
  // these cases run their js loops (the reference the kernels must equal bit for bit).
  const fusedCases = [...refs.optimizers, ...refs.groups].filter(
    (c) => c.name === 'SGD' || c.name === 'Adam' || c.name === 'AdamW',
  );
  for (const c of fusedCases) {
    test(`${label(c)}${c.groups ? ' groups' : ''}: float64 trajectory and float32 end`, () => {
      assert.equal(k.getBackend(), 'js');
      const params = makeParams('float64');
      const traj = runSteps(makeOptimizer(c, params), params, 0, refs.steps, c.lrChanges);
      traj.forEach((row, t) => {
        const d = maxRelDiff(row, c.traj[t]!);
        assert.ok(d < 1e-12, `step ${t + 1}: max rel diff ${d}`);
      });
      if (c.final32) {
        const p32 = makeParams('float32');
        runSteps(makeOptimizer(c, p32), p32, 0, refs.steps);
        const d = maxRelDiff(flat(p32), c.final32);
        assert.ok(d < 5e-6, `float32: max rel diff ${d}`);
      }
    });
  }

  test('SGD without momentum: p -= lr * (sign * g + weightDecay * p), maximize included', () => {
    for (const maximize of [false, true]) {
      const p = f64([1, -2]);
      const opt = new k.optim.SGD([p], { lr: 0.1, weightDecay: 0.25, maximize });
      const want = [1, -2];
      for (const g of [
        [3, 1],
        [-1, 2],
      ]) {
        p.grad = grad(g);
        opt.step();
        for (let i = 0; i < 2; i++)
          want[i] = want[i]! - 0.1 * ((maximize ? -1 : 1) * g[i]! + 0.25 * want[i]!);
      }
      assert.ok(maxRelDiff(values(p), want) < 1e-15, `maximize ${maximize}: ${values(p)}`);
    }
  });

  for (const [name, build] of [
    ['SGD', (p: k.Tensor[]) => new k.optim.SGD(p, { lr: 0.1, weightDecay: 0.1 })],
    [
      'SGD momentum',
      (p: k.Tensor[]) => new k.optim.SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 }),
    ],
    ['Adam', (p: k.Tensor[]) => new k.optim.Adam(p, { lr: 0.1, weightDecay: 0.1 })],
    ['AdamW', (p: k.Tensor[]) => new k.optim.AdamW(p, { lr: 0.1, weightDecay: 0.1 })],
  ] as const) {
    test(`${name}: a view at an offset into a larger storage is updated as a standalone copy`, () => {
      const base = k.tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'float64' });
      const view = base.narrow(0, 2, 4);
      view.requiresGrad = true;
      const alone = f64([3, 4, 5, 6]);
      const a = build([view]);
      const b = build([alone]);
      for (let step = 1; step <= 3; step++) {
        // The gradient is a view at an offset too.
        const gBase = grad([9, 9, 9, 0.5 * step, -step, 2, -0.25 * step, 9]);
        view.grad = gBase.narrow(0, 3, 4);
        alone.grad = grad([0.5 * step, -step, 2, -0.25 * step]);
        a.step();
        b.step();
      }
      const out = values(base);
      assert.deepEqual(out.slice(0, 2), [1, 2]);
      assert.deepEqual(out.slice(6), [7, 8]);
      assert.deepEqual(out.slice(2, 6), values(alone));
      assert.notDeepEqual(out.slice(2, 6), [3, 4, 5, 6]);
    });
  }
});

describe('SGD: formulas in float64', () => {
  test('momentum with dampening and weight decay, step by step', () => {
    const p = f64([1, -2]);
    const opt = new k.optim.SGD([p], {
      lr: 0.1,
      momentum: 0.5,
      dampening: 0.25,
      weightDecay: 0.2,
    });
    const gs = [
      [1, 3],
      [-2, 0.5],
      [4, -1],
    ];
    const want = [1, -2];
    const buf = [0, 0];
    gs.forEach((g, t) => {
      p.grad = grad(g);
      opt.step();
      for (let i = 0; i < 2; i++) {
        const d = g[i]! + 0.2 * want[i]!;
        buf[i] = t === 0 ? d : 0.5 * buf[i]! + 0.75 * d;
        want[i] = want[i]! - 0.1 * buf[i]!;
      }
      assert.ok(maxRelDiff(values(p), want) < 1e-15, `step ${t + 1}`);
    });
  });
});

describe('optimizer option validation names the optimizer, the option and the value', () => {
  const p = () => [k.zeros([2], { requiresGrad: true })];
  const bad: [string, () => unknown, RegExp][] = [
    [
      'SGD weightDecay',
      () => new k.optim.SGD(p(), { weightDecay: -1 }),
      /^SGD: invalid weightDecay -1/,
    ],
    ['SGD momentum', () => new k.optim.SGD(p(), { momentum: -1 }), /^SGD: invalid momentum -1/],
    [
      'SGD dampening string',
      () => new k.optim.SGD(p(), { dampening: '0.5' as unknown as number }),
      /^SGD: invalid dampening 0\.5/,
    ],
    [
      'SGD dampening Infinity',
      () => new k.optim.SGD(p(), { dampening: Number.POSITIVE_INFINITY }),
      /^SGD: invalid dampening Infinity/,
    ],
    [
      'SGD options',
      () => new k.optim.SGD(p(), 'fast' as unknown as number),
      /^SGD: the second argument must be an options object/,
    ],
    [
      'Adam options',
      () => new k.optim.Adam(p(), [0.1] as unknown as number),
      /^Adam: the second argument/,
    ],
    [
      'AdamW options',
      () => new k.optim.AdamW(p(), null as unknown as number),
      /^AdamW: the second argument .* got null/,
    ],
    ['Adam eps', () => new k.optim.Adam(p(), { eps: -1 }), /^Adam: invalid eps -1/],
    [
      'Adam weightDecay',
      () => new k.optim.Adam(p(), { weightDecay: -1 }),
      /^Adam: invalid weightDecay -1/,
    ],
    [
      'AdamW betas[1]',
      () => new k.optim.AdamW(p(), { betas: [0.9, 1] }),
      /^AdamW: invalid betas\[1\] 1; expected 0 <= betas\[1\] < 1/,
    ],
    [
      'Adam betas[0] < 0',
      () => new k.optim.Adam(p(), { betas: [-0.1, 0.9] }),
      /^Adam: invalid betas\[0\] -0\.1/,
    ],
    [
      'Adam betas NaN',
      () => new k.optim.Adam(p(), { betas: [Number.NaN, 0.9] }),
      /^Adam: invalid betas\[0\] NaN/,
    ],
    [
      'Adam betas length',
      () => new k.optim.Adam(p(), { betas: [0.9, 0.9, 0.9] as unknown as [number, number] }),
      /^Adam: invalid betas 0\.9,0\.9,0\.9; expected a pair/,
    ],
    [
      'Adam betas not array',
      () => new k.optim.Adam(p(), { betas: 0.9 as unknown as [number, number] }),
      /^Adam: invalid betas 0\.9; expected a pair/,
    ],
    [
      'Adamax options',
      () => new k.optim.Adamax(p(), 'x' as unknown as number),
      /^Adamax: the second argument/,
    ],
    ['Adamax eps', () => new k.optim.Adamax(p(), { eps: -1 }), /^Adamax: invalid eps -1/],
    [
      'Adamax weightDecay',
      () => new k.optim.Adamax(p(), { weightDecay: -1 }),
      /^Adamax: invalid weightDecay -1/,
    ],
    [
      'Adamax betas',
      () => new k.optim.Adamax(p(), { betas: [0.9, 2] }),
      /^Adamax: invalid betas\[1\] 2/,
    ],
    [
      'RMSprop options',
      () => new k.optim.RMSprop(p(), 'x' as unknown as number),
      /^RMSprop: the second argument/,
    ],
    ['RMSprop alpha', () => new k.optim.RMSprop(p(), { alpha: -1 }), /^RMSprop: invalid alpha -1/],
    ['RMSprop eps', () => new k.optim.RMSprop(p(), { eps: -1 }), /^RMSprop: invalid eps -1/],
    [
      'RMSprop weightDecay',
      () => new k.optim.RMSprop(p(), { weightDecay: -1 }),
      /^RMSprop: invalid weightDecay -1/,
    ],
    [
      'RMSprop momentum',
      () => new k.optim.RMSprop(p(), { momentum: -1 }),
      /^RMSprop: invalid momentum -1/,
    ],
    [
      'Adagrad options',
      () => new k.optim.Adagrad(p(), 'x' as unknown as number),
      /^Adagrad: the second argument/,
    ],
    [
      'Adagrad lrDecay',
      () => new k.optim.Adagrad(p(), { lrDecay: -1 }),
      /^Adagrad: invalid lrDecay -1/,
    ],
    [
      'Adagrad weightDecay',
      () => new k.optim.Adagrad(p(), { weightDecay: -1 }),
      /^Adagrad: invalid weightDecay -1/,
    ],
    [
      'Adagrad initialAccumulatorValue',
      () => new k.optim.Adagrad(p(), { initialAccumulatorValue: -1 }),
      /^Adagrad: invalid initialAccumulatorValue -1/,
    ],
    ['Adagrad eps', () => new k.optim.Adagrad(p(), { eps: -1 }), /^Adagrad: invalid eps -1/],
    [
      'Adadelta options',
      () => new k.optim.Adadelta(p(), 'x' as unknown as number),
      /^Adadelta: the second argument/,
    ],
    [
      'Adadelta rho',
      () => new k.optim.Adadelta(p(), { rho: -0.5 }),
      /^Adadelta: invalid rho -0\.5; expected 0 <= rho < 1/,
    ],
    ['Adadelta eps', () => new k.optim.Adadelta(p(), { eps: -1 }), /^Adadelta: invalid eps -1/],
    [
      'Adadelta weightDecay',
      () => new k.optim.Adadelta(p(), { weightDecay: -1 }),
      /^Adadelta: invalid weightDecay -1/,
    ],
    [
      'Lion options',
      () => new k.optim.Lion(p(), 'x' as unknown as number),
      /^Lion: the second argument/,
    ],
    [
      'Adam betas string',
      () => new k.optim.Adam(p(), { betas: ['0.5', 0.9] as unknown as [number, number] }),
      /^Adam: invalid betas\[0\] 0\.5/,
    ],
    [
      'Lion weightDecay',
      () => new k.optim.Lion(p(), { weightDecay: -1 }),
      /^Lion: invalid weightDecay -1/,
    ],
    ['Lion betas', () => new k.optim.Lion(p(), { betas: [1, 0.9] }), /^Lion: invalid betas\[0\] 1/],
    [
      'lr NaN',
      () => new k.optim.SGD(p(), { lr: Number.NaN }),
      /^SGD: invalid lr NaN; expected a number >= 0/,
    ],
    [
      'lr Infinity',
      () => new k.optim.SGD(p(), { lr: Number.POSITIVE_INFINITY }),
      /^SGD: invalid lr Infinity/,
    ],
    [
      'lr string',
      () => new k.optim.SGD(p(), { lr: '0.1' as unknown as number }),
      /^SGD: invalid lr 0\.1/,
    ],
  ];
  for (const [what, make, message] of bad) {
    test(what, () => {
      assert.throws(make, { name: 'ValueError', message });
    });
  }

  test('optionsArg: undefined is no options, a number is the lr', () => {
    assert.deepEqual(optionsArg('SGD', undefined), {});
    assert.deepEqual(optionsArg('SGD', 0.5), { lr: 0.5 });
  });

  test('boundary values that PyTorch accepts', () => {
    assert.doesNotThrow(() => new k.optim.SGD(p(), { lr: 0, momentum: 0, weightDecay: 0 }));
    assert.doesNotThrow(() => new k.optim.Adam(p(), { betas: [0, 0], eps: 0 }));
    assert.doesNotThrow(() => new k.optim.Adadelta(p(), { rho: 1 }));
    assert.doesNotThrow(() => new k.optim.Adadelta(p(), { rho: 0 }));
    assert.equal(new k.optim.Adagrad(p(), 0.5).paramGroups[0]!.lr, 0.5);
    assert.equal(new k.optim.Adam(p(), undefined).paramGroups[0]!.lr, 1e-3);
  });

  test('constructor betas are copied, never shared with the caller or between groups', () => {
    for (const make of [
      (b: [number, number]) => new k.optim.Adam(p(), { betas: b }),
      (b: [number, number]) => new k.optim.Adamax(p(), { betas: b }),
      (b: [number, number]) => new k.optim.Lion(p(), { betas: b }),
    ]) {
      const betas: [number, number] = [0.5, 0.6];
      const opt = make(betas);
      betas[0] = 0.1;
      const g = opt.paramGroups[0] as unknown as { betas: number[] };
      assert.deepEqual(g.betas, [0.5, 0.6]);
      assert.deepEqual((opt.defaults as unknown as { betas: number[] }).betas, [0.5, 0.6]);
      g.betas[0] = 0.2;
      assert.equal((opt.defaults as unknown as { betas: number[] }).betas[0], 0.5);
    }
  });
});
