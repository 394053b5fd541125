/**
 * The tracking store's contract: record types and the one storage interface that the SQLite and
 * PostgreSQL stores implement. The dashboard (`kiln ui`), the `kiln runs` CLI, `k.track` runs and
 * `k.tune` studies all go through {@link TrackStore}, so every reader sees the same data whichever
 * database holds it.
 *
 * Times are milliseconds since the Unix epoch (`Date.now()`), as numbers.
 */

/** A run's life: `running` until `end()`; `killed` when its process died without ending it. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';

/** A logged param value. Params are immutable once logged: the same key with another value is an error. */
export type ParamValue = string | number | boolean | null;

/** A group of runs, as MLflow's experiment. Created on first use by name. */
export interface Experiment {
  id: number;
  name: string;
  createdAt: number;
}

/** One training run: where and how it ran. */
export interface RunRecord {
  /** 32 lowercase hex digits; commands also accept a unique prefix of it or the run's name. */
  id: string;
  experimentId: number;
  experiment: string;
  name: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  /** Last sign of life of the process; a `running` run whose heartbeat is stale reads as `killed`. */
  heartbeat: number;
  seed: number | null;
  kilnVersion: string;
  /** `git rev-parse HEAD` of the working directory the run started in, when it is a git checkout. */
  gitCommit: string | null;
  /** The resolved config (`kiln train`'s validated config), or null for API runs without one. */
  config: unknown;
  host: string;
  pid: number;
  /** The run folder: artifact paths are relative to it. Null when the run has none yet. */
  runDir: string | null;
}

/** A run with its params, tags and the last value of every metric, as lists and filters see it. */
export interface RunSummary extends RunRecord {
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  /** For each metric key, the value logged at the highest step (the "final" value). */
  metrics: Record<string, number>;
}

/** One point of a metric series. Series are append-only. */
export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  /** Epoch (from 0) the point belongs to, when known. */
  epoch: number | null;
  /** Wall-clock time the point was logged. */
  time: number;
}

/** A file of the run folder recorded with its size and content hash. */
export interface ArtifactRecord {
  /** Path relative to the run folder, with `/` separators; never escapes the folder. */
  path: string;
  size: number;
  sha256: string;
  time: number;
}

/** A sample of the training process's resources. */
export interface SystemSample {
  time: number;
  /** Resident set size in bytes. */
  rss: number;
  /** CPU time over wall time since the previous sample, in percent (can exceed 100 with threads). */
  cpuPercent: number;
  /** Training throughput since the previous sample, when a trainer reports it. */
  samplesPerSecond: number | null;
}

/** What a new run starts with. */
export interface NewRun {
  experiment: string;
  name?: string;
  seed?: number | null;
  config?: unknown;
  runDir?: string | null;
  /** Whether the store may delete `runDir` with the run (true for folders kiln created). */
  ownsRunDir?: boolean;
  /** Defaults: this process's kiln version, git commit of the cwd, host name and pid. */
  kilnVersion?: string;
  gitCommit?: string | null;
  host?: string;
  pid?: number;
  startTime?: number;
}

/**
 * How to list runs. `filter` is an expression over `params.*`, `metrics.*`, `tags.*` and the
 * attributes `id`, `name`, `experiment`, `status`, `start_time`, `end_time`, `duration`, `seed`,
 * `host`, `git_commit`, e.g. `metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01`.
 * `orderBy` names one of those fields; missing values sort last.
 */
