import { dirname, join, resolve } from 'node:path';
import { ValueError } from '../tensor/errors.js';
import { recordArtifact } from './artifacts.js';
import { gitCommit } from './environment.js';
import { openStore } from './open.js';
import { SystemSampler } from './system.js';
import type {
  ArtifactRecord,
  MetricPoint,
  ParamValue,
  RunRecord,
  RunStatus,
  SystemSample,
  TrackStore,
} from './types.js';

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** Experiment name (created on first use). Default `'default'`. */
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  /** A SQLite path, a `postgresql://` URL, or an open store (left open by `end`). Default: `KILN_STORE`, else `runs/kiln.db`. */
  store?: string | TrackStore;
  seed?: number | null;
  /** The resolved config, stored with the run. */
  config?: unknown;
  /** The run folder (artifact paths are relative to it). Default: `artifacts/<run id>` beside a SQLite store, else under `runs/`. */
  runDir?: string;
  /** Whether deleting the run may delete `runDir` (true when kiln created it). */
  ownsRunDir?: boolean;
  /**
   * Continue this run (its id) instead of starting one, as `mlflow.start_run(run_id=...)`: it is
   * marked running again, metric steps continue after its last ones, and params it already has
   * must keep their values. `experiment`, `name`, `seed`, `config` and `runDir` are then ignored.
   */
  resume?: string;
  /** Buffered metric points that trigger a write. Default 2000. */
  flushEvery?: number;
  /** Longest time buffered points wait, and the heartbeat interval, in ms. Default 2000. */
  flushIntervalMs?: number;
  /** System metrics sampling interval in ms; 0 turns it off. Default 5000. */
  systemIntervalMs?: number;
}

/**
 * An active run: metrics are buffered and written in batches (every `flushEvery` points, every
 * `flushIntervalMs`, and at `flush`/`end`), so logging every batch costs little. A write error
 * is raised by the next `flush` or `end`.
 */
export class Run {
  private buffer: MetricPoint[] = [];
  private samples: SystemSample[] = [];
  private readonly nextStep = new Map<string, number>();
  private readonly logged = new Map<string, string>();
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private lastWrite = Date.now();
  private readonly timer: NodeJS.Timeout;
  private readonly sampler: SystemSampler | null;
  private ended = false;
  private highestStep = 0;
  /** Epoch recorded with the next metrics (set by TrackingCallback). */
  epoch: number | null = null;

  /** @internal use {@link startRun}. */
  constructor(
    readonly store: TrackStore,
    readonly record: RunRecord,
    private readonly closeStore: boolean,
    private readonly flushEvery: number,
    private readonly flushIntervalMs: number,
    systemIntervalMs: number,
  ) {
    this.sampler = systemIntervalMs > 0 ? new SystemSampler(systemIntervalMs) : null;
    this.timer = setInterval(
      () => this.tick(true),
      Math.min(flushIntervalMs, systemIntervalMs || flushIntervalMs),
    );
    this.timer.unref();
  }

  get id(): string {
    return this.record.id;
  }

  get name(): string {
    return this.record.name;
  }

  /** The highest step logged so far (0 before any). */
  get lastStep(): number {
    return this.highestStep;
  }

  /** The run folder, where artifacts live. */
  get runDir(): string {
    return this.record.runDir!;
  }

  /** Reads what a resumed run logged before: its params (immutable) and each metric's last step. @internal */
  async loadHistory(): Promise<void> {
    for (const [k, v] of Object.entries(await this.store.getParams(this.id)))
      this.logged.set(k, JSON.stringify(v ?? null));
    for (const { key, lastStep } of await this.store.metricKeys(this.id)) {
      this.nextStep.set(key, lastStep + 1);
      if (lastStep > this.highestStep) this.highestStep = lastStep;
    }
  }

  /** The params logged so far (key to JSON-encoded value). */
  get loggedParams(): ReadonlyMap<string, string> {
    return this.logged;
  }

  /** Logs params; a key already logged with another value throws a ValueError. */
  async logParams(params: Record<string, ParamValue>): Promise<void> {
    for (const [k, v] of Object.entries(params)) {
      const json = JSON.stringify(v ?? null);
      const before = this.logged.get(k);
      if (before !== undefined && before !== json)
        throw new ValueError(
          `logParams: param '${k}' is already ${before}; params are immutable once logged (got ${json})`,
        );
    }
    await this.store.logParams(this.id, params);
    for (const [k, v] of Object.entries(params)) this.logged.set(k, JSON.stringify(v ?? null));
  }

