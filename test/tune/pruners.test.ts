// Pruners by their defining rules: median/percentile thresholds with warm-up, start-up and
// intervals; ASHA's rung promotions on a hand-computed sequence; Hyperband's brackets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { crc32 } from '../../src/tune/pruners/hyperband.js';

const { tune } = k;

/** A study whose trials report a constant `c` at steps 1..steps, pruning when told to. */
async function curves(
  pruner: k.tune.Pruner,
  values: number[],
  steps: number,
  direction: k.tune.StudyDirection = 'minimize',
  name?: string,
) {
  const study = await tune.createStudy({
    pruner,
    direction,
    name,
    sampler: new tune.RandomSampler({ seed: 0 }),
  });
  for (const c of values) {
    await study.enqueueTrial({ c });
  }
  await study.optimize(
    (t) => {
      const c = t.suggestFloat('c', -100, 100);
      for (let s = 1; s <= steps; s++) {
        t.report(c, s);
        if (t.shouldPrune()) throw new tune.TrialPruned();
      }
      return c;
    },
    { nTrials: values.length },
  );
  return study;
}

const summary = (s: k.tune.Study) =>
  s.trials.map((t) =>
    t.state === 'pruned' ? `pruned@${Math.max(...t.intermediateValues.keys())}` : t.state,
  );

describe('k.tune pruners', () => {
  it('MedianPruner prunes trials worse than the median at the same step', async () => {
    const study = await curves(
      new tune.MedianPruner({ nStartupTrials: 3 }),
      [1, 2, 3, 2.5, 1.5, 9],
      3,
    );
    // Median of completed [1, 2, 3] is 2: 2.5 is pruned; then [1,2,3] still (2.5 pruned): 1.5 goes on;
    // median of [1, 1.5, 2, 3] is 1.75: 9 is pruned.
    assert.deepEqual(summary(study), [
      'complete',
      'complete',
      'complete',
      'pruned@1',
      'complete',
      'pruned@1',
    ]);
  });

  it('MedianPruner honours nStartupTrials, nWarmupSteps and intervalSteps', async () => {
    const startup = await curves(new tune.MedianPruner({ nStartupTrials: 5 }), [1, 2, 3, 9], 3);
    assert.deepEqual(summary(startup), ['complete', 'complete', 'complete', 'complete']);
    const warm = await curves(
      new tune.MedianPruner({ nStartupTrials: 1, nWarmupSteps: 3 }),
      [1, 9],
      5,
    );
    assert.deepEqual(summary(warm), ['complete', 'pruned@3']);
    const interval = await curves(
      new tune.MedianPruner({ nStartupTrials: 1, nWarmupSteps: 2, intervalSteps: 3 }),
      [1, 9],
      8,
    );
    // Checks happen at steps 2, 5, 8 only: the first check at step >= 2 is step 2.
    assert.deepEqual(summary(interval), ['complete', 'pruned@2']);
  });

  it('PercentilePruner keeps the top percentile, in either direction', async () => {
    const min = await curves(
      new tune.PercentilePruner(25, { nStartupTrials: 4 }),
      [1, 2, 3, 4, 1.5, 2.5],
      2,
    );
    // 25th percentile of [1, 2, 3, 4] is 1.75.
    assert.deepEqual(summary(min), [
      'complete',
      'complete',
      'complete',
      'complete',
      'complete',
      'pruned@1',
    ]);
    const max = await curves(
      new tune.PercentilePruner(25, { nStartupTrials: 4 }),
      [1, 2, 3, 4, 3.5, 2.5],
      2,
      'maximize',
    );
    // For maximization the threshold is the 75th percentile, 3.25.
    assert.deepEqual(summary(max), [
      'complete',
      'complete',
      'complete',
      'complete',
      'complete',
      'pruned@1',
    ]);
  });

  it('SuccessiveHalvingPruner promotes the right trials at each rung (ASHA)', async () => {
    // eta 2, rungs at steps 1, 2, 4, 8; hand-computed from the rule "top floor(n/eta) of the
    // values recorded at the rung, or the best while fewer than eta are in".
    const pruner = new tune.SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    const study = await curves(pruner, [5, 3, 8, 1, 9, 2, 2.5, 1.5], 8);
    assert.deepEqual(summary(study), [
      'complete',
      'complete',
      'pruned@1',
      'complete',
      'pruned@1',
      'complete',
      'pruned@2',
      'complete',
    ]);
    const t6 = study.trials[6]!;
    assert.deepEqual(
      [t6.systemAttrs.completed_rung_0, t6.systemAttrs.completed_rung_1],
      [2.5, 2.5],
    );
    assert.equal(study.trials[0]!.systemAttrs.completed_rung_3, 5);
  });

  it('SuccessiveHalvingPruner honours minEarlyStoppingRate and maximization', async () => {
    // s = 1: the first rung is at step 2, so nothing is pruned at step 1.
    const pruner = new tune.SuccessiveHalvingPruner({
      minResource: 1,
      reductionFactor: 2,
      minEarlyStoppingRate: 1,
    });
    const study = await curves(pruner, [5, 3, 1], 4, 'maximize');
    assert.deepEqual(summary(study), ['complete', 'pruned@2', 'pruned@2']);
  });

  it('HyperbandPruner builds brackets and assigns trials as Optuna does', async () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
    const pruner = new tune.HyperbandPruner({
      minResource: 1,
      maxResource: 27,
      reductionFactor: 3,
    });
    assert.equal(pruner.nBrackets, 4);
    assert.deepEqual(pruner.bracketBudgets, [27, 12, 6, 4]);
    const values = Array.from({ length: 40 }, (_, i) => ((i * 37) % 40) / 4);
    const study = await curves(pruner, values, 27, 'minimize', 'hb');
    // Bracket ids from Python's binascii.crc32 over "hb_<number>", as Optuna computes them.
    const expected = [0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 3, 0, 3, 2, 0, 0, 1, 1, 0, 3];
    assert.deepEqual(
      expected.map((_, n) => pruner.bracketOf(study, n)),
      expected,
    );
    for (const t of study.trials) {
      const b = pruner.bracketOf(study, t.number) as number;
      if (t.state === 'pruned') {
        const step = Math.max(...t.intermediateValues.keys());
        assert.ok(step >= 3 ** b, `trial ${t.number} in bracket ${b} pruned at step ${step}`);
      }
      // Rung values are recorded from the bracket's first rung on.
      const firstRung = t.systemAttrs.completed_rung_0;
      if (firstRung !== undefined) assert.ok(Math.max(...t.intermediateValues.keys()) >= 3 ** b);
    }
    assert.ok(study.getTrials(['pruned']).length >= 10);
    assert.ok(study.getTrials(['complete']).length >= 4);
  });

  it('rejects bad options', () => {
    assert.throws(() => new tune.MedianPruner({ warmup: 1 } as never), /unknown option 'warmup'/);
    assert.throws(() => new tune.PercentilePruner(120), /percentile must be in \[0, 100\]/);
    assert.throws(
      () => new tune.SuccessiveHalvingPruner({ reductionFactor: 1 }),
      /reductionFactor/,
    );
  });
});
