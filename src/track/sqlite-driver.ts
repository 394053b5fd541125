import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver.js';

/** How long a writer waits for another process's transaction before giving up (ms). */
const BUSY_TIMEOUT_MS = 60_000;

/**
 * One queue per database file for all connections of this process. SQLite's busy handler
 * sleeps synchronously: a connection waiting for a lock that another connection of the same
 * process holds across an `await` would block the thread that must release it. Serializing
 * in-process access per file avoids that; other processes are waited for by the busy timeout.
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * SQLite through better-sqlite3: one file, WAL mode (readers never block the writer), a long
 * busy timeout, and every write transaction `BEGIN IMMEDIATE` so that two processes never both
 * hold a read lock and then deadlock upgrading it (which SQLite reports as "database is locked"
 * without waiting). Calls are synchronous underneath; a promise queue keeps one transaction at a
 * time per file in this process when async callers interleave.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.location = resolve(path);
    mkdirSync(dirname(this.location), { recursive: true });
    this.db = new Database(this.location, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
  }

  connectionSpec(): string {
    return this.location;
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private readonly direct: SqlExecutor = {
    all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) => {
      const s = this.statement(sql);
      if (s.reader) return s.all(...params) as T[];
      s.run(...params);
      return [];
    },
    values: async (sql: string, params: readonly SqlValue[] = []) =>
      this.statement(sql)
        .raw(true)
        .all(...params) as unknown[][],
    run: async (sql: string, params: readonly SqlValue[] = []) =>
      this.statement(sql).run(...params).changes,
  };

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = (queues.get(this.location) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    queues.set(this.location, settled);
    // Forget the queue once idle, so that closed databases do not accumulate entries.
    void settled.then(() => {
      if (queues.get(this.location) === settled) queues.delete(this.location);
    });
    return next;
  }

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exclusive(() => this.direct.all<T>(sql, params));
  }

  values(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.exclusive(() => this.direct.values(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.exclusive(() => this.direct.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async lockSchema(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's only write lock.
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      if (this.db.open) this.db.close();
    });
  }
}
