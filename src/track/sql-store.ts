import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { kilnVersion } from '../io/version.js';
import { ValueError } from '../tensor/errors.js';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver.js';
import { compareFieldValues, compileFilter, fieldGetter } from './filter.js';
import { migrate } from './migrate.js';
import { StudyTables } from './sql-studies.js';
import type {
  ArtifactRecord,
  Experiment,
  MetricPoint,
  MetricQuery,
  NewRun,
  ParamValue,
  RunQuery,
  RunRecord,
  RunStatus,
  RunSummary,
  StoreOptions,
  SystemSample,
  TrackStore,
} from './types.js';

/** Rows per multi-row INSERT: well under both databases' bound-parameter limits. */
const CHUNK = 400;

const RUN_COLUMNS = `r.id, r.experiment_id, e.name AS experiment, r.name, r.status, r.start_time,
  r.end_time, r.heartbeat, r.seed, r.kiln_version, r.git_commit, r.config, r.host, r.pid, r.run_dir`;
const RUN_FROM = 'FROM runs r JOIN experiments e ON e.id = r.experiment_id';

function toRun(r: Row): RunRecord {
  return {
    id: r.id as string,
    experimentId: Number(r.experiment_id),
    experiment: r.experiment as string,
    name: r.name as string,
    status: r.status as RunStatus,
    startTime: Number(r.start_time),
    endTime: r.end_time === null ? null : Number(r.end_time),
    heartbeat: Number(r.heartbeat),
    seed: r.seed === null ? null : Number(r.seed),
    kilnVersion: r.kiln_version as string,
    gitCommit: (r.git_commit as string | null) ?? null,
    config: typeof r.config === 'string' ? JSON.parse(r.config) : null,
    host: r.host as string,
    pid: Number(r.pid),
    runDir: (r.run_dir as string | null) ?? null,
  };
}

/** A stored param (JSON text); plain numbers skip the JSON parser, which 100,000s of rows notice. */
function parseParam(text: string): ParamValue {
  const n = Number(text);
  return text !== '' && Number.isFinite(n) && /^-?[\d.]/.test(text)
    ? n
    : (JSON.parse(text) as ParamValue);
}

/** NaN is stored as NULL (SQLite has no NaN); NULL reads back as NaN. */
const toSql = (v: number): number | null => (Number.isNaN(v) ? null : v);
const fromSql = (v: unknown): number => (v === null ? Number.NaN : Number(v));

/** `(?, ?, ?), (?, ?, ?)...` for a multi-row insert. */
function placeholders(rows: number, columns: number): string {
  const one = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(one).join(', ');
}

