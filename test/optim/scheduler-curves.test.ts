// Scheduler curves and composites checked by hand-derived values (mutation testing of
// src/optim/lr-scheduler): defaults, MultiplicativeLR's cache, warm-restart cycles, CyclicLR's
// scaleFn modes, OneCycleLR's group fields and resume, SequentialLR / ChainedScheduler momentum.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';

const S = k.optim.lrScheduler;
const sgd = (lrs: number[] = [0.1], momentum = 0.9) =>
  new k.optim.SGD(
    lrs.map((lr) => ({ params: [k.zeros([1], { requiresGrad: true })], lr })),
    { lr: 0.1, momentum },
  );
const near = (a: number, b: number, what = '') =>
  assert.ok(Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** The lr of group 0 after each of `n` steps (construction's epoch 0 first). */
function curve(s: { step(): void }, opt: k.optim.Optimizer, n: number): number[] {
  const out = [opt.paramGroups[0]!.lr];
  for (let i = 1; i < n; i++) {
    s.step();
    out.push(opt.paramGroups[0]!.lr);
  }
  return out;
}

describe('closed forms and defaults, as PyTorch', () => {
  test('StepLR and MultiStepLR default gamma 0.1; milestones in any order', () => {
    const a = sgd();
    assert.deepEqual(
      curve(new S.StepLR(a, { stepSize: 2 }), a, 5).map((x) => x.toPrecision(12)),
      [
        '0.100000000000',
        '0.100000000000',
        '0.0100000000000',
        '0.0100000000000',
        '0.00100000000000',
      ],
    );
    const b = sgd();
    const c = sgd();
    const unsorted = curve(new S.MultiStepLR(b, { milestones: [4, 1, 4] }), b, 6);
    const sorted = curve(new S.MultiStepLR(c, { milestones: [1, 4, 4] }), c, 6);
    assert.deepEqual(unsorted, sorted);
    near(unsorted[1]!, 0.01);
    near(unsorted[4]!, 0.1 * 0.1 ** 3);
  });

  test('PolynomialLR defaults: 5 iterations, power 1; CosineAnnealingLR etaMin 0', () => {
    const a = sgd();
    const p = curve(new S.PolynomialLR(a), a, 7);
    [1, 0.8, 0.6, 0.4, 0.2, 0, 0].forEach((f, i) => {
      near(p[i]!, 0.1 * f, `poly ${i}`);
    });
    const b = sgd();
    const c = curve(new S.CosineAnnealingLR(b, { tMax: 4 }), b, 5);
    near(c[4]!, 0, 'cosine reaches 0 at tMax');
    near(c[2]!, 0.05);
  });

  test('MultiplicativeLR: lrAt of an earlier epoch after a later one, per group', () => {
    const opt = sgd([0.1, 0.2]);
    const s = new S.MultiplicativeLR(opt, { lrLambda: [(e) => 1 - 0.1 * e, () => 0.5] });
    const prod = (e: number) => {
      let f = 1;
      for (let i = 1; i <= e; i++) f *= 1 - 0.1 * i;
      return f;
    };
    near(s.lrAt(6, 0.1, 0), 0.1 * prod(6));
    near(s.lrAt(2, 0.1, 0), 0.1 * prod(2));
    near(s.lrAt(3, 0.2, 1), 0.2 * 0.125);
    near(s.lrAt(0, 0.1, 0), 0.1);
    near(s.lrAt(4, 0.1, 0), 0.1 * prod(4));
  });

  test('CosineAnnealingWarmRestarts: cycle positions', () => {
    const s = new S.CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 3 });
    assert.deepEqual(
      [0, 1, 2, 7, 8, 26].map((e) => s.cycleAt(e)),
      [
        { tCur: 0, tI: 2 },
        { tCur: 1, tI: 2 },
        { tCur: 0, tI: 6 },
        { tCur: 5, tI: 6 },
        { tCur: 0, tI: 18 },
        { tCur: 18, tI: 54 },
      ]
        .slice(0, 5)
        .concat([{ tCur: 0, tI: 54 }]),
    );
    const one = new S.CosineAnnealingWarmRestarts(sgd(), { t0: 3 });
    assert.deepEqual(one.cycleAt(7), { tCur: 1, tI: 3 });
  });

  test('CyclicLR with scaleFn: by cycle (default) or by iteration', () => {
    const a = sgd();
    const byCycle = new S.CyclicLR(a, {
      baseLr: 0,
      maxLr: 1,
      stepSizeUp: 2,
      scaleFn: (x) => 1 / x,
      cycleMomentum: false,
    });
    const b = sgd();
    const byIter = new S.CyclicLR(b, {
      baseLr: 0,
      maxLr: 1,
      stepSizeUp: 2,
      scaleFn: (x) => 1 / (x + 1),
      scaleMode: 'iterations',
      cycleMomentum: false,
    });
    const ca = curve(byCycle, a, 7);
    const cb = curve(byIter, b, 7);
    // Triangle 0, .5, 1, .5, 0, .5, 1 scaled by 1 / cycle (cycles of 4 steps) or 1 / (step + 1).
    [0, 0.5, 1, 0.5, 0, 0.25, 0.5].forEach((v, i) => {
      near(ca[i]!, v, `cycle ${i}`);
    });
    [0, 0.5, 1, 0.5, 0, 0.5, 1].forEach((v, i) => {
      near(cb[i]!, v / (i + 1), `iterations ${i}`);
    });
    assert.equal(a.paramGroups[0]!.momentum, 0.9, 'momentum left alone');
  });

  test('CyclicLR exp_range defaults gamma to 1; lastEpoch leaves the groups lr alone', () => {
    const a = sgd();
    const c = curve(
      new S.CyclicLR(a, { baseLr: 0, maxLr: 1, stepSizeUp: 2, mode: 'exp_range' }),
      a,
      5,
    );
    [0, 0.5, 1, 0.5, 0].forEach((v, i) => {
      near(c[i]!, v);
    });
    const b = sgd();
    b.paramGroups[0]!.initialLr = 0.1;
    b.paramGroups[0]!.lr = 0.7;
    const r = new S.CyclicLR(b, { baseLr: 0, maxLr: 1, stepSizeUp: 2, lastEpoch: 0 });
    assert.equal(r.lastEpoch, 1);
    near(b.paramGroups[0]!.lr, 0.5);
    assert.deepEqual(r.baseLrs, [0]);
  });

  test('OneCycleLR records initialLr, maxLr, minLr and the momentum range in the groups', () => {
    const opt = sgd([0.1, 0.2]);
    new S.OneCycleLR(opt, {
      maxLr: [1, 2],
      totalSteps: 10,
      divFactor: 4,
      finalDivFactor: 5,
      baseMomentum: 0.5,
      maxMomentum: [0.9, 0.8],
    });
    const g = opt.paramGroups[1]!;
    assert.deepEqual(
      [g.initialLr, g.maxLr, g.minLr, g.maxMomentum, g.baseMomentum],
      [0.5, 2, 0.1, 0.8, 0.5],
    );
    assert.equal(g.lr, 0.5);
    assert.equal(g.momentum, 0.8);
    const plain = sgd();
    new S.OneCycleLR(plain, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    assert.equal(plain.paramGroups[0]!.maxMomentum, undefined);
    assert.equal(plain.paramGroups[0]!.momentum, 0.9);
  });

  test('OneCycleLR resumes from lastEpoch without resetting the groups', () => {
    const opt = sgd();
    const first = new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    for (let i = 0; i < 4; i++) first.step();
    const lr = opt.paramGroups[0]!.lr;
    opt.paramGroups[0]!.initialLr = 123;
    const resumed = new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, lastEpoch: 3 });
    assert.equal(opt.paramGroups[0]!.initialLr, 123);
    assert.equal(opt.paramGroups[0]!.lr, lr);
    assert.equal(resumed.lastEpoch, 4);
  });

  test('OneCycleLR linear: phase ends land on maxLr and minLr exactly', () => {
    const opt = sgd();
    const c = curve(
      new S.OneCycleLR(opt, {
        maxLr: 1,
        totalSteps: 11,
        pctStart: 0.5,
        annealStrategy: 'linear',
        divFactor: 10,
        finalDivFactor: 10,
        cycleMomentum: false,
      }),
      opt,
      11,
    );
    near(c[0]!, 0.1);
    near(c[2]!, 0.1 + (0.9 * 2) / 4.5);
    near(Math.max(...c), c[5]!);
    near(c[10]!, 0.01);
  });
});

