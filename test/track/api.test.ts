// k.track's logging API on a real SQLite store: startRun, default steps, immutable params,
// batched writes, artifacts (copied in, recorded in place, links out refused), system samples,
// and TrackingCallback on a real Trainer.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-track-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('k.track API', () => {
  it('logs params, metrics with default steps, tags and ends the run', async () => {
    const store = join(dir, 'a', 'kiln.db');
    const run = await k.track.startRun({
      experiment: 'api',
      name: 'first',
      params: { lr: 0.1 },
      tags: { who: 'me' },
      store,
      flushEvery: 3,
    });
    run.logMetric('loss', 3);
    run.logMetric('loss', 2);
    run.logMetric('loss', 1, 10);
    run.logMetric('loss', 0.5);
    run.logMetrics({ acc: 0.5, f1: 0.4 }, 7);
    await run.logParams({ lr: 0.1, batch: 32 });
    await assert.rejects(
      run.logParams({ lr: 0.2 }),
      /param 'lr' is already 0\.1; params are immutable/,
    );
    assert.throws(
      () => run.logMetric('loss', 1, -1),
      /step of 'loss' must be a non-negative integer/,
    );
    assert.throws(() => run.logMetric('loss', '1' as unknown as number), /'loss' must be a number/);
    await run.end();
    assert.throws(() => run.logMetric('loss', 1), /has ended/);

    const s = await k.track.openStore(store);
    try {
      const summary = (await s.getRunSummary('first'))!;
      assert.equal(summary.status, 'finished');
      assert.deepEqual(summary.params, { batch: 32, lr: 0.1 });
      assert.deepEqual(summary.tags, { who: 'me' });
      assert.deepEqual(summary.metrics, { acc: 0.5, f1: 0.4, loss: 0.5 });
      assert.deepEqual(
        (await s.getMetrics(summary.id, { keys: ['loss'] })).map((p) => [p.step, p.value]),
        [
          [0, 3],
          [1, 2],
          [10, 1],
          [11, 0.5],
        ],
      );
    } finally {
      await s.close();
    }
  });

  it('records artifacts in the run folder, copying outside files in and refusing links out', async () => {
    const store = await k.track.openStore(join(dir, 'b', 'kiln.db'));
    try {
      const runDir = join(dir, 'b', 'run');
      mkdirSync(join(runDir, 'plots'), { recursive: true });
      writeFileSync(join(runDir, 'plots', 'loss.png'), 'png bytes');
      writeFileSync(join(dir, 'outside.txt'), 'hello');
      symlinkSync(join(dir, 'outside.txt'), join(runDir, 'escape.txt'));
      const run = await k.track.startRun({ experiment: 'api', store, runDir, systemIntervalMs: 0 });
      const inside = await run.logArtifact(join(runDir, 'plots', 'loss.png'));
      assert.deepEqual([inside.path, inside.size], ['plots/loss.png', 9]);
      const copied = await run.logArtifact(join(dir, 'outside.txt'));
      assert.equal(copied.path, 'outside.txt');
      assert.equal(readFileSync(join(runDir, 'outside.txt'), 'utf8'), 'hello');
      assert.equal(
        copied.sha256,
        '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      );
      await assert.rejects(
        run.logArtifact(join(runDir, 'escape.txt')),
        /is a link to a file outside the run folder/,
      );
      await assert.rejects(run.logArtifact(join(dir, 'missing.bin')), /is not a file/);
      await run.end('failed');
      assert.deepEqual(
        (await store.listArtifacts(run.id)).map((a) => a.path),
        ['outside.txt', 'plots/loss.png'],
      );
      assert.equal((await store.getRun(run.id))!.status, 'failed');
      // A run given an open store leaves it open.
      assert.equal(await store.schemaVersion(), 3);
      // Without a run folder, artifacts go to artifacts/<run id> beside the SQLite file.
      const bare = await k.track.startRun({ experiment: 'api', store });
      await bare.logArtifact(join(dir, 'outside.txt'));
      assert.equal(bare.runDir, join(dir, 'b', 'artifacts', bare.id));
      await bare.end();
    } finally {
      await store.close();
    }
  });

  it('TrackingCallback logs a Trainer: epochs, batches every logEvery, lr, system samples', async () => {
    k.manualSeed(0);
    const x = k.randn([64, 3]);
    const y = x.sum(1, true).mul(2);
    const model = new k.nn.Linear(3, 1);
    const loader = new k.data.DataLoader(new k.data.TensorDataset(x, y), { batchSize: 8 });
    const store = join(dir, 'c', 'kiln.db');
    const tracking = new k.track.TrackingCallback({
      experiment: 'regression',
      name: 'linear',
      store,
      logEvery: 2,
      params: { hidden: 0 },
      runOptions: { systemIntervalMs: 1 },
    });
    const trainer = new k.train.Trainer({
      model,
      optimizer: new k.optim.SGD(model.parameters(), { lr: 0.05 }),
      loss: k.F.mseLoss,
      callbacks: [tracking],
    });
    await trainer.fit(loader, { epochs: 3 });
    const s = await k.track.openStore(store);
    try {
      const run = (await s.getRunSummary('linear'))!;
      assert.equal(run.status, 'finished');
      assert.equal(run.params.hidden, 0);
      const epochLoss = await s.getMetrics(run.id, { keys: ['loss'] });
      assert.deepEqual(
        epochLoss.map((p) => [p.step, p.epoch]),
        [
          [8, 0],
          [16, 1],
          [24, 2],
        ],
      );
      assert.ok(epochLoss[2]!.value < epochLoss[0]!.value, 'the loss went down');
      const batch = await s.getMetrics(run.id, { keys: ['batch_loss'] });
      assert.deepEqual(
        batch.map((p) => p.step),
        [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24],
      );
      assert.deepEqual(
        (await s.getMetrics(run.id, { keys: ['lr'] })).map((p) => p.value),
        [0.05, 0.05, 0.05],
      );
      const system = await s.getSystemSamples(run.id);
      assert.ok(system.length > 0, 'system samples');
      assert.ok(system.every((p) => p.rss > 1e6 && p.cpuPercent >= 0));
      assert.ok(system.some((p) => p.samplesPerSecond !== null && p.samplesPerSecond > 0));
    } finally {
      await s.close();
    }
  });
});
