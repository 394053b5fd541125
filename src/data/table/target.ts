import { ConfigError, DataError } from '../../tensor/errors.js';
import { cellWhere, type RawTable, showNames } from './read.js';
import { type ColumnKind, parseNumberCell } from './types.js';

/**
 * What a table's target column is predicted as.
 *
 * @example
 * ```ts
 * const task: k.data.TableTask = 'regression';
 * ```
 */
export type TableTask = 'classification' | 'regression';

/**
 * The fitted target: class names in index order (as they are spelled in the file), or a
 * real-valued regression target.
 *
 * @example
 * ```ts
 * const target: TargetSpec = { column: 'species', task: 'classification', classes: ['Adelie', 'Chinstrap', 'Gentoo'] };
 * ```
 */
export type TargetSpec =
  | { column: string; task: 'classification'; classes: string[] }
  | { column: string; task: 'regression' };

/**
 * A numeric target with at most this many distinct integer values is read as class labels.
 *
 * @example
 * ```ts
 * MAX_INTEGER_CLASSES; // 10
 * ```
 */
export const MAX_INTEGER_CLASSES = 10;

/** Numbers in numeric order, other text in code-point order. */
function compareLevels(a: string, b: string, numeric: boolean): number {
  if (numeric) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Decides the task and the classes from the target column (every row): text or yes/no:
 * classification; numbers: classification when they are integers with at most
 * {@link MAX_INTEGER_CLASSES} distinct values (and at most half as many as rows), regression
 * otherwise. `task` overrides the guess. A missing target cell is a `DataError` naming it.
 *
 * @example
 * ```ts
 * fitTarget(table, 0, 'categorical', { missing: new Set(['']) }); // { column: 'species', task: 'classification', classes: [...] }
 * ```
 */
export function fitTarget(
  table: RawTable,
  column: number,
  kind: ColumnKind,
  options: { missing: ReadonlySet<string>; task?: TableTask },
): TargetSpec {
  const name = table.columns[column]!;
  if (kind === 'date') {
    throw new ConfigError(
      `data.target: column ${JSON.stringify(name)} of ${table.name} holds dates, which cannot be predicted as a table target (use task: forecast for a time series)`,
    );
  }
  const distinct = new Map<string, number>();
  table.rows.forEach((row, r) => {
    const cell = row[column]!;
    if (options.missing.has(cell)) {
      throw new DataError(
        `${cellWhere(table, r, column)}: the target is missing (drop the row or fill it in)`,
      );
    }
    if (kind === 'numeric') parseNumberCell(table, r, column);
    const key = kind === 'numeric' ? String(Number(cell)) : cell;
    if (!distinct.has(key)) distinct.set(key, r);
  });
  const numeric = kind === 'numeric';
  let task = options.task;
  if (!task) {
    const integers = [...distinct.keys()].every((v) => Number.isInteger(Number(v)));
    const few = distinct.size <= MAX_INTEGER_CLASSES && distinct.size * 2 <= table.rows.length;
    task = !numeric || (integers && few) ? 'classification' : 'regression';
  }
  if (task === 'regression') {
    if (!numeric) {
      throw new ConfigError(
        `task: regression needs a numeric target, but column ${JSON.stringify(name)} of ${table.name} holds text`,
      );
    }
    return { column: name, task };
  }
  const classes = [...distinct.keys()].sort((a, b) => compareLevels(a, b, numeric));
  if (classes.length < 2) {
    throw new DataError(
      `${table.name}: the target column ${JSON.stringify(name)} has only one value (${JSON.stringify(classes[0] ?? '')}); classification needs at least two classes`,
    );
  }
  return { column: name, task, classes };
}

/**
 * The target of the given rows: int32 class indices or float32 values. A class not among the
 * fitted ones, or a missing target, is a `DataError` naming the cell.
 *
 * @example
 * ```ts
 * const y = encodeTarget(table, spec, { missing }); // Int32Array for classification
 * ```
 */
export function encodeTarget(
  table: RawTable,
  spec: TargetSpec,
  options: { missing: ReadonlySet<string> },
): Int32Array | Float32Array {
  const column = table.columns.indexOf(spec.column);
  if (column < 0) {
    throw new DataError(
      `${table.name}: no target column ${JSON.stringify(spec.column)} (columns: ${showNames(table.columns)})`,
    );
  }
  const n = table.rows.length;
  const missing = (r: number) => {
    if (options.missing.has(table.rows[r][column]!)) {
      throw new DataError(`${cellWhere(table, r, column)}: the target is missing`);
    }
  };
  if (spec.task === 'regression') {
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      missing(r);
      y[r] = parseNumberCell(table, r, column);
    }
    return y;
  }
  const numeric = spec.classes.every((c) => c !== '' && Number.isFinite(Number(c)));
  const index = new Map(spec.classes.map((c, i) => [c, i]));
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    missing(r);
    const cell = table.rows[r][column]!;
    const i = index.get(numeric && Number.isFinite(Number(cell)) ? String(Number(cell)) : cell);
    if (i === undefined) {
      throw new DataError(
        `${cellWhere(table, r, column)}: class ${JSON.stringify(cell)} was not seen in training (classes: ${showNames(spec.classes)})`,
      );
    }
    y[r] = i;
  }
  return y;
}
