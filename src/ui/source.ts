/**
 * What the dashboard reads from a tracking store, in the shapes its JSON API sends. The server
 * depends on this port only; `store-source.ts` maps the tracking store onto it.
 */

/** A param or tag value as stored. */
export type Scalar = string | number | boolean | null;

/** Run states, as the tracking store names them. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed';

/** An experiment. */
export interface UiExperiment {
  id: number;
  name: string;
}

/** One row of the runs table. `metrics` holds each metric's last logged value. */
export interface UiRunRow {
  id: string;
  experiment: string;
  name: string;
  status: RunStatus;
  /** Milliseconds since the epoch. */
  startTime: number;
  endTime: number | null;
  params: Record<string, Scalar>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

/** A file of a run folder. */
export interface UiArtifact {
  path: string;
  size: number;
  sha256: string | null;
}

/** A metric's series length and last step, so a page can tell when it grew. */
export interface UiMetricInfo {
  key: string;
  count: number;
  lastStep: number;
}

/** Everything the run page shows besides the curves. */
export interface UiRunDetail extends UiRunRow {
  seed: number | null;
  version: string | null;
  gitCommit: string | null;
  host: string | null;
  config: unknown;
  /** The run folder on disk, when the run has one (artifacts and images are read from it). */
  runDir: string | null;
  artifacts: UiArtifact[];
  metricKeys: UiMetricInfo[];
  /** Resource samples of the training process, as parallel arrays by time (ms). */
  system: UiSystem;
}

/** System metrics as parallel arrays; a missing sample value is null. */
export interface UiSystem {
  time: number[];
  rss: number[];
  cpu: number[];
  samplesPerSecond: (number | null)[];
}

/** A tuning study as the studies list shows it. */
export interface UiStudy {
  name: string;
  direction: 'minimize' | 'maximize';
  createdAt: number;
  trials: number;
  bestValue: number | null;
}

/** One trial of a study (Optuna's fields). */
export interface UiTrial {
  number: number;
  state: 'running' | 'waiting' | 'complete' | 'pruned' | 'fail';
  params: Record<string, Scalar>;
  value: number | null;
  intermediate: { step: number; value: number }[];
  startTime: number;
  endTime: number | null;
  runId: string | null;
}

/** A metric series in logging order: steps, wall times (ms since the epoch), values. */
export interface UiSeries {
  step: Float64Array;
  time: Float64Array;
  value: Float64Array;
}

/** The reading (and, when allowed, deleting) side of a store, as the dashboard uses it. */
export interface DashboardSource {
  /** Where the data lives, for the page header (no password). */
  describe(): string;
  experiments(): Promise<UiExperiment[]>;
  /** Runs, optionally of one experiment and matching a filter expression (`kiln runs` syntax). */
  runs(options: { experiment?: string; filter?: string }): Promise<UiRunRow[]>;
  run(id: string): Promise<UiRunDetail | undefined>;
  metricInfo(id: string): Promise<UiMetricInfo[]>;
  /** A run's status alone (cheap), or undefined when there is no such run. */
  status(id: string): Promise<RunStatus | undefined>;
  /** A metric's points, all or only those with a step above `afterStep`. */
  series(id: string, key: string, afterStep?: number): Promise<UiSeries>;
  deleteRun(id: string): Promise<void>;
  studies(): Promise<UiStudy[]>;
  /** A study with its trials, or undefined when there is none of that name. */
  study(name: string): Promise<{ study: UiStudy; trials: UiTrial[] } | undefined>;
  close(): Promise<void>;
}
