import { trainTestSplit } from '../data/splits.js';
import { type TableOptions, TablePreprocessor } from '../data/table/preprocessor.js';
import { type RawTable, readTable, showNames } from '../data/table/read.js';
import { tensor } from '../ops/creation.js';
import { indexSelect } from '../ops/indexing.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainConfig } from './config.js';
import type { PreparedData, Split } from './data.js';

/**
 * Whether a config's data is a table read by column names: `format: csv` with `target` (the
 * column to predict) rather than the older `label`.
 */
export function isTableConfig(config: TrainConfig): boolean {
  return (
    config.data.format === 'csv' && config.data.target !== undefined && config.task !== 'forecast'
  );
}

const TABLE_FIELDS = [
  'drop',
  'types',
  'maxCategories',
  'missingIndicator',
  'dates',
  'numericBins',
  'embed',
] as const;
const FORECAST_FIELDS = ['window', 'horizon', 'season', 'dateFeatures'] as const;

/**
 * Refuses data fields the config's format does not use (they would be silently ignored):
 * table fields need `format: csv` with `target`, forecast fields need `task: forecast`.
 */
export function checkDataFields(config: TrainConfig): void {
  const d = config.data;
  const forecast = config.task === 'forecast';
  const table = isTableConfig(config);
  for (const key of TABLE_FIELDS) {
    if (d[key] !== undefined && !table) {
      throw new ConfigError(
        `data.${key}: only used for tables (format: csv with target: <column>)${forecast ? ', not with task: forecast' : ''}`,
      );
    }
  }
  if (d.missingValues !== undefined && !table && !forecast) {
    throw new ConfigError(
      'data.missingValues: only used for tables (format: csv with target: <column>) and task: forecast',
    );
  }
  for (const key of FORECAST_FIELDS) {
    if (d[key] !== undefined && !forecast)
      throw new ConfigError(`data.${key}: only used with task: forecast`);
  }
}

/** The table options a config's data and preprocess sections describe. */
export function tableOptions(config: TrainConfig): TableOptions {
  const d = config.data;
  if (config.preprocess.minMax) {
    throw new ConfigError(
      'preprocess.minMax: tables standardize their numeric columns; remove minMax (or set preprocess.standardize: false)',
    );
  }
  if (d.label !== undefined) {
    throw new ConfigError(
      'data: give the target column as target (label is the older spelling); not both',
    );
  }
  for (const key of ['columns', 'categorical', 'missing', 'header'] as const) {
    if (d[key] !== undefined) {
      throw new ConfigError(
        `data.${key}: not used with data.target (tables infer column kinds; use drop, types, missingValues)`,
      );
    }
  }
  return {
    target: d.target!,
    ...(d.drop ? { drop: d.drop } : {}),
    ...(d.types ? { types: d.types } : {}),
    ...(config.task === 'classification' || config.task === 'regression'
      ? { task: config.task }
      : {}),
    ...(d.maxCategories ? { maxCategories: d.maxCategories } : {}),
    ...(d.missingIndicator !== undefined ? { missingIndicator: d.missingIndicator } : {}),
    ...(d.missingValues ? { missingValues: d.missingValues } : {}),
    ...(d.dates ? { dates: d.dates } : {}),
    ...(d.numericBins ? { numericBins: d.numericBins } : {}),
    ...(d.embed?.length ? { embed: d.embed } : {}),
    ...(config.preprocess.standardize === false ? { standardize: false } : {}),
  };
}

/** Reads a table file with the config's delimiter. */
export function readConfiguredTable(config: TrainConfig, path: string): Promise<RawTable> {
  return readTable(path, config.data.delimiter ? { delimiter: config.data.delimiter } : {});
}

/** The first `limit` rows of a table. */
function headRows(table: RawTable, limit: number | undefined): RawTable {
  if (limit === undefined || limit >= table.rows.length) return table;
  return { ...table, rows: table.rows.slice(0, limit), lines: table.lines.slice(0, limit) };
}

