// Shared helpers of the tracking tests: a private PostgreSQL cluster (or the server of
// KILN_TEST_PG_URL), fresh databases on it, and `forEachStore` to run one test body against a
// real SQLite file and a real PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/track/open.js';
import type { StoreOptions, TrackStore } from '../../src/track/types.js';

import { type PgServer, startPostgres } from './postgres.js';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Where a test's store lives: a SQLite file path or a PostgreSQL URL. */
export interface StoreTarget {
  kind: 'sqlite' | 'postgresql';
  /** A fresh, empty location for one test. */
  fresh(): Promise<string>;
}

/**
 * Declares a describe block per store kind, each running `body` with a target that makes
 * fresh stores: a SQLite file in a temp folder, and a database on a private PostgreSQL server.
 */
export function forEachStore(title: string, body: (target: StoreTarget) => void): void {
  describe(`${title} [sqlite]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-track-'));
    let n = 0;
    after(() => rmSync(dir, { recursive: true, force: true }));
    body({ kind: 'sqlite', fresh: async () => join(dir, `s${n++}`, 'kiln.db') });
  });
  describe(`${title} [postgresql]`, () => {
    let server: PgServer | undefined;
    before(async () => {
      server = await startPostgres();
    });
    after(async () => server?.stop());
    body({ kind: 'postgresql', fresh: () => server!.createDatabase() });
  });
}

/** Opens a fresh store of the target, closed after `fn`. */
export async function withStore<T>(
  target: StoreTarget,
  fn: (store: TrackStore, location: string) => Promise<T>,
  options: StoreOptions = {},
): Promise<T> {
  const location = await target.fresh();
  const store = await openStore(location, options);
  try {
    return await fn(store, location);
  } finally {
    await store.close();
  }
}

export { it, type PgServer, startPostgres };
