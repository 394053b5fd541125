// Schema migrations against both databases: a store written at schema version 1 (before the
// latest-metrics table and studies existed) is migrated on open, with its latest metrics
// backfilled; a database from a newer kiln is refused; concurrent openers migrate once.
import assert from 'node:assert/strict';
import type { SqlDriver } from '../../src/track/driver.js';
import { migrate } from '../../src/track/migrate.js';
import { openStore } from '../../src/track/open.js';
import { PostgresDriver } from '../../src/track/postgres-driver.js';
import { SCHEMA_VERSION } from '../../src/track/schema.js';
import { SqliteDriver } from '../../src/track/sqlite-driver.js';
import { forEachStore, it } from './helpers.js';

const driverFor = (location: string): SqlDriver =>
  location.startsWith('postgresql://') ? new PostgresDriver(location) : new SqliteDriver(location);

forEachStore('schema migrations', (target) => {
  it('migrates a version-1 database with data to the newest schema, backfilling latest metrics', async () => {
    const location = await target.fresh();
    const old = driverFor(location);
    assert.equal(await migrate(old, 1), 1);
    await old.run("INSERT INTO experiments (name, created_at) VALUES ('legacy', 1)");
    const [exp] = await old.all("SELECT id FROM experiments WHERE name = 'legacy'");
    await old.run(
      `INSERT INTO runs (id, experiment_id, name, status, start_time, heartbeat, kiln_version, host, pid)
        VALUES ('0123456789abcdef0123456789abcdef', ?, 'old-run', 'finished', 1, 1, '0.0.1', 'h', 1)`,
      [Number(exp!.id)],
    );
    const rows: [string, number, number, number][] = [
      ['loss', 0, 2, 10],
      ['loss', 2, 0.5, 12],
      ['loss', 1, 1, 11],
      ['acc', 3, 0.9, 13],
      ['acc', 3, 0.95, 14], // the same step logged twice: the later point wins
    ];
    for (const [key, step, value, time] of rows)
      await old.run(
        "INSERT INTO metrics (run_id, key, step, epoch, value, time) VALUES ('0123456789abcdef0123456789abcdef', ?, ?, NULL, ?, ?)",
        [key, step, value, time],
      );
    await old.close();

    const store = await openStore(location);
    try {
      assert.equal(await store.schemaVersion(), SCHEMA_VERSION);
      const run = (await store.getRunSummary('old-run'))!;
      assert.deepEqual(run.metrics, { acc: 0.95, loss: 0.5 });
      assert.equal((await store.getMetrics(run.id)).length, 5);
      const study = await store.createStudy({ name: 'after-migration', direction: 'minimize' });
      assert.equal((await store.createTrial(study.id)).number, 0);
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer kiln', async () => {
    const location = await target.fresh();
    const db = driverFor(location);
    await migrate(db);
    await db.run('INSERT INTO kiln_schema (version, applied_at) VALUES (99, 0)');
    await db.close();
    await assert.rejects(
      openStore(location),
      /schema version 99 is newer than this kiln's \(3\); upgrade kiln/,
    );
  });

  it('applies each migration once when several openers race', async () => {
    const location = await target.fresh();
    const stores = await Promise.all([0, 1, 2, 3].map(() => openStore(location)));
    const db = driverFor(location);
    try {
      const versions = await db.all('SELECT version FROM kiln_schema ORDER BY version');
      assert.deepEqual(
        versions.map((v) => Number(v.version)),
        [1, 2, 3],
      );
    } finally {
      await db.close();
      for (const s of stores) await s.close();
    }
  });
});
