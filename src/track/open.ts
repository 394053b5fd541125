import { join } from 'node:path';
import { ValueError } from '../tensor/errors.js';
import { SqlStore } from './sql-store.js';
import type { StoreOptions, TrackStore } from './types.js';

/** The store file when neither `--store` nor `KILN_STORE` says otherwise: beside the run folders. */
export function defaultStorePath(runsDir = 'runs'): string {
  return join(runsDir, 'kiln.db');
}

/**
 * Which store a command uses: the explicit `store` (a `--store` option), else `KILN_STORE`, else
 * SQLite at `<runsDir>/kiln.db`.
 *
 * @example
 * ```ts
 * k.track.resolveStore(undefined, 'runs'); // 'runs/kiln.db' unless KILN_STORE is set
 * ```
 */
export function resolveStore(store?: string, runsDir = 'runs'): string {
  return store || process.env.KILN_STORE || defaultStorePath(runsDir);
}

/** Whether a store spec names a PostgreSQL server. */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * Opens a tracking store: a `postgresql://user:pass@host:port/db` URL selects PostgreSQL, anything
 * else is the path of a SQLite file (created with its folder when missing). The schema is
 * migrated to this kiln's version on open. Close it when done.
 *
 * @example
 * ```ts
 * const store = await k.track.openStore('runs/kiln.db');
 * console.log(await store.listRuns({ orderBy: 'metrics.val_loss' }));
 * await store.close();
 * ```
 */
export async function openStore(spec?: string, options: StoreOptions = {}): Promise<TrackStore> {
  const where = resolveStore(spec);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(where) && !isPostgresUrl(where))
    throw new ValueError(
      `store '${where}': unsupported URL scheme; use a SQLite file path or a postgresql:// URL`,
    );
  // Each database client is loaded when a store of its kind is opened, so importing kiln (and
  // training without tracking) costs neither pg's nor better-sqlite3's load time and memory.
  const driver = isPostgresUrl(where)
    ? new (await import('./postgres-driver.js')).PostgresDriver(where)
    : new (await import('./sqlite-driver.js')).SqliteDriver(where);
  return SqlStore.open(driver, options);
}
