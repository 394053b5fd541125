// Scheduler behaviour found untested by mutation testing of src/optim/lr-scheduler: resuming with
// lastEpoch, several schedulers on one optimizer, momentum delegation through SequentialLR and
// ChainedScheduler, option errors and their messages, and ReduceLROnPlateau's state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';

const S = k.optim.lrScheduler;
const sgd = (lrs: number[] = [0.1], momentum = 0.9) =>
  new k.optim.SGD(
    lrs.map((lr) => ({ params: [k.zeros([1], { requiresGrad: true })], lr })),
    { lr: 0.1, momentum },
  );
const lrs = (opt: k.optim.Optimizer) => opt.paramGroups.map((g) => g.lr);
const near = (a: number, b: number, what = '') =>
  assert.ok(Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('LRScheduler base', () => {
  test('a second scheduler keeps the initialLr set by the first', () => {
    const opt = sgd();
    new S.StepLR(opt, { stepSize: 1, gamma: 0.5 }).step();
    assert.equal(opt.paramGroups[0]!.lr, 0.05);
    const second = new S.ExponentialLR(opt, { gamma: 0.9 });
    assert.deepEqual(second.baseLrs, [0.1]);
    assert.deepEqual(lrs(opt), [0.1]);
  });

  test('lastEpoch resumes the schedule from groups that hold initialLr', () => {
    const opt = sgd([0.1, 0.2]);
    opt.paramGroups.forEach((g) => {
      g.initialLr = g.lr * 10;
    });
    const s = new S.StepLR(opt, { stepSize: 3, gamma: 0.5, lastEpoch: 5 });
    assert.equal(s.lastEpoch, 6);
    assert.deepEqual(s.baseLrs, [1, 2]);
    assert.deepEqual(lrs(opt), [0.25, 0.5]);
    assert.throws(() => new S.StepLR(sgd([0.1, 0.2]), { stepSize: 3, lastEpoch: 0 }), {
      name: 'ValueError',
      message: /^StepLR: lastEpoch is 0 but paramGroups\[0\] has no initialLr to resume from/,
    });
  });

  test('getLastLr and stateDict are copies; momentumAt is undefined without cycling', () => {
    const opt = sgd();
    const s = new S.LambdaLR(opt, { lrLambda: (e) => 1 / (e + 1) });
    s.getLastLr()[0] = 5;
    assert.deepEqual(s.getLastLr(), [0.1]);
    const sd = s.stateDict();
    sd.baseLrs[0] = 5;
    sd.lastLr[0] = 5;
    assert.deepEqual(s.baseLrs, [0.1]);
    assert.deepEqual(s.stateDict().lastLr, [0.1]);
    assert.equal(s.momentumAt(3, 0), undefined);
    assert.deepEqual(s.stateDict().options, {}, 'functions are not saved');
  });

  test('stateDict leaves out functions, arrays of functions and undefined options', () => {
    const opt = sgd([0.1, 0.2]);
    const s = new S.LambdaLR(opt, { lrLambda: [(e) => e + 1, (e) => e + 2] });
    assert.deepEqual(s.stateDict().options, {});
    const c = new S.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, scaleFn: (x) => 1 / x });
    const saved = c.stateDict().options;
    assert.equal('scaleFn' in saved, false);
    assert.deepEqual(saved.maxLrs, [0.1, 0.1]);
    assert.deepEqual(JSON.parse(JSON.stringify(saved)), saved);
  });

  test('loadStateDict writes the restored lr and checks its input', () => {
    const opt = sgd([0.1, 0.2]);
    const s = new S.ExponentialLR(opt, { gamma: 0.5 });
    for (let i = 0; i < 3; i++) s.step();
    const sd = s.stateDict();
    const other = sgd([0.1, 0.2]);
    const t = new S.ExponentialLR(other, { gamma: 0.9 });
    t.loadStateDict(sd);
    assert.deepEqual(lrs(other), [0.0125, 0.025]);
    assert.deepEqual(t.getLastLr(), [0.0125, 0.025]);
    assert.equal(t.lastEpoch, 3);
    for (const bad of [null, { baseLrs: [] }, { lastEpoch: 1 }]) {
      assert.throws(
        () => t.loadStateDict(bad as unknown as k.optim.lrScheduler.SchedulerStateDict),
        {
          name: 'ValueError',
          message: /^ExponentialLR\.loadStateDict: expected \{ lastEpoch, baseLrs, \.\.\. \}/,
        },
      );
    }
    assert.throws(() => t.loadStateDict({ ...sd, baseLrs: [0.1] }), {
      message:
        /^ExponentialLR\.loadStateDict: the state has 1 base lrs, the optimizer 2 param groups/,
    });
    const { options: _, ...noOptions } = sd;
    t.loadStateDict(noOptions as k.optim.lrScheduler.SchedulerStateDict);
    t.step();
    near(lrs(other)[0]!, 0.1 * 0.5 ** 4, 'options kept when the state has none');
  });

  test('stateDict leaves out an option a JS caller restored as undefined (JSON has none)', () => {
    const sched = new S.StepLR(sgd(), { stepSize: 2 });
    const sd = sched.stateDict();
    const options = { ...sd.options, note: undefined } as unknown as typeof sd.options;
    sched.loadStateDict({ ...sd, options });
    assert.deepEqual(sched.stateDict().options, { stepSize: 2, gamma: 0.1 });
    assert.deepEqual(JSON.parse(JSON.stringify(sched.stateDict())), sched.stateDict());
  });
});

