/**
 * The small SQL surface both stores need: run a statement, read rows, run a transaction. The
 * store logic (sql-store.ts) is written once against it; sqlite-driver.ts and postgres-driver.ts
 * are the two implementations. Statements use `?` placeholders; the PostgreSQL driver numbers them.
 */
import type { Dialect } from './schema.js';

/** A bound parameter value; arrays only for PostgreSQL (its `unnest` bulk inserts). */
export type SqlValue = string | number | null | readonly (string | number | null)[];

/** A result row, by column name. */
export type Row = Record<string, unknown>;

/** Runs statements: outside a transaction (each its own) or inside one. */
export interface SqlExecutor {
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Rows as arrays of column values, in select order (cheaper than objects for big reads). */
  values(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** A database connection (or pool) of one dialect. */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /** The file or URL (password hidden). */
  readonly location: string;
  /**
   * Where a second connection to this database opens: the file, or the URL with its password
   * (for a worker thread of this process; never print it).
   */
  connectionSpec(): string;
  /**
   * Runs `fn` in a write transaction: committed when it resolves, rolled back when it throws.
   * Writers from other processes wait (SQLite's busy timeout, PostgreSQL's row locks).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Inside a transaction: blocks other processes' migrations until it ends. */
  lockSchema(tx: SqlExecutor): Promise<void>;
  close(): Promise<void>;
}
