import { type TrainConfig, validateConfig } from '../../cli/config.js';
import { prepareTable } from '../../cli/table-data.js';
import { TablePreprocessor } from '../../data/table/preprocessor.js';
import { type RawTable, showNames } from '../../data/table/read.js';
import { ConfigError } from '../../tensor/errors.js';
import type { ConfigBase } from './config.js';
import { HIGH_CARDINALITY, type TableProfile } from './space.js';

/**
 * The table's rows split as `kiln train` splits them, and what the search needs to know about it.
 *
 * @example
 * ```ts
 * const { profile, trainRows, testRows } = await prepareSearch(table, base, 'auto');
 * ```
 */
export interface PreparedSearch {
  profile: TableProfile;
  classes: string[] | null;
  /** Class indices or values of every row of the file. */
  labels: Int32Array | Float32Array;
  /** Rows of the file the search and the refit train on (the test rows are never seen). */
  trainRows: number[];
  testRows: number[];
}

/**
 * Infers the task, splits off the test rows exactly as `kiln train` does for the final config
 * (same fraction, seed and stratification, through `prepareTable`), and profiles the training
 * rows: categorical columns, their cardinality, missing cells.
 *
 * @example
 * ```ts
 * const prepared = await prepareSearch(await readTable(path), base, 'auto');
 * ```
 */
export async function prepareSearch(
  table: RawTable,
  base: Omit<ConfigBase, 'task'>,
  task: 'auto' | 'classification' | 'regression',
): Promise<PreparedSearch> {
  if (!table.columns.includes(base.target)) {
    throw new ConfigError(
      `target: ${JSON.stringify(base.target)} is not a column of ${table.name} (columns: ${showNames(table.columns)})`,
    );
  }
  const declared = task === 'auto' ? {} : { task };
  const probe = TablePreprocessor.fit(table, { target: base.target, ...declared });
  const inferred = probe.task!;
  const classes = probe.classes;
  if (classes && classes.length < 2) {
    throw new ConfigError(
      `target: column ${JSON.stringify(base.target)} has a single class (${classes[0]}); nothing to learn`,
    );
  }
  const splitConfig: TrainConfig = validateConfig(
    {
      name: base.name,
      seed: base.seed,
      task: inferred,
      data: { format: 'csv', path: base.path, target: base.target },
      split: { test: base.testSize },
      model: [{ type: 'Linear', outFeatures: classes ? classes.length : 1 }],
      optimizer: { type: 'Adam', lr: 0.001 },
      loss: classes ? 'crossEntropy' : 'mseLoss',
      training: { epochs: 1, batchSize: 1 },
    },
    'automl',
  );
  const data = await prepareTable(splitConfig, classes !== null);
  const trainRows = data.rows!.train;
  // Every level and every gap of the training rows, to see which choices the table offers.
  const wide = TablePreprocessor.fit(
    table,
    { target: base.target, ...declared, maxCategories: 1e9, missingIndicator: true },
    trainRows,
  ).toJSON();
  const categorical = wide.features.filter((f) => f.kind === 'categorical');
  return {
    profile: {
      task: inferred,
      numClasses: classes?.length ?? 0,
      rows: trainRows.length,
      categorical: categorical.map((f) => f.column),
      highCardinality: categorical
        .filter((f) => f.kind === 'categorical' && f.levels.length > HIGH_CARDINALITY)
        .map((f) => f.column),
      hasMissing: wide.features.some((f) => f.indicator),
      numeric: wide.features.filter((f) => f.kind === 'numeric').length,
    },
    classes,
    labels: probe.encodeTarget(table),
    trainRows,
    testRows: data.rows!.test,
  };
}
