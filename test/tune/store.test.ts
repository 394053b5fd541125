// Studies in the tracking store (real SQLite files and a real PostgreSQL server): persistence
// across connections, two workers sharing a study (unique numbers, each enqueued trial run once),
// and a killed worker's trial failing when its heartbeat stops.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openStore } from '../../src/track/open.js';
import * as tune from '../../src/tune/index.js';
import { TrackStorage } from '../../src/tune/track-storage.js';
import { forEachStore, it, ROOT } from '../track/helpers.js';

const HANG = join(ROOT, 'test', 'tune', 'fixtures', 'hang-worker.ts');
const WATCH = join(ROOT, 'test', 'tune', 'fixtures', 'watch-trials.ts');

forEachStore('k.tune studies in the tracking store', (target) => {
  it('persists trials with params, values, reports, attrs, pruning and failures', async () => {
    const store = await target.fresh();
    const a = await tune.createStudy({
      name: 'persist',
      store,
      sampler: new tune.RandomSampler({ seed: 1 }),
    });
    await a.enqueueTrial({ x: 0.25 });
    await a.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        const kind = t.suggestCategorical('kind', ['a', 'b']);
        t.setUserAttr('note', `trial ${t.number}`);
        t.report(x * 2, 0);
        t.report(x, 1);
        if (t.number === 1) throw new tune.TrialPruned();
        if (t.number === 2) throw new Error('diverged');
        return x + (kind === 'a' ? 0 : 1);
      },
      { nTrials: 4 },
    );
    const before = a.trials;
    await a.close();
    const b = await tune.loadStudy({
      name: 'persist',
      store,
      sampler: new tune.RandomSampler({ seed: 2 }),
    });
    try {
      assert.deepEqual(
        b.trials.map((t) => [t.number, t.state, t.value, t.params, t.error, t.userAttrs.note]),
        before.map((t) => [t.number, t.state, t.value, t.params, t.error, t.userAttrs.note]),
      );
      assert.equal(b.trials[0]!.params.x, 0.25);
      assert.deepEqual([...b.trials[1]!.intermediateValues], [...before[1]!.intermediateValues]);
      assert.equal(b.trials[1]!.state, 'pruned');
      assert.equal(b.trials[2]!.error, 'Error: diverged');
      assert.deepEqual(b.trials[3]!.distributions.x, {
        type: 'float',
        low: 0,
        high: 1,
        log: false,
        step: null,
      });
      assert.equal(b.bestValue, a.bestValue);
      await b.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 });
      assert.equal(b.trials[4]!.number, 4);
    } finally {
      await b.close();
    }
  });

  it('lets two workers share a study: unique numbers, each enqueued trial run once', async () => {
    const store = await target.fresh();
    const first = await tune.createStudy({
      name: 'shared',
      store,
      sampler: new tune.RandomSampler({ seed: 1 }),
    });
    for (let i = 0; i < 6; i++) await first.enqueueTrial({ x: i / 10 });
    const second = await tune.createStudy({
      name: 'shared',
      store,
      loadIfExists: true,
      sampler: new tune.RandomSampler({ seed: 2 }),
    });
    const objective = async (t: tune.Trial) => {
      const x = t.suggestFloat('x', 0, 1);
      await new Promise((r) => setTimeout(r, 5));
      return x;
    };
    try {
      await Promise.all([
        first.optimize(objective, { nTrials: 5 }),
        second.optimize(objective, { nTrials: 5 }),
      ]);
      await first.refresh();
      const trials = first.trials;
      assert.deepEqual(
        trials.map((t) => t.number),
        Array.from({ length: 10 }, (_, i) => i),
      );
      assert.ok(trials.every((t) => t.state === 'complete'));
      const fixed = trials.slice(0, 6).map((t) => t.params.x);
      assert.deepEqual(fixed, [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it("fails a killed worker's trial when its heartbeat stops, and the study goes on", async () => {
    const store = await target.fresh();
    const child = spawn(process.execPath, ['--import', 'tsx', HANG, store, 'crash'], {
      cwd: ROOT,
      env: { ...process.env, KILN_TRACK_STALE_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        if (String(d).includes('started')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`worker exited early (${code}): ${err}`)));
    });
    const saved = process.env.KILN_TRACK_STALE_MS;
    process.env.KILN_TRACK_STALE_MS = '1000';
    const study = await tune.loadStudy({
      name: 'crash',
      store,
      sampler: new tune.RandomSampler({ seed: 3 }),
    });
    try {
      assert.equal(study.trials[0]!.state, 'running');
      child.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1600));
      await study.refresh();
      const dead = study.trials[0]!;
      assert.equal(dead.state, 'failed');
      assert.match(dead.error!, /heartbeat stopped/);
      assert.deepEqual([...dead.intermediateValues], [[0, 0.5]]);
      await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 });
      assert.deepEqual(
        study.trials.map((t) => [t.number, t.state]),
        [
          [0, 'failed'],
          [1, 'complete'],
          [2, 'complete'],
        ],
      );
    } finally {
      if (saved === undefined) delete process.env.KILN_TRACK_STALE_MS;
      else process.env.KILN_TRACK_STALE_MS = saved;
      child.kill('SIGKILL');
      await study.close();
    }
  });

  it('keeps a trial alive through a synchronous objective longer than the stale time', async () => {
    await keepsAlive(await target.fresh(), async (location) => location);
  });

  it('keeps it alive when the store object was opened elsewhere (no location given)', async () => {
    // The heartbeat thread opens its own connection where the store says a second one opens
    // (for PostgreSQL, the URL with its password, which store.location hides).
    await keepsAlive(await target.fresh(), async (location) => {
      const storage = new TrackStorage(await openStore(location), true);
      assert.equal(storage.heartbeatLocation, location);
      return storage;
    });
  });
});