describe('option errors name the scheduler, the option and the value', () => {
  const bad: [string, () => unknown, RegExp][] = [
    [
      'LambdaLR lrLambda',
      () => new S.LambdaLR(sgd(), { lrLambda: 3 as unknown as () => number }),
      /^LambdaLR: expected lrLambda to be a function or 1 functions/,
    ],
    [
      'MultiplicativeLR lrLambda count',
      () => new S.MultiplicativeLR(sgd([0.1, 0.2]), { lrLambda: [() => 1] }),
      /^MultiplicativeLR: expected lrLambda to be a function or 2 functions \(one per param group\)/,
    ],
    [
      'StepLR stepSize 1.5',
      () => new S.StepLR(sgd(), { stepSize: 1.5 }),
      /^StepLR: invalid stepSize 1\.5; expected an integer >= 1/,
    ],
    [
      'StepLR stepSize string',
      () => new S.StepLR(sgd(), { stepSize: '2' as unknown as number }),
      /^StepLR: invalid stepSize 2/,
    ],
    [
      'ConstantLR factor',
      () => new S.ConstantLR(sgd(), { factor: -0.1 }),
      /^ConstantLR: invalid factor -0\.1; expected 0 <= factor <= 1/,
    ],
    [
      'ConstantLR factor string',
      () => new S.ConstantLR(sgd(), { factor: '0.5' as unknown as number }),
      /^ConstantLR: invalid factor 0\.5/,
    ],
    [
      'ConstantLR factor NaN',
      () => new S.ConstantLR(sgd(), { factor: Number.NaN }),
      /^ConstantLR: invalid factor NaN/,
    ],
    [
      'ConstantLR totalIters',
      () => new S.ConstantLR(sgd(), { totalIters: -1 }),
      /^ConstantLR: invalid totalIters -1; expected an integer >= 0/,
    ],
    [
      'LinearLR startFactor > 1',
      () => new S.LinearLR(sgd(), { startFactor: 1.5 }),
      /^LinearLR: invalid startFactor 1\.5; expected 0 < startFactor <= 1/,
    ],
    [
      'LinearLR endFactor',
      () => new S.LinearLR(sgd(), { endFactor: 2 }),
      /^LinearLR: invalid endFactor 2/,
    ],
    [
      'LinearLR totalIters',
      () => new S.LinearLR(sgd(), { totalIters: 0 }),
      /^LinearLR: invalid totalIters 0; expected an integer >= 1/,
    ],
    [
      'ExponentialLR gamma',
      () => new S.ExponentialLR(sgd(), { gamma: Number.NaN }),
      /^ExponentialLR: invalid gamma NaN/,
    ],
    [
      'ExponentialLR no gamma',
      () => new S.ExponentialLR(sgd(), {} as { gamma: number }),
      /^ExponentialLR: invalid gamma undefined/,
    ],
    [
      'PolynomialLR totalIters',
      () => new S.PolynomialLR(sgd(), { totalIters: 0 }),
      /^PolynomialLR: invalid totalIters 0/,
    ],
    [
      'CosineAnnealingLR tMax',
      () => new S.CosineAnnealingLR(sgd(), { tMax: -2 }),
      /^CosineAnnealingLR: invalid tMax -2; expected > 0/,
    ],
    [
      'CosineAnnealingLR tMax string',
      () => new S.CosineAnnealingLR(sgd(), { tMax: '5' as unknown as number }),
      /^CosineAnnealingLR: invalid tMax 5; expected > 0/,
    ],
    [
      'CosineAnnealingLR no tMax',
      () => new S.CosineAnnealingLR(sgd(), {} as { tMax: number }),
      /^CosineAnnealingLR: invalid tMax undefined/,
    ],
    [
      'CosineAnnealingWarmRestarts t0',
      () => new S.CosineAnnealingWarmRestarts(sgd(), { t0: 0 }),
      /^CosineAnnealingWarmRestarts: invalid t0 0/,
    ],
    [
      'CosineAnnealingWarmRestarts tMult',
      () => new S.CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 0 }),
      /^CosineAnnealingWarmRestarts: invalid tMult 0/,
    ],
    [
      'CyclicLR stepSizeUp',
      () => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 }),
      /^CyclicLR: invalid stepSizeUp 0 \/ stepSizeDown 0/,
    ],
    [
      'CyclicLR stepSizeDown',
      () => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, stepSizeDown: -1 }),
      /^CyclicLR: invalid stepSizeUp 2 \/ stepSizeDown -1/,
    ],
    [
      'CyclicLR mode',
      () => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, mode: 'sine' as 'triangular' }),
      /^CyclicLR: unknown mode 'sine'; expected 'triangular', 'triangular2' or 'exp_range'/,
    ],
    [
      'CyclicLR baseLr count',
      () => new S.CyclicLR(sgd(), { baseLr: [0.01, 0.02], maxLr: 0.1 }),
      /^CyclicLR: expected 1 values for baseLr \(one per param group\), got 2/,
    ],
    [
      'CyclicLR maxLr count',
      () => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: [0.1, 0.2] }),
      /^CyclicLR: expected 1 values for maxLr/,
    ],
    [
      'CyclicLR momentum',
      () => new S.CyclicLR(new k.optim.Adagrad([k.zeros([1])]), { baseLr: 0.01, maxLr: 0.1 }),
      /^CyclicLR: cycleMomentum needs an optimizer with 'momentum' or 'betas'/,
    ],
    [
      'OneCycleLR totalSteps',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 0 }),
      /^OneCycleLR: invalid totalSteps 0/,
    ],
    [
      'OneCycleLR epochs',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, epochs: 0, stepsPerEpoch: 5 }),
      /^OneCycleLR: invalid epochs 0/,
    ],
    [
      'OneCycleLR stepsPerEpoch',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, epochs: 2, stepsPerEpoch: 0.5 }),
      /^OneCycleLR: invalid stepsPerEpoch 0\.5/,
    ],
    [
      'OneCycleLR epochs alone',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, epochs: 2 }),
      /^OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/,
    ],
    [
      'OneCycleLR pctStart',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 9, pctStart: 1.5 }),
      /^OneCycleLR: invalid pctStart 1\.5; expected 0 <= pctStart <= 1/,
    ],
    [
      'OneCycleLR annealStrategy',
      () => new S.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 9, annealStrategy: 'step' as 'cos' }),
      /^OneCycleLR: unknown annealStrategy 'step'; expected 'cos' or 'linear'/,
    ],
    [
      'OneCycleLR momentum',
      () => new S.OneCycleLR(new k.optim.Adagrad([k.zeros([1])]), { maxLr: 0.1, totalSteps: 9 }),
      /^OneCycleLR: cycleMomentum needs/,
    ],
    [
      'SequentialLR empty',
      () => new S.SequentialLR(sgd(), { schedulers: [], milestones: [] }),
      /^SequentialLR: needs at least one scheduler/,
    ],
    [
      'ChainedScheduler empty',
      () => new S.ChainedScheduler([]),
      /^ChainedScheduler: needs at least one scheduler/,
    ],
    [
      'ReduceLROnPlateau thresholdMode',
      () => new S.ReduceLROnPlateau(sgd(), { thresholdMode: 'pct' as 'rel' }),
      /^ReduceLROnPlateau: unknown thresholdMode 'pct'; expected 'rel' or 'abs'/,
    ],
    [
      'ReduceLROnPlateau factor',
      () => new S.ReduceLROnPlateau(sgd(), { factor: 1.5 }),
      /^ReduceLROnPlateau: invalid factor 1\.5; expected < 1/,
    ],
    [
      'ReduceLROnPlateau minLr count',
      () => new S.ReduceLROnPlateau(sgd(), { minLr: [0, 0] }),
      /^ReduceLROnPlateau: expected 1 values for minLr/,
    ],
  ];
  for (const [what, make, message] of bad) {
    test(what, () => {
      assert.throws(make, { name: 'ValueError', message });
    });
  }

  test('schedulers over different optimizers cannot be combined', () => {
    const a = sgd();
    const b = sgd();
    const sa = new S.ConstantLR(a);
    const sb = new S.ConstantLR(b);
    assert.throws(() => new S.ChainedScheduler([sa, sb]), {
      message: /^ChainedScheduler: scheduler 1 wraps a different optimizer than the others/,
    });
    assert.throws(() => new S.SequentialLR(a, { schedulers: [sa, sb], milestones: [2] }), {
      message: /^SequentialLR: scheduler 1 wraps a different optimizer than the others/,
    });
  });

  test('boundary values that PyTorch accepts', () => {
    assert.doesNotThrow(() => new S.ConstantLR(sgd(), { factor: 0, totalIters: 0 }));
    assert.doesNotThrow(() => new S.ConstantLR(sgd(), { factor: 1 }));
    assert.doesNotThrow(
      () => new S.LinearLR(sgd(), { startFactor: 1, endFactor: 0, totalIters: 1 }),
    );
    assert.doesNotThrow(() => new S.StepLR(sgd(), { stepSize: 1 }));
    assert.doesNotThrow(
      () => new S.CyclicLR(sgd(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 1, stepSizeDown: 0 }),
    );
    assert.doesNotThrow(() => new S.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 1, pctStart: 0 }));
    assert.doesNotThrow(() => new S.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 1, pctStart: 1 }));
  });
});
