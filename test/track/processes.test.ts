// Several real processes against one store: four writers logging 10,000 points each at once
// (nothing lost, no "database is locked"), and a run whose process is SIGKILLed reads as
// killed; `kiln train --store` tracks its run. Same bodies against SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/track/open.js';
import { runMain } from '../cli/helpers.js';
import { forEachStore, it, ROOT } from './helpers.js';

const WRITER = join(ROOT, 'test', 'track', 'fixtures', 'writer.ts');

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function writer(
  store: string,
  name: string,
  points: number,
  hang = false,
  onReady?: (kill: () => void) => void,
): Promise<Child> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      WRITER,
      store,
      name,
      String(points),
      ...(hang ? ['hang'] : []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, KILN_QUIET: '1' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) onReady?.(() => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

forEachStore('several processes', (target) => {
  it('four writers log 10,000 points each at once: nothing lost, never "database is locked"', async () => {
    const location = await target.fresh();
    const results = await Promise.all([0, 1, 2, 3].map((i) => writer(location, `w${i}`, 10_000)));
    for (const r of results) {
      assert.equal(r.code, 0, `writer failed: ${r.err}`);
      assert.doesNotMatch(r.err, /locked|busy/i);
    }
    const store = await openStore(location);
    try {
      const runs = await store.listRuns({ experiment: 'concurrent', orderBy: 'name' });
      assert.deepEqual(
        runs.map((r) => [r.name, r.status, r.params.writer]),
        [
          ['w0', 'finished', 'w0'],
          ['w1', 'finished', 'w1'],
          ['w2', 'finished', 'w2'],
          ['w3', 'finished', 'w3'],
        ],
      );
      for (const run of runs) {
        const points = await store.getMetrics(run.id, { keys: ['m'] });
        assert.equal(points.length, 10_000);
        assert.ok(
          points.every((p, i) => p.step === i && p.value === i * 0.5),
          `series of ${run.name}`,
        );
        assert.equal(run.metrics.m, 9999 * 0.5);
      }
    } finally {
      await store.close();
    }
  });

  it('a SIGKILLed run reads as killed', async () => {
    const location = await target.fresh();
    const child = await writer(location, 'doomed', 100, true, (kill) => kill());
    assert.equal(child.signal, 'SIGKILL');
    const store = await openStore(location);
    try {
      const run = (await store.getRun('doomed'))!;
      assert.equal(run.status, 'killed');
      assert.ok(run.endTime !== null && run.endTime >= run.startTime);
      assert.equal((await store.getMetrics(run.id)).length, 100);
    } finally {
      await store.close();
    }
  });

  it('kiln train --store tracks its run there', async () => {
    const location = await target.fresh();
    const out = mkdtempSync(join(tmpdir(), 'kiln-train-store-'));
    try {
      const iris = join(ROOT, 'examples', 'iris.yaml');
      const r = await runMain(['train', iris, '--out', out, '--epochs', '2', '--store', location]);
      assert.equal(r.code, 0, r.err);
      const store = await openStore(location);
      try {
        const run = (await store.getRunSummary('iris'))!;
        assert.equal(run.status, 'finished');
        assert.equal(run.params['optimizer.type'], 'Adam');
        assert.deepEqual(
          (await store.getMetrics(run.id, { keys: ['loss'] })).map((p) => p.epoch),
          [0, 1],
        );
        assert.ok((await store.listArtifacts(run.id)).some((a) => a.path === 'model.safetensors'));
      } finally {
        await store.close();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
