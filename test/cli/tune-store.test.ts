// The store side of shared studies, against a real SQLite file and a real PostgreSQL server:
// createTrialWithin caps a study's trials atomically under concurrent callers on separate
// connections, an enqueued trial is inserted with its fixed params in one write, a running trial
// starts with a heartbeat (so one killed at once still goes stale), and optimize's maxTrials
// counts every process's trials but not those cut off.
import assert from 'node:assert/strict';
import { openStore } from '../../src/track/open.js';
import { HEARTBEAT_STOPPED } from '../../src/track/sql-studies.js';
import { createStudy } from '../../src/tune/create.js';
import { RandomSampler } from '../../src/tune/samplers/random.js';
import { TrackStorage } from '../../src/tune/track-storage.js';
import { forEachStore, it } from '../track/helpers.js';

forEachStore('kiln tune storage', (target) => {
  it('createTrialWithin: 4 connections asking 40 times start exactly 10 trials, numbered 0-9', async () => {
    const location = await target.fresh();
    const stores = await Promise.all([0, 1, 2, 3].map(() => openStore(location)));
    try {
      const study = await stores[0]!.createStudy({ name: 's', direction: 'minimize' });
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % 4]!.createTrialWithin(study.id, { state: 'running' }, 10),
        ),
      );
      const numbers = made.filter((t) => t !== null).map((t) => t.number);
      assert.deepEqual(
        numbers.sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      const trials = await stores[1]!.listTrials(study.id);
      assert.equal(trials.length, 10);
      assert.ok(
        trials.every((t) => t.heartbeat !== null),
        'running trials start with a heartbeat',
      );
      // A trial cut off by a dead process frees its slot; one its objective failed does not.
      await stores[2]!.updateTrial(trials[3]!.id, { state: 'fail', error: HEARTBEAT_STOPPED });
      await stores[2]!.updateTrial(trials[4]!.id, { state: 'fail', error: 'NaN loss' });
      const again = await Promise.all(
        [0, 1, 2].map((i) => stores[i]!.createTrialWithin(study.id, { state: 'running' }, 10)),
      );
      assert.deepEqual(again.map((t) => t?.number ?? null).sort(), [10, null, null]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('an enqueued trial carries its fixed params from its insert; one claimer wins it', async () => {
    const location = await target.fresh();
    const store = await openStore(location);
    try {
      const study = await store.createStudy({ name: 'q', direction: 'minimize' });
      const waiting = await store.createTrial(study.id, {
        state: 'waiting',
        attrs: { 'system:fixed_params': { lr: 0.01 } },
      });
      assert.deepEqual(waiting.attrs, { 'system:fixed_params': { lr: 0.01 } });
      assert.equal(waiting.heartbeat, null, 'a waiting trial is not alive yet');
      const claims = await Promise.all([0, 1, 2].map(() => store.claimWaitingTrial(study.id)));
      const won = claims.filter((c) => c !== null);
      assert.equal(won.length, 1);
      assert.equal(won[0]!.state, 'running');
      assert.notEqual(won[0]!.heartbeat, null);
    } finally {
      await store.close();
    }
  });

  it('optimize with maxTrials: two studies objects on one stored study stop at the total', async () => {
    const location = await target.fresh();
    const [a, b] = await Promise.all(
      [1, 2].map(async (seed) =>
        createStudy({
          name: 'shared',
          store: new TrackStorage(await openStore(location), true),
          sampler: new RandomSampler({ seed }),
          loadIfExists: true,
        }),
      ),
    );
    try {
      const objective = async (t: import('../../src/tune/trial.js').Trial) => {
        await new Promise((r) => setTimeout(r, 5));
        return t.suggestFloat('x', 0, 1);
      };
      await Promise.all([
        a!.optimize(objective, { maxTrials: 9, nJobs: 2 }),
        b!.optimize(objective, { maxTrials: 9, nJobs: 2 }),
      ]);
      await a!.refresh();
      assert.equal(a!.trials.length, 9);
      assert.ok(a!.trials.every((t) => t.state === 'complete'));
      // Continuing: maxTrials counts what is there, so nothing more runs.
      await b!.optimize(objective, { maxTrials: 9 });
      await b!.refresh();
      assert.equal(b!.trials.length, 9);
      await b!.optimize(objective, { maxTrials: 11 });
      await b!.refresh();
      assert.equal(b!.trials.length, 11);
    } finally {
      await a!.close();
      await b!.close();
    }
  });
});
