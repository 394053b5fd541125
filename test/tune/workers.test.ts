// nJobs with a module objective: trials run in worker threads while sampling, pruning and the
// storage stay in this thread.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { threadId } from 'node:worker_threads';
import * as k from '../../src/index.js';

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
    assert.match(study.trials[1].error!, /worker thread exited with code 3/);
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
});
