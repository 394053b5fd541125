import { ConfigError } from '../../tensor/errors.js';
import type { StudyDirection } from '../frozen-trial.js';

/**
 * Options of {@link automl}.
 *
 * @example
 * ```ts
 * const options: k.tune.AutomlOptions = { data: 'datasets/realworld/penguins.csv', target: 'species', timeBudget: 60 };
 * ```
 */
export interface AutomlOptions {
  /** A CSV table with a header row (read as `kiln train` reads tables: kinds, categories, gaps). */
  data: string;
  /** The column to predict. */
  target: string;
  /** 'auto' (default) infers it from the target column, as `kiln train` does. */
  task?: 'auto' | 'classification' | 'regression';
  /** Wall-clock seconds for the whole run: search and refit (default 300). */
  timeBudget?: number;
  /**
   * What the search optimizes on validation data: accuracy (default for classification), f1,
   * auc, logloss; rmse (default for regression), mae, r2.
   */
  metric?: string;
  /** Folder of run folders (default 'runs'). */
  out?: string;
  /** Run name (default 'automl-<file name>'). */
  name?: string;
  /** Seed of the split, the folds, the sampler and every training (default 0). */
  seed?: number;
  /** Tracking store (SQLite file or postgresql:// URL) for the study and the final run. */
  store?: string;
  /** Stop after this many trials even when time is left. */
  nTrials?: number;
  /**
   * Folds of the cross-validation; 1 means one 80/20 validation split. Default 5 up to 2,000
   * training rows, 3 up to 10,000, else 1.
   */
  folds?: number;
  /** Fraction of rows held out as the test split, as `split.test` (default 0.2). */
  testSize?: number;
  /**
   * Most models in the saved ensemble, chosen greedily (Caruana et al., 2004) from the
   * complete trials by their predictions on the validation rows and refit on all training
   * rows; 1 saves the best trial alone (default {@link DEFAULT_ENSEMBLE}).
   */
  ensemble?: number;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

/**
 * Models in the saved ensemble unless `ensemble` says otherwise.
 *
 * @example
 * ```ts
 * const size = options.ensemble ?? DEFAULT_ENSEMBLE;
 * ```
 */
export const DEFAULT_ENSEMBLE = 5;

const KNOWN = [
  'data',
  'target',
  'task',
  'timeBudget',
  'metric',
  'out',
  'name',
  'seed',
  'store',
  'nTrials',
  'folds',
  'testSize',
  'ensemble',
  'log',
];

/**
 * A metric the search can optimize: the logged key it reads and which way is better.
 *
 * @example
 * ```ts
 * const m: SearchMetric = { name: 'auc', key: 'roc_auc', direction: 'maximize' };
 * ```
 */
export interface SearchMetric {
  name: string;
  key: string;
  direction: StudyDirection;
}

const METRICS: Record<string, { key: string; direction: StudyDirection; task: string }> = {
  accuracy: { key: 'accuracy', direction: 'maximize', task: 'classification' },
  f1: { key: 'f1', direction: 'maximize', task: 'classification' },
  auc: { key: 'roc_auc', direction: 'maximize', task: 'classification' },
  roc_auc: { key: 'roc_auc', direction: 'maximize', task: 'classification' },
  logloss: { key: 'loss', direction: 'minimize', task: 'classification' },
  rmse: { key: 'rmse', direction: 'minimize', task: 'regression' },
  mae: { key: 'mae', direction: 'minimize', task: 'regression' },
  r2: { key: 'r2', direction: 'maximize', task: 'regression' },
};

/**
 * The search metric for a task, checked against it (AUC needs two classes).
 *
 * @example
 * ```ts
 * searchMetric('auc', 'classification', 2); // { name: 'auc', key: 'roc_auc', direction: 'maximize' }
 * ```
 */
export function searchMetric(
  name: string | undefined,
  task: 'classification' | 'regression',
  numClasses: number,
): SearchMetric {
  const chosen = name ?? (task === 'classification' ? 'accuracy' : 'rmse');
  const m = METRICS[chosen];
  if (!m) {
    throw new ConfigError(
      `metric: unknown metric '${chosen}' (known: ${Object.keys(METRICS).join(', ')})`,
    );
  }
  if (m.task !== task) {
    throw new ConfigError(`metric: ${chosen} is a ${m.task} metric, but the task is ${task}`);
  }
  if (m.key === 'roc_auc' && numClasses !== 2) {
    throw new ConfigError(`metric: ${chosen} needs two classes; the target has ${numClasses}`);
  }
  return { name: chosen, key: m.key, direction: m.direction };
}

/**
 * Checks option names and values; returns the time budget in seconds.
 *
 * @example
 * ```ts
 * checkAutomlOptions({ data: 'a.csv', target: 'y', folds: 0 }); // throws: folds must be a positive integer
 * ```
 */
export function checkAutomlOptions(options: AutomlOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('automl: options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key))
      throw new ConfigError(`automl: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
  }
  if (typeof options.data !== 'string' || !options.data)
    throw new ConfigError('automl: data must be the path of a CSV file');
  if (typeof options.target !== 'string' || !options.target)
    throw new ConfigError('automl: target must name the column to predict');
  const task = options.task ?? 'auto';
  if (!['auto', 'classification', 'regression'].includes(task))
    throw new ConfigError(
      `automl: task must be auto, classification or regression, got '${String(task)}'`,
    );
  const positive = (v: number | undefined, what: string, integer: boolean) => {
    if (v === undefined) return;
    if (
      !(typeof v === 'number' && v > 0 && Number.isFinite(v)) ||
      (integer && !Number.isInteger(v))
    )
      throw new ConfigError(
        `automl: ${what} must be a positive ${integer ? 'integer' : 'number'}, got ${String(v)}`,
      );
  };
  positive(options.timeBudget, 'timeBudget (seconds)', false);
  positive(options.nTrials, 'nTrials', true);
  positive(options.folds, 'folds', true);
  if (options.folds !== undefined && options.folds > 10)
    throw new ConfigError(`automl: folds must be at most 10, got ${options.folds}`);
  positive(options.ensemble, 'ensemble (models)', true);
  if (options.ensemble !== undefined && options.ensemble > 20)
    throw new ConfigError(`automl: ensemble must be at most 20 models, got ${options.ensemble}`);
  if (options.seed !== undefined && !(Number.isInteger(options.seed) && options.seed >= 0))
    throw new ConfigError(`automl: seed must be a non-negative integer, got ${options.seed}`);
  if (options.testSize !== undefined && !(options.testSize > 0 && options.testSize < 1))
    throw new ConfigError(`automl: testSize must be in (0, 1), got ${options.testSize}`);
}

/**
 * Parses a duration: seconds as a plain number or with `s`, or `m` / `h` units, and
 * combinations such as `1m30s`.
 *
 * @example
 * ```ts
 * parseDuration('5m'); // 300
 * ```
 */
export function parseDuration(text: string): number {
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$/.exec(text.trim());
  const seconds = m
    ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)
    : Number.NaN;
  if (!m || !text.trim() || !(seconds > 0)) {
    throw new ConfigError(`time budget: expected a duration such as 90s, 5m or 1h, got '${text}'`);
  }
  return seconds;
}