  /** Appends one metric point; `step` defaults to one past this key's last step. */
  logMetric(key: string, value: number, step?: number): void {
    if (this.ended) throw new ValueError(`logMetric: run ${this.name} has ended`);
    if (typeof value !== 'number')
      throw new ValueError(`logMetric: '${key}' must be a number, got ${typeof value}`);
    const s = step ?? this.nextStep.get(key) ?? 0;
    if (!Number.isSafeInteger(s) || s < 0)
      throw new ValueError(`logMetric: step of '${key}' must be a non-negative integer, got ${s}`);
    this.nextStep.set(key, s + 1);
    if (s > this.highestStep) this.highestStep = s;
    const time = Date.now();
    this.buffer.push({ key, value, step: s, epoch: this.epoch, time });
    if (this.buffer.length >= this.flushEvery || time - this.lastWrite >= this.flushIntervalMs)
      this.tick(false);
  }

  /** Appends one point per key of `record`, all at `step`. */
  logMetrics(record: Record<string, number>, step?: number): void {
    for (const key in record) this.logMetric(key, record[key]!, step);
  }

  /** Counts trained samples, for the samples/s system metric. */
  countSamples(n: number): void {
    this.sampler?.count(n);
  }

  /**
   * Writes what is due (buffered points, heartbeat, system sample) if the flush interval has
   * passed. Training loops call it per batch: synchronous compute can starve the interval timer.
   */
  keepAlive(): void {
    if (!this.ended && Date.now() - this.lastWrite >= this.flushIntervalMs) this.tick(false);
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    await this.store.setTags(this.id, tags);
  }

  /** Records a file (inside the run folder, or copied into it) with its size and SHA-256. */
  async logArtifact(path: string): Promise<ArtifactRecord> {
    const artifact = await recordArtifact(this.runDir, path);
    await this.store.logArtifact(this.id, artifact);
    return artifact;
  }

  /** Starts a background write of what is buffered (and a heartbeat, and a system sample when due). */
  private tick(fromTimer: boolean): void {
    if (this.ended && fromTimer) return;
    const sample = this.sampler?.sampleIfDue();
    if (sample) this.samples.push(sample);
    const points = this.buffer;
    const samples = this.samples;
    this.buffer = [];
    this.samples = [];
    this.lastWrite = Date.now();
    this.writing = this.writing.then(async () => {
      try {
        if (points.length) await this.store.logMetrics(this.id, points);
        if (samples.length) await this.store.logSystemSamples(this.id, samples);
        await this.store.heartbeat(this.id);
      } catch (e) {
        this.failure ??= e;
      }
    });
  }

  /** Writes everything buffered; throws the first write error since the last flush. */
  async flush(): Promise<void> {
    this.tick(false);
    await this.writing;
    if (this.failure) {
      const e = this.failure;
      this.failure = null;
      throw e;
    }
  }

  /** Flushes, marks the run ended (default `finished`) and closes the store if the run opened it. */
  async end(status: Exclude<RunStatus, 'running'> = 'finished'): Promise<void> {
    if (this.ended) return;
    clearInterval(this.timer);
    try {
      await this.flush();
    } finally {
      this.ended = true;
      await this.store.endRun(this.id, status);
      if (this.closeStore) await this.store.close();
    }
  }
}

async function reopen(store: TrackStore, runId: string): Promise<RunRecord> {
  const record = await store.reopenRun(runId);
  if (!record) throw new ValueError(`startRun: no run ${runId} to resume in ${store.location}`);
  return record;
}

/**
 * Starts a tracked run, as `mlflow.start_run`: records where and how it runs (host, pid, kiln
 * version, git commit of the cwd), then its params and tags.
 *
 * @example
 * ```ts
 * const run = await k.track.startRun({ experiment: 'mnist', params: { lr: 0.01 } });
 * for (let step = 0; step < 100; step++) run.logMetric('loss', 1 / (step + 1), step);
 * await run.end();
 * ```
 */
export async function startRun(options: StartRunOptions = {}): Promise<Run> {
  const given = typeof options.store === 'object' ? options.store : null;
  const store = given ?? (await openStore(options.store as string | undefined));
  try {
    const record = options.resume
      ? await reopen(store, options.resume)
      : await store.createRun({
          experiment: options.experiment ?? 'default',
          ...(options.name ? { name: options.name } : {}),
          seed: options.seed ?? null,
          config: options.config,
          gitCommit: await gitCommit(),
          runDir: options.runDir ? resolve(options.runDir) : null,
          ownsRunDir: options.ownsRunDir ?? false,
        });
    if (!record.runDir) {
      const base = store.kind === 'sqlite' ? dirname(store.location) : resolve('runs');
      record.runDir = join(base, 'artifacts', record.id);
      await store.setRunDir(record.id, record.runDir, true);
    }
    const run = new Run(
      store,
      record,
      given === null,
      options.flushEvery ?? 2000,
      options.flushIntervalMs ?? 2000,
      options.systemIntervalMs ?? 5000,
    );
    if (options.resume) await run.loadHistory();
    if (options.params) await run.logParams(options.params);
    if (options.tags) await run.setTags(options.tags);
    return run;
  } catch (e) {
    if (!given) await store.close();
    throw e;
  }
}