export interface RunQuery {
  experiment?: string;
  filter?: string;
  orderBy?: string;
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** Which points of one run's metric series to read. */
export interface MetricQuery {
  keys?: readonly string[];
  /** Only points with `step > afterStep` (live updates poll with the last step they have). */
  afterStep?: number;
  /** At most this many points per key, evenly thinned over the step range (first and last kept). */
  maxPoints?: number;
  minStep?: number;
  maxStep?: number;
}

/** Optuna's study direction. */
export type StudyDirection = 'minimize' | 'maximize';

/** A tuning study (issue 11): trials of one objective. */
export interface StudyRecord {
  id: number;
  name: string;
  direction: StudyDirection;
  /** The sampler's and pruner's descriptions (name and options), as the tuner serializes them. */
  sampler: unknown;
  pruner: unknown;
  /** Free study attributes (Optuna's user_attrs). */
  attrs: Record<string, unknown>;
  createdAt: number;
}

/** What a new study starts with. */
export interface NewStudy {
  name: string;
  direction: StudyDirection;
  sampler?: unknown;
  pruner?: unknown;
  attrs?: Record<string, unknown>;
}

/** What a new trial starts with; everything is written by one insert. */
export interface NewTrial {
  state?: TrialState;
  params?: Record<string, ParamValue>;
  distributions?: Record<string, unknown>;
  attrs?: Record<string, unknown>;
}

/** Optuna's trial states, lower case. */
export type TrialState = 'running' | 'waiting' | 'complete' | 'pruned' | 'fail';

/** One trial of a study. */
export interface TrialRecord {
  id: number;
  studyId: number;
  /** 0, 1, 2... within the study, allocated atomically even across processes. */
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  /** The search space each param was drawn from, as the tuner serializes it. */
  distributions: Record<string, unknown>;
  value: number | null;
  /** Values reported with `trial.report(value, step)`, by step. */
  intermediate: { step: number; value: number }[];
  attrs: Record<string, unknown>;
  /** Last `trialHeartbeat`, or null when the tuner does not send heartbeats (then never stale). */
  heartbeat: number | null;
  startTime: number;
  endTime: number | null;
  error: string | null;
  /** The tracked run of this trial, when the objective logged one. */
  runId: string | null;
}

/** Changes to a trial; fields left out are kept. Params are merged, and immutable once set. */
export interface TrialUpdate {
  state?: TrialState;
  params?: Record<string, ParamValue>;
  distributions?: Record<string, unknown>;
  value?: number | null;
  attrs?: Record<string, unknown>;
  endTime?: number | null;
  error?: string | null;
  runId?: string | null;
}

/**
 * The storage interface. Every method is async (PostgreSQL is remote); all are safe to call from
 * several processes at once. Reads first turn stale `running` runs and trials into `killed` /
 * `fail`.
 *
 * @example
 * ```ts
 * const store = await k.track.openStore('runs/kiln.db');
 * const runs = await store.listRuns({ filter: 'metrics.val_accuracy > 0.9', orderBy: 'start_time', descending: true });
 * await store.close();
 * ```
 */
export interface TrackStore {
  readonly kind: 'sqlite' | 'postgresql';
  /** The file path or the URL (password hidden) the store was opened from. */
  readonly location: string;
  /**
   * Where a second connection to this same database opens: the file path, or the URL with its
   * password (kiln's tuning heartbeat thread uses it). Never print it.
   */
  connectionSpec?(): string;
  /** The schema version this database is at (the newest migration applied). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  getOrCreateExperiment(name: string): Promise<Experiment>;
  listExperiments(): Promise<Experiment[]>;

  createRun(run: NewRun): Promise<RunRecord>;
  /** A run by id, unique id prefix (6+ digits) or unique name; null when none; an error when ambiguous. */
  getRun(ref: string): Promise<RunRecord | null>;
  /** Like getRun, with params, tags and final metrics. */
  getRunSummary(ref: string): Promise<RunSummary | null>;
  listRuns(query?: RunQuery): Promise<RunSummary[]>;
  /** Records a sign of life; a run marked `killed` by a reader comes back to `running`. */
  heartbeat(runId: string, time?: number): Promise<void>;
  endRun(runId: string, status: Exclude<RunStatus, 'running'>, time?: number): Promise<void>;
  /** Reopens an ended run for more logging (a resumed training): running again, owned by this process. Null when absent. */
  reopenRun(runId: string, time?: number): Promise<RunRecord | null>;
  /** Deletes the run's rows; returns its record (to delete its files) or null when absent. */
  deleteRun(runId: string): Promise<RunRecord | null>;
  setRunDir(runId: string, runDir: string, ownsRunDir: boolean): Promise<void>;
  /** Whether the store may delete the run's folder with it. */
  ownsRunDir(runId: string): Promise<boolean>;

  /** Logs params; a key logged before with a different value throws a ValueError naming it. */
  logParams(runId: string, params: Record<string, ParamValue>): Promise<void>;
  getParams(runId: string): Promise<Record<string, ParamValue>>;
  /** Sets tags, overwriting earlier values of the same keys. */
  setTags(runId: string, tags: Record<string, string>): Promise<void>;
  getTags(runId: string): Promise<Record<string, string>>;

  /** Appends metric points in one transaction. */
  logMetrics(runId: string, points: readonly MetricPoint[]): Promise<void>;
  getMetrics(runId: string, query?: MetricQuery): Promise<MetricPoint[]>;
  /** The metric keys of a run with their point counts and last step. */
  metricKeys(runId: string): Promise<{ key: string; count: number; lastStep: number }[]>;

  logArtifact(runId: string, artifact: ArtifactRecord): Promise<void>;
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;

  logSystemSamples(runId: string, samples: readonly SystemSample[]): Promise<void>;
  getSystemSamples(runId: string): Promise<SystemSample[]>;

  /** Creates a study; with `loadIfExists` an existing one of that name is returned instead of an error. */
  createStudy(study: NewStudy, options?: { loadIfExists?: boolean }): Promise<StudyRecord>;
  getStudy(name: string): Promise<StudyRecord | null>;
  listStudies(): Promise<StudyRecord[]>;
  deleteStudy(name: string): Promise<boolean>;
  /** Sets study attributes (merged over the existing ones, in one transaction). */
  setStudyAttrs(studyId: number, attrs: Record<string, unknown>): Promise<void>;
  /** Starts a trial with the next number of the study (atomic across processes), in one insert. */
  createTrial(studyId: number, init?: NewTrial): Promise<TrialRecord>;
  /**
   * As createTrial, but returns null instead when the study already has `maxTrials` trials that
   * count (all but those cut off by a dead process or an interrupt); atomic across processes.
   */
  createTrialWithin(
    studyId: number,
    init: NewTrial,
    maxTrials: number,
  ): Promise<TrialRecord | null>;
  /** Moves the study's oldest waiting (enqueued) trial to running and returns it; null when none waits. Exactly one caller wins each trial. */
  claimWaitingTrial(studyId: number): Promise<TrialRecord | null>;
  updateTrial(trialId: number, update: TrialUpdate): Promise<TrialRecord>;
  reportIntermediate(trialId: number, step: number, value: number): Promise<void>;
  trialHeartbeat(trialId: number, time?: number): Promise<void>;
  getTrial(trialId: number): Promise<TrialRecord | null>;
  listTrials(studyId: number, options?: { states?: readonly TrialState[] }): Promise<TrialRecord[]>;
}

/** How a store is opened. */
export interface StoreOptions {
  /**
   * A `running` run of another host (or a trial) whose heartbeat is older than this reads as
   * killed (failed); runs of this host are killed when their pid is gone. Default 120 s, env
   * `KILN_TRACK_STALE_MS`.
   */
  staleAfterMs?: number;
  /** Internal and for tests: migrate only up to this schema version. */
  targetVersion?: number;
}
