// Every optimizer against PyTorch 1.13's parameter trajectory (Lion: the paper's formula), in
// float64 at every step and in float32 at the last one, plus param groups and live lr edits.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { flat, label, makeOptimizer, makeParams, maxRelDiff, refs, runSteps } from './refs.js';

const worst = { float64: 0, float32: 0 };
after(() => {
  console.log(
    `# optimizers vs PyTorch: max rel diff float64 ${worst.float64.toExponential(2)}, float32 ${worst.float32.toExponential(2)}`,
  );
});

describe('optimizers match PyTorch trajectories', () => {
  assert.ok(refs.optimizers.length >= 20);
  for (const c of refs.optimizers) {
    test(`${label(c)} float64, ${refs.steps} steps`, () => {
      const params = makeParams('float64');
      const opt = makeOptimizer(c, params);
      const traj = runSteps(opt, params, 0, refs.steps);
      assert.equal(traj.length, c.traj.length);
      traj.forEach((row, t) => {
        const d = maxRelDiff(row, c.traj[t]!);
        worst.float64 = Math.max(worst.float64, d);
        assert.ok(d < 1e-12, `step ${t + 1}: max rel diff ${d}`);
      });
      // The parameters must have moved, or the comparison proves nothing.
      assert.ok(maxRelDiff(c.traj.at(-1)!, refs.init.flat()) > 1e-4);
    });

    test(`${label(c)} float32`, () => {
      const params = makeParams('float32');
      const opt = makeOptimizer(c, params);
      runSteps(opt, params, 0, refs.steps);
      const d = maxRelDiff(flat(params), c.final32!);
      worst.float32 = Math.max(worst.float32, d);
      assert.ok(d < 5e-6, `max rel diff ${d}`);
    });
  }
});

describe('param groups and live options match PyTorch', () => {
  for (const c of refs.groups) {
    const what = c.groups ? `groups ${JSON.stringify(c.groups.map(({ params, ...o }) => o))}` : '';
    const edits = c.lrChanges ? `lr edits ${JSON.stringify(c.lrChanges)}` : '';
    test(`${label(c)} ${what}${edits}`, () => {
      const params = makeParams('float64');
      const opt = makeOptimizer(c, params);
      const traj = runSteps(opt, params, 0, refs.steps, c.lrChanges);
      traj.forEach((row, t) => {
        const d = maxRelDiff(row, c.traj[t]!);
        worst.float64 = Math.max(worst.float64, d);
        assert.ok(d < 1e-12, `step ${t + 1}: max rel diff ${d}`);
      });
    });
  }

  test('group options fall back to the defaults', () => {
    const c = refs.groups.find((g) => g.groups && g.name === 'SGD')!;
    const groups = c.groups ?? [];
    assert.equal(groups.length, 2);
    const opt = makeOptimizer(c, makeParams('float64'));
    const [g0, g1] = opt.paramGroups as unknown as Record<string, unknown>[];
    assert.equal(g0!.lr, groups[0]!.lr);
    assert.equal(g0!.weightDecay, 0);
    assert.equal(g1!.weightDecay, groups[1]!.weightDecay);
    assert.equal(g1!.momentum, c.options.momentum);
  });
});
