// nJobs with a module objective: trials run in worker threads while sampling, pruning and the
// storage stay in this thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadId } from 'node:worker_threads';
import * as k from '../../src/index.js';
import { contains } from '../../src/tune/distributions.js';

const { tune } = k;
const module = new URL('./fixtures/objective.ts', import.meta.url);

describe('k.tune nJobs in worker threads', () => {
  it('runs trials in two worker threads with sampling in the caller', async () => {
    const study = await tune.createStudy({
      sampler: new tune.TPESampler({ seed: 0, nStartupTrials: 4 }),
    });
    await study.optimize({ module }, { nTrials: 12, nJobs: 2 });
    assert.equal(study.trials.length, 12);
    const threads = new Set(study.trials.map((t) => t.userAttrs.thread));
    assert.equal(threads.size, 2);
    assert.ok(!threads.has(threadId));
    for (const t of study.trials) {
      assert.equal(t.state, 'complete');
      assert.equal(t.value, ((t.params.x as number) - 1) ** 2 + (t.params.kind === 'a' ? 0 : 1));
    }
  });

  it('records failures and pruning from worker threads', async () => {
    const study = await tune.createStudy({
      sampler: new tune.RandomSampler({ seed: 1 }),
      pruner: new tune.MedianPruner({ nStartupTrials: 1 }),
    });
    await study.optimize({ module, exportName: 'mixed' }, { nTrials: 10, nJobs: 2 });
    const t3 = study.trials[3]!;
    assert.equal(t3.state, 'failed');
    assert.equal(t3.error, 'Error: boom 3');
    for (const t of study.trials) {
      if (t.state === 'complete') assert.deepEqual([...t.intermediateValues.keys()], [0, 1, 2]);
    }
    assert.ok(study.getTrials(['complete']).length >= 6);
  });

  it('fails the trial of a worker that dies, and goes on with a new worker', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 1 }) });
    await study.optimize({ module, exportName: 'crash' }, { nTrials: 4, nJobs: 1 });
    assert.deepEqual(
      study.trials.map((t) => t.state),
      ['complete', 'failed', 'complete', 'complete'],
    );
    assert.match(
      study.trials[1].error!,
      /^worker thread died running trial 1: it exited with code 3$/,
    );
  });

  it('fails clearly when the module cannot be used', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 1 }) });
    await assert.rejects(
      study.optimize({ module, exportName: 'notAFunction' }, { nTrials: 2, nJobs: 2 }),
      /cannot load the objective: .*no function export 'notAFunction'/,
    );
    await assert.rejects(
      study.optimize({ module: '/nonexistent/objective.js' }, { nTrials: 1, nJobs: 1 }),
      /cannot load the objective/,
    );
    // No trial is left running.
    assert.ok(study.trials.length >= 1);
    assert.ok(
      study.trials.every((t) => t.state === 'failed'),
      JSON.stringify(study.trials.map((t) => t.state)),
    );
  });

  it('draws the same values as in the calling thread, whether drawn ahead or on demand', async () => {
    const { fixedOrder } = await import('./fixtures/objective.js');
    for (const make of [
      () => new tune.RandomSampler({ seed: 7 }),
      () => new tune.TPESampler({ seed: 7, nStartupTrials: 3 }),
    ]) {
      const here = await tune.createStudy({ sampler: make() });
      await here.optimize(fixedOrder, { nTrials: 8 });
      const there = await tune.createStudy({ sampler: make() });
      await there.optimize({ module, exportName: 'fixedOrder' }, { nTrials: 8, nJobs: 1 });
      assert.deepEqual(
        there.trials.map((t) => t.params),
        here.trials.map((t) => t.params),
      );
    }
  });

  it('falls back to drawing on demand when a trial departs from the predicted calls', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 3 }) });
    await study.optimize({ module, exportName: 'several' }, { nTrials: 9, nJobs: 2 });
    assert.equal(study.trials.length, 9);
    for (const t of study.trials) {
      assert.equal(t.state, 'complete');
      const names = t.number % 3 === 2 ? ['a', 'n', 'c', 'extra'] : ['a', 'n', 'c'];
      assert.deepEqual(Object.keys(t.params), names);
      for (const name of names) {
        assert.ok(contains(t.distributions[name]!, t.params[name]!), `${name} of ${t.number}`);
      }
    }
  });

  it('sends the reports of a long synchronous objective while it runs', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 1 }) });
    const seen: number[] = [];
    const poll = setInterval(() => {
      const t = study.trials[0];
      if (t?.state === 'running') seen.push(t.intermediateValues.size);
    }, 10);
    try {
      await study.optimize({ module, exportName: 'reportSlowly' }, { nTrials: 1, nJobs: 1 });
    } finally {
      clearInterval(poll);
    }
    assert.equal(study.trials[0]!.intermediateValues.size, 8);
    // Batched writes go out at least every WRITE_FLUSH_MS (100 ms), so the caller sees the
    // running trial's steps arrive before it ends.
    const midway = seen.filter((n) => n > 0 && n < 8);
    assert.ok(midway.length > 0, `steps seen while running: ${seen.join(',')}`);
  });
});
