// Worker threads that die (process.exit, an uncaught exception, an unhandled rejection) while
// running a trial, against real stores (a SQLite file, a PostgreSQL database): the writes the
// worker still held in its batch reach the store, the trial ends as failed with an error that
// says how its worker died, a trial whose result was sent stays complete, a trial posted to a
// worker that died before taking it runs on a new one, and the study goes on with a new worker.
// Read back through a second connection, so that only what was stored counts.
import assert from 'node:assert/strict';
import * as tune from '../../src/tune/index.js';
import { forEachStore, it } from '../track/helpers.js';

const module = new URL('./fixtures/crashing.ts', import.meta.url);

async function run(location: string, exportName: string, nJobs = 1): Promise<tune.FrozenTrial[]> {
  const study = await tune.createStudy({
    name: exportName,
    store: location,
    sampler: new tune.RandomSampler({ seed: 5 }),
  });
  try {
    await study.optimize({ module, exportName }, { nTrials: 3, nJobs });
  } finally {
    await study.close();
  }
  const stored = await tune.loadStudy({ name: exportName, store: location });
  try {
    return [...stored.trials];
  } finally {
    await stored.close();
  }
}

function assertCrashedTrial(trials: tune.FrozenTrial[], error: RegExp): void {
  assert.deepEqual(
    trials.map((t) => [t.number, t.state]),
    [
      [0, 'complete'],
      [1, 'failed'],
      [2, 'complete'],
    ],
  );
  const dead = trials[1]!;
  assert.match(dead.error!, error);
  // Written by the objective less than WRITE_FLUSH_MS before its thread died: not lost.
  assert.deepEqual(
    [...dead.intermediateValues],
    [
      [0, 0.5],
      [1, 0.25],
    ],
  );
  assert.equal(dead.userAttrs.last, 'before the crash');
  assert.equal(typeof dead.params.x, 'number');
  assert.notEqual(dead.datetimeComplete, null);
}

forEachStore('k.tune worker threads that die', (target) => {
  it('keeps the batched writes of a worker that calls process.exit and fails its trial', async () => {
    const trials = await run(await target.fresh(), 'exitAfterReports');
    assertCrashedTrial(trials, /^worker thread died running trial 1: it exited with code 3/);
  });

  it('keeps the batched writes of a worker killed by an uncaught exception', async () => {
    const trials = await run(await target.fresh(), 'throwAfterReports');
    assertCrashedTrial(
      trials,
      /^worker thread died running trial 1: uncaught RangeError: stray timer/,
    );
  });

  it('keeps the batched writes of a worker killed by an unhandled rejection', async () => {
    const trials = await run(await target.fresh(), 'rejectAfterReports', 2);
    assertCrashedTrial(
      trials,
      /^worker thread died running trial 1: uncaught Error: nobody awaits this/,
    );
  });

  for (const exportName of ['exitAfterResult', 'throwAfterResult', 'dieBeforeNextTrial']) {
    it(`keeps the result of a trial whose worker dies right after it (${exportName})`, async () => {
      const trials = await run(await target.fresh(), exportName);
      assert.deepEqual(
        trials.map((t) => t.state),
        ['complete', 'complete', 'complete'],
      );
      for (const t of trials) {
        assert.equal(t.value, t.params.x);
        assert.deepEqual([...t.intermediateValues], [[0, t.params.x]]);
      }
    });
  }
});