describe('composite schedulers', () => {
  test('SequentialLR passes momentum through and sets the active child epoch', () => {
    const opt = sgd();
    const warm = new S.ConstantLR(opt, { factor: 0.5, totalIters: 10 });
    const cyc = new S.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 });
    const seq = new S.SequentialLR(opt, { schedulers: [warm, cyc], milestones: [3] });
    const ms: number[] = [];
    for (let i = 0; i < 6; i++) {
      ms.push(opt.paramGroups[0]!.momentum);
      seq.step();
    }
    assert.deepEqual(ms.slice(0, 3), [0.9, 0.9, 0.9], 'ConstantLR leaves the momentum alone');
    [0.9, 0.85, 0.8].forEach((m, i) => {
      near(ms[3 + i]!, m, `momentum at ${3 + i}`);
    });
    assert.equal(cyc.lastEpoch, 3, 'child at epoch 6 - 3');
    assert.equal(seq.momentumAt(1, 0), undefined);
  });

  test('SequentialLR and ChainedScheduler restore their children from the state dict', () => {
    const build = (gamma: number) => {
      const opt = sgd();
      const seq = new S.SequentialLR(opt, {
        schedulers: [
          new S.ConstantLR(opt, { factor: 0.5, totalIters: 2 }),
          new S.ExponentialLR(opt, { gamma }),
        ],
        milestones: [2],
      });
      return { opt, seq };
    };
    const a = build(0.5);
    for (let i = 0; i < 4; i++) a.seq.step();
    const b = build(0.9);
    b.seq.loadStateDict(JSON.parse(JSON.stringify(a.seq.stateDict())));
    a.seq.step();
    b.seq.step();
    near(
      b.opt.paramGroups[0]!.lr,
      a.opt.paramGroups[0]!.lr,
      'the child gamma comes from the state',
    );
    near(b.opt.paramGroups[0]!.lr, 0.1 * 0.5 ** 3);
    const c1 = sgd();
    const chainA = new S.ChainedScheduler([new S.ExponentialLR(c1, { gamma: 0.5 })]);
    chainA.step();
    const c2 = sgd();
    const chainB = new S.ChainedScheduler([new S.ExponentialLR(c2, { gamma: 0.9 })]);
    chainB.loadStateDict(chainA.stateDict());
    chainB.step();
    near(c2.paramGroups[0]!.lr, 0.1 * 0.25);
  });

  test('ChainedScheduler: children already stepped keep their offset; their epochs follow the chain', () => {
    const opt = sgd();
    const exp = new S.ExponentialLR(opt, { gamma: 0.5 });
    const cyc = new S.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
    cyc.step();
    cyc.step();
    const chain = new S.ChainedScheduler([exp, cyc]);
    assert.equal(chain.momentumAt(1, 0), cyc.momentumAt(3, 0));
    near(chain.momentumAt(1, 0)!, 0.9 - 0.1 * 0.75);
    for (let i = 0; i < 3; i++) chain.step();
    assert.deepEqual([exp.lastEpoch, cyc.lastEpoch], [3, 5]);
  });

  test('SequentialLR loadStateDict needs one state per child', () => {
    const opt = sgd();
    const seq = new S.SequentialLR(opt, {
      schedulers: [new S.ConstantLR(opt), new S.ExponentialLR(opt, { gamma: 0.5 })],
      milestones: [2],
    });
    const sd = seq.stateDict();
    assert.throws(() => seq.loadStateDict({ ...sd, schedulers: sd.schedulers!.slice(1) }), {
      name: 'ValueError',
      message: /^SequentialLR\.loadStateDict: the state has 1 schedulers, this one 2/,
    });
    assert.throws(() => seq.loadStateDict({ ...sd, schedulers: undefined }), {
      message: /the state has 0 schedulers/,
    });
  });

  test('ChainedScheduler: a zero base lr passes the child value through; last momentum wins', () => {
    const opt = sgd([0]);
    const lin = new S.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const cyc = new S.CyclicLR(opt, { baseLr: 0, maxLr: 0.1, stepSizeUp: 2 });
    const chain = new S.ChainedScheduler([lin, cyc]);
    near(chain.lrAt(1, 0, 0), 0.05);
    assert.equal(chain.momentumAt(1, 0), cyc.momentumAt(1, 0));
    const noMomentum = new S.ChainedScheduler([lin]);
    assert.equal(noMomentum.momentumAt(1, 0), undefined);
    assert.throws(() => chain.loadStateDict({ ...chain.stateDict(), schedulers: [] }), {
      message: /^ChainedScheduler\.loadStateDict: the state has 0 schedulers, this one 2/,
    });
  });
});
