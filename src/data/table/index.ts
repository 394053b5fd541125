/**
 * Real-world tables: a CSV reader for files with a header, column kind inference, and a fitted,
 * serializable preprocessing (imputation, one-hot encoding, standardization, target encoding).
 *
 * @example
 * ```ts
 * const table = await k.data.readTable('datasets/realworld/penguins.csv');
 * const prep = k.data.TablePreprocessor.fit(table, { target: 'species' });
 * const { x, y } = prep.transform(table);
 * ```
 *
 * @module
 */
export type { FeatureSpec } from './features.js';
export type { TableOptions, TableSpec } from './preprocessor.js';
export { TablePreprocessor } from './preprocessor.js';
export type { RawTable, ReadTableOptions } from './read.js';
export { parseTable, readTable } from './read.js';
export type { TableTask, TargetSpec } from './target.js';
export type { ColumnKind } from './types.js';
export type { WindowOptions, Windows } from './windows.js';
export { seasonalNaive, slidingWindows } from './windows.js';
