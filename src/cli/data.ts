import { existsSync } from 'node:fs';
import { readCsv } from '../data/csv.js';
import { loadDiabetes, loadIris } from '../data/datasets.js';
import { loadMnist, readIdx } from '../data/idx.js';
import { MinMaxScale, Standardize } from '../data/scalers.js';
import { trainTestSplit } from '../data/splits.js';
import type { TableSpec } from '../data/table/preprocessor.js';
import { tensor } from '../ops/creation.js';
import { ConfigError, DataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainConfig } from './config.js';
import { type ForecastEval, type ForecastSpec, prepareForecast } from './forecast-data.js';
import { checkDataFields, isTableConfig, prepareTable } from './table-data.js';

/** Features and targets of one split. */
export interface Split {
  x: Tensor;
  y: Tensor;
}

/** Everything training needs from the data section of a config. */
export interface PreparedData {
  train: Split;
  validation: Split | null;
  test: Split | null;
  /** Shape of one sample, without the batch dim. */
  sampleShape: number[];
  classes: string[] | null;
  /** Statistics fitted on the training split, saved with the model for eval and predict. */
  preprocessing: Preprocessing;
  /** The task the data decided (tables infer it from the target column). */
  task?: 'classification' | 'regression';
  /** Which data rows of the file went to each split (0-based), for run folders and baselines. */
  rows?: SplitRows;
  /** Forecasting: what scoring the held-out tail in the series' units needs. */
  forecast?: ForecastEval;
}

/** The rows of a table file in each split, saved as a run's split.json. */
export interface SplitRows {
  file: string;
  train: number[];
  validation: number[];
  test: number[];
}

/** Fitted preprocessing, as saved in a run folder's `model.json`. */
export interface Preprocessing {
  features: ReturnType<Standardize['toJSON']> | null;
  target: ReturnType<Standardize['toJSON']> | null;
  /** Tables read by column name: kinds, imputation, encoding, standardization, classes. */
  table?: TableSpec | null;
  /** Forecasting: the series column, window, horizon, season and date features. */
  forecast?: ForecastSpec | null;
}

function need(value: string | undefined, field: string, format: string): string {
  if (!value) throw new ConfigError(`data.${field} is required for format '${format}'`);
  if (!existsSync(value)) throw new DataError(`data.${field}: ${value}: no such file or folder`);
  return value;
}

/** Loads an IDX image/label pair: images become float32 in [0, 1] with a channel dim. */
async function loadIdxPair(imagesPath: string, labelsPath: string, limit?: number): Promise<Split> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  const n = Math.min(images.shape[0] ?? 0, limit ?? Infinity);
  if (images.shape[0] !== labels.shape[0]) {
    throw new DataError(
      `${imagesPath} has ${images.shape[0]} samples but ${labelsPath} has ${labels.shape[0]} labels`,
    );
  }
  const per = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const pixels = Float32Array.from(images.data.subarray(0, n * per), (v) => v / 255);
  const sampleShape =
    images.shape.length === 3 ? [1, ...images.shape.slice(1)] : images.shape.slice(1);
  return {
    x: tensor(pixels, { shape: [n, ...sampleShape] }),
    y: tensor(Int32Array.from(labels.data.subarray(0, n)), { shape: [n] }),
  };
}

/** Reads the raw features and targets of the train (and optional test) files. */
async function loadRaw(
  config: TrainConfig,
  classification: boolean,
): Promise<{ train: Split; test: Split | null; classes: string[] | null }> {
  const d = config.data;
  switch (d.format) {
    case 'mnist': {
      const dir = need(d.path, 'path', 'mnist');
      const train = await loadMnist(dir, {
        split: 'train',
        ...(d.limit ? { limit: d.limit } : {}),
      });
      const test = await loadMnist(dir, {
        split: 'test',
        ...(d.testLimit ? { limit: d.testLimit } : {}),
      });
      return {
        train: { x: train.images, y: train.labels },
        test: { x: test.images, y: test.labels },
        classes: null,
      };
    }
    case 'idx': {
      const train = await loadIdxPair(
        need(d.train, 'train', 'idx'),
        need(d.trainLabels, 'trainLabels', 'idx'),
        d.limit,
      );
      const test = d.test
        ? await loadIdxPair(
            need(d.test, 'test', 'idx'),
            need(d.testLabels, 'testLabels', 'idx'),
            d.testLimit,
          )
        : null;
      return { train, test, classes: null };
    }
    case 'iris': {
      const data = await loadIris(need(d.path, 'path', 'iris'));
      const train = head({ x: data.features, y: data.labels }, d.limit);
      return { train, test: null, classes: data.classes };
    }
    case 'diabetes': {
      const data = await loadDiabetes(
        need(d.path, 'path', 'diabetes'),
        need(d.target, 'target', 'diabetes'),
      );
      return {
        train: head({ x: data.features, y: data.labels }, d.limit),
        test: null,
        classes: null,
      };
    }
    case 'csv': {
      if (d.label === undefined)
        throw new ConfigError("data.label is required for format 'csv' (the target column)");
      const options = {
        label: d.label,
        ...(d.columns ? { columns: d.columns } : {}),
        ...(d.header !== undefined ? { header: d.header } : {}),
        ...(d.delimiter ? { delimiter: d.delimiter } : {}),
        ...(d.categorical ? { categorical: d.categorical } : {}),
        ...(d.missing ? { missing: d.missing } : {}),
        // Class indices for a classification loss, values for a regression one.
        labelDtype: classification ? ('int32' as const) : ('float32' as const),
      };
      const train = await readCsv(need(d.train ?? d.path, 'train', 'csv'), options);
      const test = d.test ? await readCsv(need(d.test, 'test', 'csv'), options) : null;
      const split = (c: typeof train): Split => ({ x: c.features, y: c.labels! });
      return {
        train: head(split(train), d.limit),
        test: test ? head(split(test), d.testLimit) : null,
        classes: train.classes ?? null,
      };
    }
  }
}