/**
 * Runs one synchronous objective 2.5x longer than the stale time on a study opened by `open` at
 * `store`, while another process reads the study (and would fail the trial if its heartbeat
 * stopped), and checks that the trial was seen running past the stale time and never failed.
 */
async function keepsAlive(
  store: string,
  open: (location: string) => Promise<string | tune.TuneStorage>,
): Promise<void> {
  const staleMs = 2000;
  const saved = process.env.KILN_TRACK_STALE_MS;
  process.env.KILN_TRACK_STALE_MS = String(staleMs);
  const study = await tune.createStudy({
    name: 'busy',
    store: await open(store),
    sampler: new tune.RandomSampler({ seed: 2 }),
  });
  // A second process reads the study throughout, failing the trial if its heartbeat stops.
  const watcher = spawn(process.execPath, ['--import', 'tsx', WATCH, store, 'busy', '60000'], {
    cwd: ROOT,
    env: { ...process.env, KILN_TRACK_STALE_MS: String(staleMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  watcher.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => watcher.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    watcher.stdout.on('data', (d) => {
      out += d;
      if (out.includes('watching')) resolve();
    });
    watcher.on('exit', (code) => reject(new Error(`watcher exited early (${code}): ${err}`)));
  });
  let started = 0;
  try {
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        started = Date.now();
        // Blocks this thread (its timers and promises) for 2.5x the stale time.
        while (Date.now() < started + 2.5 * staleMs) {
          // Busy.
        }
        return x;
      },
      { nTrials: 1 },
    );
    await exited;
  } finally {
    if (saved === undefined) delete process.env.KILN_TRACK_STALE_MS;
    else process.env.KILN_TRACK_STALE_MS = saved;
    watcher.kill('SIGKILL');
    await study.close();
  }
  const reads = out
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => {
      const [time, state] = l.split(' ');
      return { time: Number(time), state };
    });
  // The watcher read the trial as running after the stale time had passed without a beat
  // from the blocked thread, and never saw it fail.
  const late = reads.filter((r) => r.state === 'running' && r.time > started + staleMs + 500);
  const seen = reads.map((r) => `${r.time - started} ${r.state}`).join(', ');
  assert.ok(late.length > 0, `reads (ms from the objective's start): ${seen}`);
  assert.ok(!reads.some((r) => r.state === 'fail'), `reads: ${seen}`);
  assert.equal(study.trials[0]!.state, 'complete');
}
