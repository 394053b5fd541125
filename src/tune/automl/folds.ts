import type { Preprocessing, Split } from '../../cli/data.js';
import { applyPreprocessing } from '../../cli/data.js';
import { Standardize } from '../../data/scalers.js';
import { type Fold, kFold, stratifiedKFold } from '../../data/splits.js';
import { type TableOptions, TablePreprocessor } from '../../data/table/preprocessor.js';
import type { RawTable } from '../../data/table/read.js';
import { tensor } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';

/**
 * Training rows up to which AutoML scores candidates by 5-fold cross-validation.
 *
 * @example
 * ```ts
 * defaultFolds(CV_MAX_ROWS); // 5
 * ```
 */
export const CV_MAX_ROWS = 2000;

/**
 * Training rows up to which AutoML scores candidates by 3-fold cross-validation (above
 * {@link CV_MAX_ROWS}); larger tables use one validation split.
 *
 * @example
 * ```ts
 * defaultFolds(CV3_MAX_ROWS + 1); // 1
 * ```
 */
export const CV3_MAX_ROWS = 10000;

/**
 * Folds of the search for a table of `rows` training rows: 5 up to {@link CV_MAX_ROWS}, 3 up to
 * {@link CV3_MAX_ROWS}, else 1 (one 80/20 validation split). Up to some thousands of rows one
 * validation fifth is too few rows to rank candidates whose scores differ by a few rows (on a
 * 4,000-row table, 800 validation rows: one row is 0.125 points of accuracy), while 3 folds
 * score every training row once (out of fold) for about 2.5 times a holdout's training.
 *
 * @example
 * ```ts
 * defaultFolds(275); // 5
 * defaultFolds(4000); // 3
 * defaultFolds(50000); // 1
 * ```
 */
export function defaultFolds(rows: number): number {
  return rows <= CV_MAX_ROWS ? 5 : rows <= CV3_MAX_ROWS ? 3 : 1;
}

/**
 * The folds of the search over the training rows (indices into the file's rows): `k`-fold
 * cross-validation (stratified for classification; every training row is in one validation
 * part), or with `k` = 1 a single 80/20 holdout (the first fold of five).
 *
 * @example
 * ```ts
 * const folds = searchFolds(trainRows, labels, 5, true, 0); // 5 x { train, test } row indices
 * ```
 */
export function searchFolds(
  trainRows: readonly number[],
  labels: ArrayLike<number>,
  k: number,
  stratify: boolean,
  seed: number,
): Fold[] {
  const n = trainRows.length;
  const splits = k === 1 ? 5 : k;
  const local = stratify
    ? stratifiedKFold(
        Int32Array.from(trainRows, (r) => labels[r]!),
        splits,
        { shuffle: true, seed },
      )
    : kFold(n, splits, { shuffle: true, seed });
  const toRows = (idx: Int32Array) => Int32Array.from(idx, (i) => trainRows[i]!);
  return local.slice(0, k).map((f) => ({ train: toRows(f.train), test: toRows(f.test) }));
}

/**
 * One fold encoded for training: features and targets of both parts, and the target scaling.
 *
 * @example
 * ```ts
 * const { train, valid, features } = cache.get(options, false, 0);
 * ```
 */
export interface FoldData {
  train: Split;
  valid: Split;
  /** The target standardization (regression), so metrics report in the data's units. */
  preprocessing: Preprocessing;
  features: number;
}

/**
 * Encodes folds for the candidates' preprocessing choices, fitting imputation, encoding and
 * scaling on each fold's training rows only (as `kiln train` fits them on its training split).
 * Encodings are cached: candidates share the few distinct preprocessing choices.
 *
 * @example
 * ```ts
 * const cache = new FoldCache(table, searchFolds(trainRows, labels, 5, true, 1));
 * ```
 */
export class FoldCache {
  private readonly cache = new Map<string, FoldData>();

  constructor(
    private readonly table: RawTable,
    private readonly folds: readonly Fold[],
  ) {}

  get size(): number {
    return this.folds.length;
  }

  /** Training-set sizes of the folds. */
  trainSizes(): number[] {
    return this.folds.map((f) => f.train.length);
  }

  get(options: TableOptions, standardizeTarget: boolean, fold: number): FoldData {
    const key = `${JSON.stringify(options)}|${standardizeTarget}|${fold}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const { train, test } = this.folds[fold]!;
    const prep = TablePreprocessor.fit(this.table, options, train);
    const all = prep.transform(this.table);
    const take = (rows: Int32Array): Split => {
      const idx = tensor(rows);
      return { x: indexSelect(all.x, 0, idx), y: indexSelect(all.y!, 0, idx) };
    };
    let trainSplit = take(train);
    let validSplit = take(test);
    const preprocessing: Preprocessing = { features: null, target: null };
    if (standardizeTarget) {
      preprocessing.target = new Standardize().fit(trainSplit.y.reshape([-1, 1])).toJSON();
      trainSplit = applyPreprocessing(trainSplit, preprocessing);
      validSplit = applyPreprocessing(validSplit, preprocessing);
    }
    const data = {
      train: trainSplit,
      valid: validSplit,
      preprocessing,
      features: prep.featureNames.length,
    };
    this.cache.set(key, data);
    return data;
  }
}