async function insertRows(
  tx: SqlExecutor,
  head: string,
  columns: number,
  rows: readonly SqlValue[][],
  tail = '',
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await tx.run(`${head} VALUES ${placeholders(chunk.length, columns)} ${tail}`, chunk.flat());
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The tracking store over a {@link SqlDriver}: all logic and SQL shared by the SQLite and the
 * PostgreSQL store, so both behave the same and pass the same tests.
 */
export class SqlStore extends StudyTables implements TrackStore {
  readonly kind: TrackStore['kind'];
  readonly location: string;
  private readonly host = hostname();

  private constructor(
    db: SqlDriver,
    private readonly staleAfterMs: number,
  ) {
    super(db, staleAfterMs);
    this.kind = db.dialect;
    this.location = db.location;
  }

  connectionSpec(): string {
    return this.db.connectionSpec();
  }

  /** Opens the store on a driver, migrating its schema first. */
  static async open(db: SqlDriver, options: StoreOptions = {}): Promise<SqlStore> {
    try {
      await migrate(db, options.targetVersion);
    } catch (e) {
      await db.close();
      throw e;
    }
    const env = Number(process.env.KILN_TRACK_STALE_MS);
    const stale = options.staleAfterMs ?? (env > 0 ? env : 120_000);
    return new SqlStore(db, stale);
  }

  async schemaVersion(): Promise<number> {
    const [row] = await this.db.all<{ v: number }>('SELECT MAX(version) AS v FROM kiln_schema');
    return Number(row?.v ?? 0);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** Marks runs whose process is gone as killed: a dead pid on this host, else a stale heartbeat. */
  private async reap(): Promise<void> {
    const killed = "status = 'killed', end_time = heartbeat";
    // Runs of this host are judged by their pid instead: a live process may go quiet for long
    // (an epoch of synchronous compute starves its heartbeat timer) without having died.
    await this.updateFound(
      'runs',
      killed,
      [],
      "status = 'running' AND heartbeat < ? AND host <> ?",
      [Date.now() - this.staleAfterMs, this.host],
    );
    const local = await this.db.all<{ id: string; pid: number }>(
      "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?",
      [this.host],
    );
    for (const r of local)
      if (!processAlive(Number(r.pid)))
        await this.db.run(`UPDATE runs SET ${killed} WHERE id = ? AND status = 'running'`, [r.id]);
    await this.reapTrials();
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    if (!name) throw new ValueError('experiment: the name must not be empty');
    await this.db.run(
      'INSERT INTO experiments (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
      [name, Date.now()],
    );
    const [row] = await this.db.all('SELECT id, name, created_at FROM experiments WHERE name = ?', [
      name,
    ]);
    return { id: Number(row!.id), name, createdAt: Number(row!.created_at) };
  }

  async listExperiments(): Promise<Experiment[]> {
    const rows = await this.db.all('SELECT id, name, created_at FROM experiments ORDER BY id');
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name as string,
      createdAt: Number(r.created_at),
    }));
  }

  async createRun(init: NewRun): Promise<RunRecord> {
    const experiment = await this.getOrCreateExperiment(init.experiment);
    const id = randomUUID().replace(/-/g, '');
    const now = init.startTime ?? Date.now();
    await this.db.run(
      `INSERT INTO runs (id, experiment_id, name, status, start_time, end_time, heartbeat, seed,
        kiln_version, git_commit, config, host, pid, run_dir, owns_run_dir)
        VALUES (?, ?, ?, 'running', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        experiment.id,
        init.name ?? `run-${id.slice(0, 8)}`,
        now,
        now,
        init.seed ?? null,
        init.kilnVersion ?? kilnVersion(),
        init.gitCommit ?? null,
        init.config === undefined ? null : JSON.stringify(init.config),
        init.host ?? this.host,
        init.pid ?? process.pid,
        init.runDir ?? null,
        init.ownsRunDir ? 1 : 0,
      ],
    );
    return (await this.runById(id))!;
  }

  private async runById(id: string): Promise<RunRecord | null> {
    const [row] = await this.db.all(`SELECT ${RUN_COLUMNS} ${RUN_FROM} WHERE r.id = ?`, [id]);
    return row ? toRun(row) : null;
  }

  async getRun(ref: string): Promise<RunRecord | null> {
    await this.reap();
    const exact = await this.runById(ref);
    if (exact) return exact;
    const prefix = /^[0-9a-f]{6,31}$/.test(ref) ? `${ref}%` : null;
    const rows = await this.db.all(
      `SELECT ${RUN_COLUMNS} ${RUN_FROM} WHERE r.name = ? OR r.id LIKE ? ORDER BY r.start_time`,
      [ref, prefix],
    );
    if (rows.length > 1) {
      const list = rows.map((r) => `${(r.id as string).slice(0, 8)} (${r.name})`).join(', ');
      throw new ValueError(
        `run '${ref}' is ambiguous: it matches ${rows.length} runs: ${list}; give more of the id`,
      );
    }
    return rows[0] ? toRun(rows[0]) : null;
  }

  async getRunSummary(ref: string): Promise<RunSummary | null> {
    const run = await this.getRun(ref);
    if (!run) return null;
    const [params, tags, metrics] = await Promise.all([
      this.getParams(run.id),
      this.getTags(run.id),
      this.db.all('SELECT key, value FROM latest_metrics WHERE run_id = ?', [run.id]),
    ]);
    const latest: Record<string, number> = {};
    for (const m of metrics) latest[m.key as string] = fromSql(m.value);
    return { ...run, params, tags, metrics: latest };
  }

  async listRuns(query: RunQuery = {}): Promise<RunSummary[]> {
    const matches = query.filter ? compileFilter(query.filter) : null;
    const sortKey = query.orderBy ? fieldGetter(query.orderBy) : null;
    await this.reap();
    const where = query.experiment === undefined ? '' : 'WHERE e.name = ?';
    const args = query.experiment === undefined ? [] : [query.experiment];
    // Without an experiment, no join: every row belongs to some run (foreign keys cascade).
    const scope =
      query.experiment === undefined
        ? ''
        : 'WHERE run_id IN (SELECT r.id FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE e.name = ?)';
    const rows = await this.db.all(
      `SELECT ${RUN_COLUMNS} ${RUN_FROM} ${where} ORDER BY r.start_time DESC`,
      args,
    );
    const byId = new Map<string, RunSummary>();
    for (const row of rows)
      byId.set(row.id as string, { ...toRun(row), params: {}, tags: {}, metrics: {} });
    // Params and tags come as one JSON object per run, built by the database: far fewer rows to
    // materialize in JS than one per key (10,000 runs of 20 params are 200,000 rows).
    const grouped = (table: string, value: string) =>
      this.db.values(
        this.db.dialect === 'sqlite'
          ? `SELECT run_id, json_group_object(key, ${value}) FROM ${table} ${scope} GROUP BY run_id`
          : `SELECT run_id, json_object_agg(key, ${value === 'value' ? 'value' : 'value::json'})::text FROM ${table} ${scope} GROUP BY run_id`,
        args,
      );
    for (const [id, json] of await grouped('params', 'json(value)')) {
      const run = byId.get(id as string);
      if (run) run.params = JSON.parse(json as string);
    }
    for (const [id, json] of await grouped('tags', 'value')) {
      const run = byId.get(id as string);
      if (run) run.tags = JSON.parse(json as string);
    }
    const read = (table: string) =>
      this.db.values(`SELECT run_id, key, value FROM ${table} ${scope}`, args);
    for (const [id, key, value] of await read('latest_metrics')) {
      const run = byId.get(id as string);
      if (run) run.metrics[key as string] = fromSql(value);
    }
    let runs = [...byId.values()];
    if (matches) runs = runs.filter(matches);
    if (sortKey) {
      const sign = query.descending ? -1 : 1;
      runs.sort((a, b) => compareFieldValues(sortKey(a), sortKey(b), sign));
    }
    const offset = query.offset ?? 0;
    return runs.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
  }

  async heartbeat(runId: string, time = Date.now()): Promise<void> {
    await this.db.run(
      "UPDATE runs SET heartbeat = ?, status = 'running', end_time = NULL WHERE id = ? AND status IN ('running', 'killed')",
      [time, runId],
    );
  }

  async reopenRun(runId: string, time = Date.now()): Promise<RunRecord | null> {
    await this.db.run(
      "UPDATE runs SET status = 'running', end_time = NULL, heartbeat = ?, host = ?, pid = ? WHERE id = ?",
      [time, this.host, process.pid, runId],
    );
    return this.runById(runId);
  }

  async endRun(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    time = Date.now(),
  ): Promise<void> {
    const changed = await this.db.run(
      'UPDATE runs SET status = ?, end_time = ?, heartbeat = ? WHERE id = ?',
      [status, time, time, runId],
    );
    if (changed === 0) throw new ValueError(`endRun: no run with id ${runId}`);
  }

  async deleteRun(runId: string): Promise<RunRecord | null> {
    const run = await this.runById(runId);
    if (run) await this.db.run('DELETE FROM runs WHERE id = ?', [runId]);
    return run;
  }

  async setRunDir(runId: string, runDir: string, ownsRunDir: boolean): Promise<void> {
    await this.db.run('UPDATE runs SET run_dir = ?, owns_run_dir = ? WHERE id = ?', [
      runDir,
      ownsRunDir ? 1 : 0,
      runId,
    ]);
  }

  async ownsRunDir(runId: string): Promise<boolean> {
    const [row] = await this.db.all('SELECT owns_run_dir FROM runs WHERE id = ?', [runId]);
    return Number(row?.owns_run_dir ?? 0) === 1;
  }

  async logParams(runId: string, params: Record<string, ParamValue>): Promise<void> {
    const entries = Object.entries(params).map(([k, v]) => [k, JSON.stringify(v ?? null)]);
    if (entries.length === 0) return;
    await this.db.transaction(async (tx) => {
      const rows = await tx.all('SELECT key, value FROM params WHERE run_id = ?', [runId]);
      const old = new Map(rows.map((r) => [r.key as string, r.value as string]));
      for (const [key, value] of entries) {
        const before = old.get(key!);
        if (before !== undefined && before !== value)
          throw new ValueError(
            `logParams: param '${key}' of run ${runId.slice(0, 8)} is already ${before}; params are immutable once logged (got ${value})`,
          );
      }
      const fresh = entries.filter(([key]) => !old.has(key!)).map(([k, v]) => [runId, k!, v!]);
      await insertRows(tx, 'INSERT INTO params (run_id, key, value)', 3, fresh);
    });
  }

  async getParams(runId: string): Promise<Record<string, ParamValue>> {
    const rows = await this.db.all('SELECT key, value FROM params WHERE run_id = ? ORDER BY key', [
      runId,
    ]);
    return Object.fromEntries(rows.map((r) => [r.key, parseParam(r.value as string)]));
  }

  async setTags(runId: string, tags: Record<string, string>): Promise<void> {
    const rows = Object.entries(tags).map(([k, v]) => [runId, k, String(v)]);
    await this.db.transaction((tx) =>
      insertRows(
        tx,
        'INSERT INTO tags (run_id, key, value)',
        3,
        rows,
        'ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value',
      ),
    );
  }

  async getTags(runId: string): Promise<Record<string, string>> {
    const rows = await this.db.all('SELECT key, value FROM tags WHERE run_id = ? ORDER BY key', [
      runId,
    ]);
    return Object.fromEntries(rows.map((r) => [r.key, r.value as string]));
  }

  async logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const latest = new Map<string, MetricPoint>();
    for (const p of points) {
      const seen = latest.get(p.key);
      if (!seen || p.step >= seen.step) latest.set(p.key, p);
    }
    const now = Date.now();
    await this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgresql')
        // One statement of six arrays: far fewer bound values to send and parse than VALUES rows.
        await tx.run(
          `INSERT INTO metrics (run_id, key, step, epoch, value, time)
            SELECT ?, * FROM unnest(?::text[], ?::bigint[], ?::integer[], ?::double precision[], ?::double precision[])`,
          [
            runId,
            points.map((p) => p.key),
            points.map((p) => p.step),
            points.map((p) => p.epoch),
            points.map((p) => toSql(p.value)),
            points.map((p) => p.time),
          ],
        );
      else
        await insertRows(
          tx,
          'INSERT INTO metrics (run_id, key, step, epoch, value, time)',
          6,
          points.map((p) => [runId, p.key, p.step, p.epoch, toSql(p.value), p.time]),
        );
      await insertRows(
        tx,
        'INSERT INTO latest_metrics (run_id, key, step, value, time)',
        5,
        [...latest.values()].map((p) => [runId, p.key, p.step, toSql(p.value), p.time]),
        `ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = excluded.value,
          time = excluded.time WHERE excluded.step >= latest_metrics.step`,
      );
      await tx.run(
        "UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running' AND heartbeat < ?",
        [now, runId, now],
      );
    });
  }

  async getMetrics(runId: string, query: MetricQuery = {}): Promise<MetricPoint[]> {
    const where = ['run_id = ?'];
    const args: SqlValue[] = [runId];
    if (query.keys) {
      if (query.keys.length === 0) return [];
      where.push(`key IN (${query.keys.map(() => '?').join(', ')})`);
      args.push(...query.keys);
    }
    for (const [op, v] of [
      ['>', query.afterStep],
      ['>=', query.minStep],
      ['<=', query.maxStep],
    ] as const)
      if (v !== undefined) {
        where.push(`step ${op} ?`);
        args.push(v);
      }
    const rows = await this.db.all(
      `SELECT key, step, epoch, value, time FROM metrics WHERE ${where.join(' AND ')} ORDER BY key, step, time`,
      args,
    );
    const points = rows.map((r) => ({
      key: r.key as string,
      step: Number(r.step),
      epoch: r.epoch === null ? null : Number(r.epoch),
      value: fromSql(r.value),
      time: Number(r.time),
    }));
    return query.maxPoints === undefined ? points : thin(points, query.maxPoints);
  }

  async metricKeys(runId: string): Promise<{ key: string; count: number; lastStep: number }[]> {
    const rows = await this.db.all(
      'SELECT key, COUNT(*) AS n, MAX(step) AS last FROM metrics WHERE run_id = ? GROUP BY key ORDER BY key',
      [runId],
    );
    return rows.map((r) => ({
      key: r.key as string,
      count: Number(r.n),
      lastStep: Number(r.last),
    }));
  }

  async logArtifact(runId: string, a: ArtifactRecord): Promise<void> {
    await this.db.run(
      `INSERT INTO artifacts (run_id, path, size, sha256, time) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id, path) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, time = excluded.time`,
      [runId, a.path, a.size, a.sha256, a.time],
    );
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const rows = await this.db.all(
      'SELECT path, size, sha256, time FROM artifacts WHERE run_id = ? ORDER BY path',
      [runId],
    );
    return rows.map((r) => ({
      path: r.path as string,
      size: Number(r.size),
      sha256: r.sha256 as string,
      time: Number(r.time),
    }));
  }

  async logSystemSamples(runId: string, samples: readonly SystemSample[]): Promise<void> {
    await this.db.transaction((tx) =>
      insertRows(
        tx,
        'INSERT INTO system_metrics (run_id, time, rss, cpu_percent, samples_per_second)',
        5,
        samples.map((s) => [runId, s.time, s.rss, toSql(s.cpuPercent), s.samplesPerSecond]),
      ),
    );
  }

  async getSystemSamples(runId: string): Promise<SystemSample[]> {
    const rows = await this.db.all(
      'SELECT time, rss, cpu_percent, samples_per_second FROM system_metrics WHERE run_id = ? ORDER BY time',
      [runId],
    );
    return rows.map((r) => ({
      time: Number(r.time),
      rss: Number(r.rss),
      cpuPercent: fromSql(r.cpu_percent),
      samplesPerSecond: r.samples_per_second === null ? null : Number(r.samples_per_second),
    }));
  }
}

/** At most `max` points per key, evenly spaced over each series, first and last kept. */
function thin(points: MetricPoint[], max: number): MetricPoint[] {
  const out: MetricPoint[] = [];
  let start = 0;
  while (start < points.length) {
    let end = start;
    while (end < points.length && points[end]!.key === points[start]!.key) end++;
    const n = end - start;
    if (n <= max) out.push(...points.slice(start, end));
    else if (max === 1) out.push(points[end - 1]!);
    else if (max > 1)
      for (let i = 0; i < max; i++)
        out.push(points[start + Math.round((i * (n - 1)) / (max - 1))]!);
    start = end;
  }
  return out;
}
