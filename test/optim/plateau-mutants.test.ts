// ReduceLROnPlateau edges found by mutation testing of src/optim/lr-scheduler/plateau.ts: its
// defaults, eps and minLr, the cooldown, infinite best values through a JSON state dict, and
// errors. Expected values follow torch.optim.lr_scheduler.ReduceLROnPlateau's rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k from '../../src/index.js';

const S = k.optim.lrScheduler;
const sgd = (lrs: number[] = [1]) =>
  new k.optim.SGD(lrs.map((lr) => ({ params: [k.zeros([1], { requiresGrad: true })], lr })));
const lrs = (opt: k.optim.Optimizer) => opt.paramGroups.map((g) => g.lr);

describe('ReduceLROnPlateau', () => {
  test('defaults: min mode, patience 10, factor 0.1, relative threshold 1e-4', () => {
    const opt = sgd();
    const s = new S.ReduceLROnPlateau(opt);
    s.step(1);
    // 1 - 0.5e-4 is not an improvement of 1e-4 relative: 11 bad epochs reduce the lr.
    for (let i = 0; i < 10; i++) s.step(1 - 0.5e-4);
    assert.deepEqual(lrs(opt), [1]);
    assert.equal(s.numBadEpochs, 10);
    s.step(1 - 0.5e-4);
    assert.deepEqual(lrs(opt), [0.1]);
    assert.deepEqual(s.getLastLr(), [0.1]);
    assert.equal(s.numBadEpochs, 0);
    assert.equal(s.lastEpoch, 12);
    // An improvement of more than 1e-4 relative resets the count.
    s.step(0.99);
    assert.equal(s.best, 0.99);
    assert.equal(s.numBadEpochs, 0);
  });

  test('max mode starts from -inf; the state dict stores infinities as strings', () => {
    const opt = sgd();
    const s = new S.ReduceLROnPlateau(opt, { mode: 'max', patience: 0, factor: 0.5 });
    assert.equal(s.best, Number.NEGATIVE_INFINITY);
    assert.equal(s.stateDict().best, '-inf');
    assert.equal(new S.ReduceLROnPlateau(opt).stateDict().best, 'inf');
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    const t = new S.ReduceLROnPlateau(sgd(), { mode: 'min' });
    t.loadStateDict(sd);
    assert.equal(t.best, Number.NEGATIVE_INFINITY);
    t.step(-5);
    assert.equal(t.best, -5, 'max mode restored: any finite value beats -inf');
    const m = new S.ReduceLROnPlateau(sgd(), { mode: 'max' });
    m.loadStateDict(JSON.parse(JSON.stringify(new S.ReduceLROnPlateau(opt).stateDict())));
    assert.equal(m.best, Number.POSITIVE_INFINITY);
    s.step(2);
    assert.equal(s.stateDict().best, 2);
  });

  test('threshold modes: abs subtracts, rel scales; an equal metric never improves', () => {
    const improved = (
      o: k.optim.lrScheduler.ReduceLROnPlateauOptions,
      first: number,
      next: number,
    ) => {
      const s = new S.ReduceLROnPlateau(sgd(), o);
      s.step(first);
      s.step(next);
      return s.numBadEpochs === 0;
    };
    // min: 9 beats 10 by 1: more than abs 0.5, less than rel 0.5 (10 * 0.5 = 5).
    assert.equal(improved({ thresholdMode: 'abs', threshold: 0.5 }, 10, 9), true);
    assert.equal(improved({ thresholdMode: 'rel', threshold: 0.5 }, 10, 9), false);
    assert.equal(improved({ mode: 'max', thresholdMode: 'abs', threshold: 0.5 }, 10, 11), true);
    assert.equal(improved({ mode: 'max', thresholdMode: 'rel', threshold: 0.5 }, 10, 11), false);
    for (const mode of ['min', 'max'] as const)
      for (const thresholdMode of ['rel', 'abs'] as const)
        assert.equal(
          improved({ mode, thresholdMode, threshold: 0 }, 3, 3),
          false,
          `${mode} ${thresholdMode}`,
        );
  });

  test('loadStateDict of a state without options keeps the current ones', () => {
    const s = new S.ReduceLROnPlateau(sgd(), { patience: 0, minLr: 0.25 });
    s.step(1);
    const { options: _, ...sd } = s.stateDict();
    const t = new S.ReduceLROnPlateau(sgd(), { patience: 4, minLr: 0.5 });
    t.loadStateDict(sd as k.optim.lrScheduler.PlateauStateDict);
    assert.equal(t.best, 1);
    assert.equal(t.stateDict().options.patience, 4);
    assert.deepEqual(t.stateDict().options.minLr, [0.5]);
  });

  test('a metric given as a numeric string is converted, as float(metric)', () => {
    const s = new S.ReduceLROnPlateau(sgd());
    s.step('0.5' as unknown as number);
    assert.equal(s.best, 0.5);
    assert.equal(typeof s.stateDict().best, 'number');
  });

  test('minLr per group bounds the reduction; changes below eps are skipped', () => {
    const opt = sgd([1, 1, 4e-8]);
    const s = new S.ReduceLROnPlateau(opt, { patience: 0, factor: 0.5, minLr: [0.3, 0, 0] });
    s.step(1);
    s.step(1);
    assert.deepEqual(lrs(opt), [0.5, 0.5, 2e-8]);
    s.step(1);
    // Group 2: 2e-8 - 1e-8 is not above eps 1e-8, so it stays.
    assert.deepEqual(lrs(opt), [0.3, 0.25, 2e-8]);
    s.step(1);
    assert.deepEqual(lrs(opt), [0.3, 0.125, 2e-8]);
  });

  test('cooldown: bad epochs right after a reduction do not count', () => {
    const opt = sgd();
    const s = new S.ReduceLROnPlateau(opt, { patience: 1, cooldown: 2, factor: 0.5 });
    const seen = [5, 5, 5, 5, 5, 5, 5, 5].map((m) => {
      s.step(m);
      return [lrs(opt)[0], s.cooldownCounter, s.numBadEpochs];
    });
    assert.deepEqual(seen, [
      [1, 0, 0],
      [1, 0, 1],
      [0.5, 2, 0],
      [0.5, 1, 0],
      [0.5, 0, 0],
      [0.5, 0, 1],
      [0.25, 2, 0],
      [0.25, 1, 0],
    ]);
  });

  test('loadStateDict restores the counters and options, and checks them', () => {
    const opt = sgd([1, 1]);
    const s = new S.ReduceLROnPlateau(opt, { patience: 3, minLr: [0.2, 0.4], cooldown: 1 });
    for (const m of [3, 2, 2]) s.step(m);
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    const t = new S.ReduceLROnPlateau(sgd([1, 1]));
    t.loadStateDict(sd);
    assert.deepEqual(t.stateDict(), s.stateDict());
    assert.equal(t.numBadEpochs, 1);
    assert.deepEqual(t.getLastLr(), [1, 1]);
    sd.options.minLr[0] = 9;
    assert.equal(t.stateDict().options.minLr[0], 0.2, 'minLr copied');
    const { minLr: _, ...noMinLr } = sd.options;
    const u = new S.ReduceLROnPlateau(sgd([1, 1]), { minLr: [0.5, 0.6] });
    u.loadStateDict({ ...sd, options: noMinLr });
    assert.deepEqual(u.stateDict().options.minLr, [0.5, 0.6]);
    assert.throws(() => t.loadStateDict(null as unknown as k.optim.lrScheduler.PlateauStateDict), {
      name: 'ValueError',
      message: /^ReduceLROnPlateau\.loadStateDict: expected a state from stateDict\(\)/,
    });
    assert.throws(() => t.loadStateDict({ ...sd, lastEpoch: '3' }), { name: 'ValueError' });
    assert.throws(() => t.loadStateDict({ ...sd, options: { ...sd.options, mode: 'avg' } }), {
      message: /^ReduceLROnPlateau: unknown mode 'avg'/,
    });
  });
});
