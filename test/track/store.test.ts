// The tracking store against a real SQLite file and a real PostgreSQL server, with the same
// bodies: runs, params (immutable), tags, metrics (NaN, infinities, latest value), lookups,
// filters and sorting, artifacts, system samples, deletes, stale runs, studies and trials.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { ValueError } from '../../src/tensor/errors.js';
import { FilterError } from '../../src/track/filter.js';
import type { MetricPoint, TrackStore } from '../../src/track/types.js';
import { forEachStore, it, withStore } from './helpers.js';

const point = (
  key: string,
  step: number,
  value: number,
  epoch: number | null = null,
): MetricPoint => ({
  key,
  step,
  value,
  epoch,
  time: 1_000 + step,
});

/** A pid that belonged to a process which has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map(Number)[0]!;
}

async function threeRuns(store: TrackStore): Promise<string[]> {
  const ids: string[] = [];
  const specs = [
    { name: 'adam-small', lr: 0.001, opt: 'adam', acc: 0.95 },
    { name: 'sgd-big', lr: 0.1, opt: 'sgd', acc: 0.85 },
    { name: 'adam-big', lr: 0.005, opt: 'adam', acc: 0.92 },
  ];
  for (const [i, s] of specs.entries()) {
    const run = await store.createRun({
      experiment: i < 2 ? 'mnist' : 'fashion',
      name: s.name,
      startTime: 10_000 + i,
    });
    await store.logParams(run.id, { 'optimizer.lr': s.lr, 'optimizer.name': s.opt, seed: i });
    await store.setTags(run.id, { owner: i === 1 ? 'bob' : 'alice' });
    await store.logMetrics(run.id, [
      point('val_accuracy', 0, 0.5),
      point('val_accuracy', 5, s.acc),
    ]);
    ids.push(run.id);
  }
  return ids;
}

forEachStore('tracking store', (target) => {
  it('opens at the newest schema and records a run with its environment', async () => {
    await withStore(target, async (store) => {
      assert.equal(store.kind, target.kind);
      assert.equal(await store.schemaVersion(), 3);
      const run = await store.createRun({
        experiment: 'mnist',
        name: 'first',
        seed: 7,
        config: { model: [{ type: 'linear', units: 10 }] },
        gitCommit: 'a'.repeat(40),
      });
      assert.match(run.id, /^[0-9a-f]{32}$/);
      assert.equal(run.status, 'running');
      assert.equal(run.host, hostname());
      assert.equal(run.pid, process.pid);
      const back = (await store.getRun(run.id))!;
      assert.deepEqual(back.config, { model: [{ type: 'linear', units: 10 }] });
      assert.equal(back.seed, 7);
      assert.equal(back.gitCommit, 'a'.repeat(40));
      await store.endRun(run.id, 'finished', back.startTime + 5000);
      const ended = (await store.getRun(run.id))!;
      assert.equal(ended.status, 'finished');
      assert.equal(ended.endTime, back.startTime + 5000);
      assert.deepEqual(
        (await store.listExperiments()).map((e) => e.name),
        ['mnist'],
      );
    });
  });

  it('keeps params immutable and overwrites tags', async () => {
    await withStore(target, async (store) => {
      const { id } = await store.createRun({ experiment: 'e' });
      await store.logParams(id, { lr: 0.01, name: 'adam', nested: null, flag: true });
      await store.logParams(id, { lr: 0.01, extra: 3 }); // the same value again is fine
      await assert.rejects(store.logParams(id, { lr: 0.02 }), (e: Error) => {
        assert.ok(e instanceof ValueError);
        assert.match(e.message, /param 'lr' .* is already 0\.01; params are immutable.*got 0\.02/);
        return true;
      });
      assert.deepEqual(await store.getParams(id), {
        extra: 3,
        flag: true,
        lr: 0.01,
        name: 'adam',
        nested: null,
      });
      await store.setTags(id, { a: '1', b: '2' });
      await store.setTags(id, { a: 'changed' });
      assert.deepEqual(await store.getTags(id), { a: 'changed', b: '2' });
    });
  });

  it('appends metric series with NaN and infinities, and keeps the value of the highest step', async () => {
    await withStore(target, async (store) => {
      const { id } = await store.createRun({ experiment: 'e' });
      await store.logMetrics(id, [
        point('loss', 0, 2.5, 0),
        point('loss', 2, Number.NaN, 0),
        point('acc', 1, 0.5, 0),
      ]);
      await store.logMetrics(id, [
        point('loss', 1, Number.POSITIVE_INFINITY, 1),
        point('loss', 3, -1e300, 1),
      ]);
      const loss = await store.getMetrics(id, { keys: ['loss'] });
      assert.deepEqual(
        loss.map((p) => [p.step, p.value, p.epoch]),
        [
          [0, 2.5, 0],
          [1, Number.POSITIVE_INFINITY, 1],
          [2, Number.NaN, 0],
          [3, -1e300, 1],
        ],
      );
      assert.deepEqual(
        (await store.getMetrics(id, { afterStep: 1 })).map((p) => `${p.key}${p.step}`),
        ['loss2', 'loss3'],
      );
      assert.deepEqual(await store.metricKeys(id), [
        { key: 'acc', count: 1, lastStep: 1 },
        { key: 'loss', count: 4, lastStep: 3 },
      ]);
      // An older step logged later does not replace the final value.
      await store.logMetrics(id, [point('acc', 0, 0.1)]);
      assert.deepEqual((await store.getRunSummary(id))!.metrics, { acc: 0.5, loss: -1e300 });
    });
  });

  it('thins long series to maxPoints per key, keeping the first and last points', async () => {
    await withStore(target, async (store) => {
      const { id } = await store.createRun({ experiment: 'e' });
      await store.logMetrics(
        id,
        Array.from({ length: 1001 }, (_, i) => point('x', i, i * 2)),
      );
      const thin = await store.getMetrics(id, { maxPoints: 11 });
      assert.deepEqual(
        thin.map((p) => p.step),
        [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
      );
      assert.deepEqual(
        thin.map((p) => p.value),
        thin.map((p) => p.step * 2),
      );
    });
  });

  it('finds runs by id, id prefix or name, and reports ambiguous references', async () => {
    await withStore(target, async (store) => {
      const a = await store.createRun({ experiment: 'e', name: 'same' });
      const b = await store.createRun({ experiment: 'f', name: 'same' });
      assert.equal((await store.getRun(a.id))!.id, a.id);
      assert.equal((await store.getRun(b.id.slice(0, 10)))!.id, b.id);
      assert.equal(await store.getRun('nope'), null);
      await assert.rejects(store.getRun('same'), /run 'same' is ambiguous: it matches 2 runs/);
    });
  });

  it('lists runs filtered by expressions and sorted, per experiment', async () => {
    await withStore(target, async (store) => {
      const [small, sgd, big] = await threeRuns(store);
      const names = async (q: Parameters<TrackStore['listRuns']>[0]) =>
        (await store.listRuns(q)).map((r) => r.name);
      assert.deepEqual(
        await names({
          filter: 'metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01',
          orderBy: 'metrics.val_accuracy',
        }),
        ['adam-big', 'adam-small'],
      );
      assert.deepEqual(
        await names({ filter: "params.optimizer.name = 'sgd' or tags.owner = 'nobody'" }),
        ['sgd-big'],
      );
      assert.deepEqual(await names({ filter: "not (tags.owner = 'alice')" }), ['sgd-big']);
      assert.deepEqual(
        await names({ experiment: 'mnist', orderBy: 'params.optimizer.lr', descending: true }),
        ['sgd-big', 'adam-small'],
      );
      assert.deepEqual(await names({ orderBy: 'start_time', limit: 2, offset: 1 }), [
        'sgd-big',
        'adam-big',
      ]);
      assert.deepEqual(await names({ filter: 'metrics.missing > 0' }), []);
      const [summary] = await store.listRuns({ filter: `id = '${big}'` });
      assert.deepEqual(summary!.params, {
        'optimizer.lr': 0.005,
        'optimizer.name': 'adam',
        seed: 2,
      });
      assert.deepEqual(summary!.metrics, { val_accuracy: 0.92 });
      assert.ok(small && sgd);
      await assert.rejects(store.listRuns({ filter: 'metrics.val_accuracy >' }), FilterError);
    });
  });

  it('records artifacts and system samples, and deletes a run with all its rows', async () => {
    await withStore(target, async (store) => {
      const { id } = await store.createRun({ experiment: 'e', runDir: '/tmp/x', ownsRunDir: true });
      await store.logArtifact(id, {
        path: 'model.safetensors',
        size: 10,
        sha256: 'ab'.repeat(32),
        time: 5,
      });
      await store.logArtifact(id, {
        path: 'model.safetensors',
        size: 12,
        sha256: 'cd'.repeat(32),
        time: 6,
      });
      assert.deepEqual(await store.listArtifacts(id), [
        { path: 'model.safetensors', size: 12, sha256: 'cd'.repeat(32), time: 6 },
      ]);
      await store.logSystemSamples(id, [
        { time: 1, rss: 1e8, cpuPercent: 150, samplesPerSecond: null },
        { time: 2, rss: 2e8, cpuPercent: 99.5, samplesPerSecond: 1234.5 },
      ]);
      assert.deepEqual(
        (await store.getSystemSamples(id)).map((s) => [s.rss, s.cpuPercent, s.samplesPerSecond]),
        [
          [1e8, 150, null],
          [2e8, 99.5, 1234.5],
        ],
      );
      await store.logParams(id, { a: 1 });
      await store.logMetrics(id, [point('loss', 0, 1)]);
      assert.equal(await store.ownsRunDir(id), true);
      assert.equal((await store.deleteRun(id))!.runDir, '/tmp/x');
      assert.equal(await store.getRun(id), null);
      assert.deepEqual(await store.getMetrics(id), []);
      assert.deepEqual(await store.getParams(id), {});
      assert.deepEqual(await store.listArtifacts(id), []);
      assert.equal(await store.deleteRun(id), null);
    });
  });

  it('turns a run with a stale heartbeat into killed on the next read, and back when it beats', async () => {
    await withStore(
      target,
      async (store) => {
        const { id } = await store.createRun({ experiment: 'e', host: 'another-machine', pid: 1 });
        assert.equal((await store.getRun(id))!.status, 'running');
        await new Promise((r) => setTimeout(r, 400));
        const killed = (await store.listRuns())[0]!;
        assert.equal(killed.status, 'killed');
        assert.equal(killed.endTime, killed.heartbeat);
        await store.heartbeat(id);
        assert.equal((await store.getRun(id))!.status, 'running');
      },
      { staleAfterMs: 300 },
    );
  });

  it('judges runs of this host by their pid: a dead one is killed at once, a live one never', async () => {
    await withStore(target, async (store) => {
      const { id } = await store.createRun({ experiment: 'e', pid: deadPid() });
      const alive = await store.createRun({ experiment: 'e' });
      // This process is alive: a quiet heartbeat (a long synchronous epoch) does not kill its run.
      const quiet = await store.createRun({ experiment: 'e', startTime: Date.now() - 600_000 });
      assert.equal((await store.getRun(id))!.status, 'killed');
      assert.equal((await store.getRun(alive.id))!.status, 'running');
      assert.equal((await store.getRun(quiet.id))!.status, 'running');
    });
  });

  if (target.kind === 'sqlite')
    it('reads while another connection holds the write lock: looking for stale rows writes nothing', async () => {
      await withStore(target, async (store, location) => {
        const study = await store.createStudy({ name: 's', direction: 'minimize' });
        const trial = await store.createTrial(study.id);
        await store.trialHeartbeat(trial.id);
        const run = await store.createRun({ experiment: 'e', host: 'another-machine', pid: 1 });
        // A writer of another process mid-transaction (or frozen there): every read that took
        // the write lock would wait for SQLite's busy timeout and then fail with SQLITE_BUSY.
        const writer = new Database(location, { timeout: 0 });
        writer.exec('BEGIN IMMEDIATE');
        try {
          assert.equal((await store.listTrials(study.id))[0]!.state, 'running');
          assert.equal((await store.getRun(run.id))!.status, 'running');
          assert.equal((await store.listRuns()).length, 1);
        } finally {
          writer.exec('ROLLBACK');
          writer.close();
        }
      });
    });

  it('stores studies and numbers concurrent trials without gaps or repeats', async () => {
    await withStore(target, async (store) => {
      const study = await store.createStudy({
        name: 'lr-search',
        direction: 'maximize',
        sampler: { name: 'TPESampler', seed: 1 },
      });
      await assert.rejects(
        store.createStudy({ name: 'lr-search', direction: 'maximize' }),
        /already exists; pass loadIfExists/,
      );
      assert.equal(
        (
          await store.createStudy(
            { name: 'lr-search', direction: 'minimize' },
            { loadIfExists: true },
          )
        ).id,
        study.id,
      );
      const trials = await Promise.all(
        Array.from({ length: 20 }, () => store.createTrial(study.id)),
      );
      assert.deepEqual(
        trials.map((t) => t.number).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i),
      );
      const t = trials[0]!;
      await store.reportIntermediate(t.id, 1, 0.5);
      await store.reportIntermediate(t.id, 1, 0.9); // ignored, as in Optuna
      await store.reportIntermediate(t.id, 2, 0.7);
      await store.updateTrial(t.id, {
        params: { lr: 0.1 },
        distributions: { lr: { type: 'float', low: 0, high: 1 } },
      });
      const done = await store.updateTrial(t.id, { state: 'complete', value: 0.75, endTime: 99 });
      assert.deepEqual(
        [done.state, done.value, done.params, done.endTime],
        ['complete', 0.75, { lr: 0.1 }, 99],
      );
      assert.deepEqual(done.intermediate, [
        { step: 1, value: 0.5 },
        { step: 2, value: 0.7 },
      ]);
      await assert.rejects(
        store.updateTrial(t.id, { params: { lr: 0.2 } }),
        /param 'lr' of trial \d+ is already 0\.1/,
      );
      assert.equal((await store.listTrials(study.id, { states: ['complete'] })).length, 1);
      assert.deepEqual((await store.getStudy('lr-search'))!.sampler, {
        name: 'TPESampler',
        seed: 1,
      });
      assert.equal(await store.deleteStudy('lr-search'), true);
      assert.deepEqual(await store.listStudies(), []);
    });
  });

  it('fails a trial whose heartbeat went stale', async () => {
    await withStore(
      target,
      async (store) => {
        const study = await store.createStudy({ name: 's', direction: 'minimize' });
        const beating = await store.createTrial(study.id);
        const quiet = await store.createTrial(study.id);
        await store.trialHeartbeat(beating.id, Date.now() - 10_000);
        const [a, b] = await store.listTrials(study.id);
        assert.equal(a!.state, 'fail');
        assert.match(a.error!, /heartbeat stopped/);
        assert.equal(b!.id, quiet.id);
        assert.equal(b!.state, 'running'); // no heartbeat sent: never stale
      },
      { staleAfterMs: 1000 },
    );
  });
});