/** Splits row indices as `prepareData` splits tensors (same seeds, same stratification). */
function splitRows(
  rows: Int32Array,
  y: Tensor,
  fraction: number,
  stratify: boolean,
  seed: number,
): [Int32Array, Int32Array] {
  const x = tensor(Float32Array.from(rows), { shape: [rows.length, 1] });
  const s = trainTestSplit(x, indexSelect(y, 0, tensor(rows)), {
    testSize: fraction,
    stratify,
    seed,
  });
  return [s.trainIndices.map((i) => rows[i]!), s.testIndices.map((i) => rows[i]!)];
}

const take = (s: { x: Tensor; y: Tensor }, rows: Int32Array): Split => {
  const idx = tensor(rows);
  return { x: indexSelect(s.x, 0, idx), y: indexSelect(s.y, 0, idx) };
};

/**
 * Loads a table config: reads the CSV, infers column kinds and the task, splits rows (stratified
 * for classification), fits imputation, encoding and standardization on the training rows only,
 * and encodes every split with them. The split's row indices (0-based data rows of the file) are
 * returned so the run folder can record them for baselines.
 */
export async function prepareTable(
  config: TrainConfig,
  lossClassification: boolean,
): Promise<PreparedData> {
  const d = config.data;
  const path = d.train ?? d.path;
  if (!path) throw new ConfigError("data.path is required for format 'csv'");
  const table = headRows(await readConfiguredTable(config, path), d.limit);
  const options = tableOptions(config);
  // Kinds and target first (classes from every row), features fitted once the split is known.
  const probe = TablePreprocessor.fit(table, options);
  const task = probe.task!;
  if ((task === 'classification') !== lossClassification) {
    const what =
      task === 'classification'
        ? `holds ${probe.classes!.length} classes (${showNames(probe.classes!, 5)})`
        : 'holds real values';
    throw new ConfigError(
      `loss: column ${JSON.stringify(d.target)} ${what}, so the task is ${task}, but the loss is a ${lossClassification ? 'classification' : 'regression'} loss (${task === 'classification' ? 'use crossEntropy' : 'use mseLoss'}, or set task: to override the guess)`,
    );
  }
  const y = tensor(probe.encodeTarget(table));
  const all = Int32Array.from({ length: table.rows.length }, (_, i) => i);
  const stratify = task === 'classification' && (config.split.stratify ?? true);
  let trainRows: Int32Array = all;
  let testRows: Int32Array | null = null;
  if (!d.test) {
    [trainRows, testRows] = splitRows(all, y, config.split.test ?? 0.2, stratify, config.seed);
  } else if (config.split.test !== undefined) {
    throw new ConfigError(
      'split.test: the data already has a test file; remove split.test or data.test',
    );
  }
  let validationRows: Int32Array | null = null;
  if (config.split.validation !== undefined) {
    [trainRows, validationRows] = splitRows(
      trainRows,
      y,
      config.split.validation,
      stratify,
      config.seed + 1,
    );
  }
  const prep = TablePreprocessor.fit(table, options, trainRows);
  const encoded = prep.transform(table) as { x: Tensor; y: Tensor };
  let test: Split | null = testRows ? take(encoded, testRows) : null;
  if (d.test) {
    const testTable = headRows(await readConfiguredTable(config, d.test), d.testLimit);
    const t = prep.transform(testTable);
    if (!t.y)
      throw new ConfigError(`data.test: ${d.test} has no column ${JSON.stringify(d.target)}`);
    test = { x: t.x, y: t.y };
  }
  const train = take(encoded, trainRows);
  return {
    train,
    validation: validationRows ? take(encoded, validationRows) : null,
    test,
    sampleShape: [prep.featureNames.length],
    classes: prep.classes,
    preprocessing: { features: null, target: null, table: prep.toJSON() },
    task,
    rows: {
      file: path,
      train: Array.from(trainRows),
      validation: validationRows ? Array.from(validationRows) : [],
      test: testRows ? Array.from(testRows) : [],
    },
  };
}

/**
 * Metrics suited to a task, used when a table config lists none: accuracy and F1 (binary F1 of
 * the second class for two classes, macro otherwise) plus ROC-AUC for two classes; RMSE, MAE and
 * R2 for regression.
 */
export function defaultTableMetrics(
  task: 'classification' | 'regression',
  numClasses: number,
): string[] {
  if (task === 'regression') return ['rmse', 'mae', 'r2'];
  return numClasses === 2 ? ['accuracy', 'f1', 'roc_auc'] : ['accuracy', 'f1'];
}
