/**
 * `k.track`: experiment tracking in the shape of MLflow. Runs, params, metrics, tags, artifacts and
 * system metrics go to a store: SQLite beside the run folders by default, or PostgreSQL given a
 * `postgresql://` URL (`store` option, `--store`, `KILN_STORE`).
 *
 * @example
 * ```ts
 * const store = await k.track.openStore('runs/kiln.db');
 * const best = await store.listRuns({ filter: 'metrics.val_accuracy > 0.9', orderBy: 'metrics.val_loss' });
 * await store.close();
 * ```
 */
export type { TrackingCallbackOptions } from './callback.js';
export { TrackingCallback } from './callback.js';
export type { ExportFormat } from './export.js';
export { exportRuns } from './export.js';
export {
  compareFieldValues,
  compileFilter,
  FilterError,
  fieldGetter,
  RUN_ATTRIBUTES,
} from './filter.js';
export { flattenParams } from './flatten.js';
export { defaultStorePath, isPostgresUrl, openStore, resolveStore } from './open.js';
export type { StartRunOptions } from './run.js';
export { Run, startRun } from './run.js';
export { SCHEMA_VERSION } from './schema.js';
export type { EventPoint, Scalar } from './tfevents.js';
export { crc32c, eventFile, maskedCrc32c } from './tfevents.js';
export type {
  ArtifactRecord,
  Experiment,
  MetricPoint,
  MetricQuery,
  NewRun,
  NewStudy,
  NewTrial,
  ParamValue,
  RunQuery,
  RunRecord,
  RunStatus,
  RunSummary,
  StoreOptions,
  StudyDirection,
  StudyRecord,
  SystemSample,
  TrackStore,
  TrialRecord,
  TrialState,
  TrialUpdate,
} from './types.js';
