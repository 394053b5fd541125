// Every scheduler against PyTorch 1.13's learning-rate sequence (and momentum sequence for
// CyclicLR / OneCycleLR), state dict round trips mid-sequence, and option errors.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as k from '../../src/index.js';
import type { Optimizer } from '../../src/optim/index.js';
import type { LRScheduler } from '../../src/optim/lr-scheduler/index.js';
import {
  makeScheduler,
  maxRelDiff,
  momentumOf,
  refs,
  type SchedulerSpec,
  schedulerOptimizer,
} from './refs.js';

const S = k.optim.lrScheduler;
let worst = 0;
after(() => console.log(`# schedulers vs PyTorch: max rel diff ${worst.toExponential(2)}`));

function close(actual: number[], expected: number[], what: string): void {
  const d = maxRelDiff(actual, expected);
  worst = Math.max(worst, d);
  assert.ok(d < 1e-12, `${what}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
}

function specLabel(s: SchedulerSpec): string {
  const inner = s.children ? ` [${s.children.map(specLabel).join(', ')}]` : '';
  const groups = s.groupLrs ? ` groups ${JSON.stringify(s.groupLrs)}` : '';
  const adam = s.optimizer === 'Adam' ? ' on Adam' : '';
  return `${s.name} ${JSON.stringify(s.options ?? {})}${inner}${groups}${adam}`;
}

/** Steps `sched` from reference index `from` to `to`, checking lr (and momentum) at each. */
function follow(
  spec: SchedulerSpec,
  opt: Optimizer,
  sched: { step(metric?: number): void; getLastLr(): number[] },
  from: number,
  to: number,
): void {
  for (let t = from; t < to; t++) {
    if (t > 0 || spec.metrics) {
      if (spec.metrics) (sched as k.optim.lrScheduler.ReduceLROnPlateau).step(spec.metrics[t]!);
      else sched.step();
    }
    close(
      opt.paramGroups.map((g) => g.lr),
      spec.lrs[t]!,
      `lr at ${t}`,
    );
    close(sched.getLastLr(), spec.lrs[t]!, `getLastLr at ${t}`);
    if (spec.momentum) close(momentumOf(opt), spec.momentum?.[t] ?? [], `momentum at ${t}`);
  }
}

function build(spec: SchedulerSpec): {
  opt: Optimizer;
  sched: LRScheduler | k.optim.lrScheduler.ReduceLROnPlateau;
} {
  const { opt } = schedulerOptimizer(spec);
  if (spec.name === 'ReduceLROnPlateau')
    return {
      opt,
      sched: new S.ReduceLROnPlateau(
        opt,
        spec.options as k.optim.lrScheduler.ReduceLROnPlateauOptions,
      ),
    };
  return { opt, sched: makeScheduler(opt, spec) };
}

describe('schedulers match PyTorch', () => {
  const names = new Set(refs.schedulers.map((s) => s.name));
  test('every scheduler has a reference', () => {
    for (const name of Object.keys(S)) if (name !== 'LRScheduler') assert.ok(names.has(name), name);
  });

  for (const spec of refs.schedulers) {
    test(`${specLabel(spec)}: ${spec.lrs.length} values`, () => {
      assert.ok(spec.lrs.length > 30);
      const { opt, sched } = build(spec);
      follow(spec, opt, sched, 0, spec.lrs.length);
      // A sequence that never changes would prove nothing.
      assert.ok(new Set(spec.lrs.map((r) => r[0])).size >= 2);
    });

    test(`${specLabel(spec)}: stateDict round trip mid-sequence`, () => {
      const n = spec.lrs.length;
      const mid = Math.floor(n / 2);
      const first = build(spec);
      follow(spec, first.opt, first.sched, 0, mid);
      const sd = JSON.parse(JSON.stringify(first.sched.stateDict()));
      const second = build(spec);
      // A fresh optimizer and scheduler at step 0; only the scheduler state is restored.
      (second.sched.loadStateDict as (s: unknown) => void)(sd);
      if (spec.name === 'ReduceLROnPlateau')
        second.opt.paramGroups.forEach((g, i) => {
          g.lr = first.opt.paramGroups[i]!.lr;
        });
      follow(spec, second.opt, second.sched, mid, n);
      follow(spec, first.opt, first.sched, mid, n);
    });
  }
});

describe('momentum cycling', () => {
  test("CyclicLR cycles Adam's betas[0] as SGD's momentum, keeping betas[1]", () => {
    const spec = refs.schedulers.find((s) => s.name === 'CyclicLR' && s.momentum && !s.groupLrs)!;
    const { opt: sgd } = schedulerOptimizer(spec);
    const { opt: adam } = schedulerOptimizer({ ...spec, optimizer: 'Adam' });
    const a = makeScheduler(sgd, spec);
    const b = makeScheduler(adam, spec);
    const momentum = spec.momentum ?? [];
    assert.equal(momentum.length, spec.lrs.length);
    for (let t = 0; t < spec.lrs.length; t++) {
      if (t > 0) {
        a.step();
        b.step();
      }
      close(momentumOf(sgd), momentum[t]!, `SGD momentum at ${t}`);
      close(momentumOf(adam), momentum[t]!, `Adam beta1 at ${t}`);
      assert.equal((adam.paramGroups[0] as unknown as { betas: number[] }).betas[1], 0.999);
    }
  });

  test('an optimizer without momentum needs cycleMomentum: false', () => {
    const opt = new k.optim.Adagrad([k.zeros([2], { requiresGrad: true })], { lr: 0.1 });
    assert.throws(() => new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 }), {
      name: 'ValueError',
      message: /cycleMomentum/,
    });
    const s = new S.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false });
    close(s.getLastLr(), [0.1 / 25], 'initial lr');
  });
});

describe('scheduler behaviour', () => {
  const fresh = (lr = 0.1) =>
    new k.optim.SGD([k.zeros([2], { requiresGrad: true })], { lr, momentum: 0.9 });

  test('construction sets the epoch-0 lr and initialLr, as PyTorch', () => {
    const opt = fresh();
    const s = new S.LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    assert.equal(s.lastEpoch, 0);
    assert.equal(opt.paramGroups[0]!.lr, 0.05);
    assert.equal(opt.paramGroups[0]!.initialLr, 0.1);
    assert.deepEqual(s.baseLrs, [0.1]);
  });

  test('lrAt is a pure function of the step', () => {
    const s = new S.CosineAnnealingWarmRestarts(fresh(), { t0: 3, tMult: 2 });
    for (let epoch = 1; epoch <= 20; epoch++) {
      s.step();
      assert.equal(s.lrAt(epoch, 0.1), s.getLastLr()[0]);
    }
  });

  test('OneCycleLR refuses to step past totalSteps', () => {
    const s = new S.OneCycleLR(fresh(), { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    assert.throws(() => s.step(), {
      name: 'ValueError',
      message: /tried to step 5 times.*total steps is 3/,
    });
  });

  test('invalid options are ValueErrors naming them', () => {
    assert.throws(() => new S.StepLR(fresh(), { stepSize: 0 }), {
      name: 'ValueError',
      message: /stepSize 0/,
    });
    assert.throws(() => new S.LinearLR(fresh(), { startFactor: 0 }), { message: /startFactor 0/ });
    assert.throws(() => new S.ConstantLR(fresh(), { factor: 2 }), { message: /factor 2/ });
    assert.throws(() => new S.CosineAnnealingLR(fresh(), { tMax: 0 }), { message: /tMax 0/ });
    assert.throws(() => new S.CosineAnnealingWarmRestarts(fresh(), { t0: 2, tMult: 1.5 }), {
      message: /tMult 1.5/,
    });
    assert.throws(() => new S.OneCycleLR(fresh(), { maxLr: 0.1 }), { message: /totalSteps/ });
    assert.throws(() => new S.OneCycleLR(fresh(), { maxLr: [0.1, 0.2], totalSteps: 5 }), {
      message: /expected 1 values for maxLr/,
    });
    assert.throws(() => new S.ReduceLROnPlateau(fresh(), { factor: 1 }), { message: /factor 1/ });
    assert.throws(() => new S.ReduceLROnPlateau(fresh(), { mode: 'avg' as 'min' }), {
      message: /mode 'avg'/,
    });
    const opt = fresh();
    assert.throws(
      () =>
        new S.SequentialLR(opt, {
          schedulers: [new S.StepLR(opt, { stepSize: 2 })],
          milestones: [3],
        }),
      {
        message: /expected 0 milestones/,
      },
    );
    assert.throws(() => new S.StepLR(fresh(), { stepSize: 2, lastEpoch: 5 }), {
      message: /no initialLr/,
    });
  });

  test('state dicts are JSON-safe plain objects', () => {
    const opt = fresh();
    const plateau = new S.ReduceLROnPlateau(opt);
    assert.deepEqual(JSON.parse(JSON.stringify(plateau.stateDict())), plateau.stateDict());
    assert.equal(plateau.stateDict().best, 'inf');
    const seq = new S.SequentialLR(opt, {
      schedulers: [new S.ConstantLR(opt), new S.ExponentialLR(opt, { gamma: 0.5 })],
      milestones: [2],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(seq.stateDict())), seq.stateDict());
  });
});
