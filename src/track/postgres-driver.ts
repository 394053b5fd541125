import pg from 'pg';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver.js';

/** Arbitrary constant naming kiln's migration lock among the server's advisory locks. */
const MIGRATION_LOCK = 7_390_214_551;

/** Type ids of BIGINT and NUMERIC, read as JS numbers (steps, sizes and counts fit in 2^53). */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** `?` placeholders to PostgreSQL's `$1, $2...` (kiln's SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL with its password replaced, for messages and `store.location`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgresql://(unparsable url)';
  }
}

/**
 * PostgreSQL through a small `pg` pool. Transactions run on one pooled client; the migration
 * lock is a transaction-scoped advisory lock.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgresql' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly sqlCache = new Map<string, string>();
  /** The URL with its password (see connectionSpec); `location` hides the password. */
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
    this.location = redactUrl(url);
    this.pool = new pg.Pool({ connectionString: url, max: 4, types });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  connectionSpec(): string {
    return this.#url;
  }

  private sql(sql: string): string {
    let s = this.sqlCache.get(sql);
    if (s === undefined) {
      s = numbered(sql);
      this.sqlCache.set(sql, s);
    }
    return s;
  }

  private executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    return {
      all: async <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        (await client.query(this.sql(sql), params as SqlValue[])).rows as T[],
      values: async (sql: string, params: readonly SqlValue[] = []) =>
        (
          await client.query({
            text: this.sql(sql),
            values: params as SqlValue[],
            rowMode: 'array',
          })
        ).rows as unknown[][],
      run: async (sql: string, params: readonly SqlValue[] = []) =>
        (await client.query(this.sql(sql), params as SqlValue[])).rowCount ?? 0,
    };
  }

  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.executor(this.pool).all<T>(sql, params);
  }

  values(sql: string, params?: readonly SqlValue[]): Promise<unknown[][]> {
    return this.executor(this.pool).values(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.executor(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(this.executor(client));
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async lockSchema(tx: SqlExecutor): Promise<void> {
    await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