/** The first `limit` samples of a split (all of them without a limit). */
function head(s: Split, limit: number | undefined): Split {
  const n = s.x.shape[0]!;
  if (limit === undefined || limit >= n) return s;
  return { x: s.x.narrow(0, 0, limit).contiguous(), y: s.y.narrow(0, 0, limit).contiguous() };
}

function splitOff(data: Split, fraction: number, stratify: boolean, seed: number): [Split, Split] {
  const s = trainTestSplit(data.x, data.y, { testSize: fraction, stratify, seed });
  return [
    { x: s.xTrain, y: s.yTrain },
    { x: s.xTest, y: s.yTest },
  ];
}

/**
 * Loads the data a config names, splits off test and validation sets when asked (stratified
 * for classification unless disabled), and fits preprocessing on the training split only.
 */
export async function prepareData(
  config: TrainConfig,
  classification: boolean,
): Promise<PreparedData> {
  checkDataFields(config);
  if (config.task === 'forecast') return prepareForecast(config);
  if (isTableConfig(config)) {
    const data = await prepareTable(config, classification);
    const target = targetScaler(config, data.task === 'classification', data.train);
    if (!target) return data;
    const preprocessing = { ...data.preprocessing, target };
    const apply = (s: Split | null) => (s ? applyPreprocessing(s, preprocessing) : null);
    return {
      ...data,
      train: apply(data.train)!,
      validation: apply(data.validation),
      test: apply(data.test),
      preprocessing,
    };
  }
  const raw = await loadRaw(config, classification);
  const stratify = classification && (config.split.stratify ?? true);
  let { train, test } = raw;
  if (!test) {
    const fraction = config.split.test ?? 0.2;
    [train, test] = splitOff(train, fraction, stratify, config.seed);
  } else if (config.split.test !== undefined) {
    throw new ConfigError(
      'split.test: the data already has a test file; remove split.test or data.test',
    );
  }
  let validation: Split | null = null;
  if (config.split.validation !== undefined) {
    [train, validation] = splitOff(train, config.split.validation, stratify, config.seed + 1);
  }
  const preprocessing: Preprocessing = { features: null, target: null };
  if (config.preprocess.standardize && config.preprocess.minMax) {
    throw new ConfigError('preprocess: choose one of standardize and minMax');
  }
  const scaler = config.preprocess.standardize
    ? new Standardize()
    : config.preprocess.minMax
      ? new MinMaxScale()
      : null;
  if (scaler) {
    scaler.fit(train.x);
    preprocessing.features = scaler.toJSON();
  }
  preprocessing.target = targetScaler(config, classification, train);
  const apply = (s: Split | null): Split | null =>
    s ? applyPreprocessing(s, preprocessing) : null;
  return {
    train: apply(train)!,
    validation: apply(validation),
    test: apply(test),
    sampleShape: train.x.shape.slice(1),
    classes: raw.classes,
    preprocessing,
  };
}

/** The target's standardization fitted on the training split, when the config asks for it. */
function targetScaler(
  config: TrainConfig,
  classification: boolean,
  train: Split,
): Preprocessing['target'] {
  if (!config.preprocess.standardizeTarget) return null;
  if (classification)
    throw new ConfigError('preprocess.standardizeTarget applies to regression only');
  return new Standardize().fit(train.y.reshape([-1, 1])).toJSON();
}

/** Applies saved preprocessing to features (and, for regression, targets). */
export function applyPreprocessing(s: Split, p: Preprocessing): Split {
  const x = p.features ? scalerFromJSON(p.features).apply(s.x) : s.x;
  const y = p.target
    ? scalerFromJSON(p.target)
        .apply(s.y.reshape([-1, 1]))
        .reshape(s.y.shape)
    : s.y;
  return { x, y };
}

/** Restores a fitted scaler from its JSON. */
export function scalerFromJSON(json: ReturnType<Standardize['toJSON']>): Standardize | MinMaxScale {
  return json.type === 'MinMaxScale' ? MinMaxScale.fromJSON(json) : Standardize.fromJSON(json);
}

/**
 * Throws a `DataError` naming the first label outside [0, numClasses) and how many there are.
 * (Rows are not named: after shuffled splits they would not match the lines of the file.)
 */
export function checkLabels(y: Tensor, numClasses: number, where: string): void {
  if (y.dtype !== 'int32') return;
  const data = y.dataSync();
  let first: number | undefined;
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= numClasses) {
      first ??= v;
      count++;
    }
  }
  if (first !== undefined) {
    throw new DataError(
      `${where}: label ${first} is out of range for a model with ${numClasses} outputs (expected 0..${numClasses - 1}; ${count} of ${data.length} labels out of range)`,
    );
  }
}
