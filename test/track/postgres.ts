// A PostgreSQL server for tests and benchmarks: a private cluster started with initdb/pg_ctl in
// a temp folder on a free port (as the `postgres` user when running as root), or the server
// KILN_TEST_PG_URL names. Kept free of node:test so that benchmarks can use it too.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const PG_BIN = process.env.KILN_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL server for the tests: a private cluster, or the one KILN_TEST_PG_URL names. */
export interface PgServer {
  /** A new empty database on the server; its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

let dbCounter = 0;

async function serverAt(adminUrl: string, cleanup: () => Promise<void>): Promise<PgServer> {
  const created: string[] = [];
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    async createDatabase() {
      const name = `kiln_test_${process.pid}_${Date.now()}_${dbCounter++}`;
      await admin((c) => c.query(`CREATE DATABASE ${name}`));
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (process.env.KILN_TEST_PG_URL)
        await admin(async (c) => {
          for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        });
      await cleanup();
    },
  };
}

/**
 * Starts a private PostgreSQL cluster in a temp folder on a free port (initdb and pg_ctl run as
 * the `postgres` user when the tests run as root, since PostgreSQL refuses to run as root), or
 * uses KILN_TEST_PG_URL's server. Stop it at the end.
 */
export async function startPostgres(): Promise<PgServer> {
  const given = process.env.KILN_TEST_PG_URL;
  if (given) return serverAt(given, async () => undefined);
  if (!existsSync(join(PG_BIN, 'initdb')))
    throw new Error(
      `PostgreSQL binaries not found in ${PG_BIN}: install postgresql (15), or set KILN_TEST_PG_URL or KILN_TEST_PG_BIN`,
    );
  const dir = mkdtempSync(join(tmpdir(), 'kiln-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const as = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args]]
      : [join(PG_BIN, cmd), args];
    const r = spawnSync(file, argv as string[], { encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`.slice(0, 2000));
  };
  const user = asRoot ? 'postgres' : userInfo().username;
  as('initdb', ['-D', data, '-A', 'trust', '-U', user, '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`;
  as('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const stop = async () => {
    try {
      as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return serverAt(`postgresql://${user}@127.0.0.1:${port}/postgres`, stop);
}
