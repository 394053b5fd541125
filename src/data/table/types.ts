import { ConfigError, DataError } from '../../tensor/errors.js';
import { cellWhere, type RawTable, showNames } from './read.js';

/**
 * How a column is read: `numeric` (numbers), `categorical` (text levels), `boolean` (yes/no,
 * true/false), `date` (ISO dates, expanded to features or ignored).
 *
 * @example
 * ```ts
 * const types: Record<string, k.data.ColumnKind> = { area_code: 'categorical' };
 * ```
 */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'date';

/**
 * The column kinds, in the order configs list them.
 *
 * @example
 * ```ts
 * COLUMN_KINDS.includes('date'); // true
 * ```
 */
export const COLUMN_KINDS: readonly ColumnKind[] = ['numeric', 'categorical', 'boolean', 'date'];

/**
 * Cells read as missing by default (R's and pandas' usual spellings).
 *
 * @example
 * ```ts
 * DEFAULT_MISSING.includes('NA'); // true
 * ```
 */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'N/A', 'NULL', 'null', '?'];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Spellings of non-finite numbers: they make a column numeric, then fail as data errors. */
const NON_FINITE = /^[+-]?(inf|infinity|nan)$/i;
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const TRUE_WORDS = new Set(['yes', 'true', 'y', 't']);
const FALSE_WORDS = new Set(['no', 'false', 'n', 'f']);
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Whether a cell looks like a number (finite or not).
 *
 * @example
 * ```ts
 * looksNumeric('1e39'); // true (and rejected later as beyond float32)
 * ```
 */
export function looksNumeric(cell: string): boolean {
  return NUMBER.test(cell) || NON_FINITE.test(cell);
}

/**
 * The value of a numeric cell; a `DataError` naming the cell for a non-finite value, one beyond
 * float32's range, or text.
 *
 * @example
 * ```ts
 * parseNumberCell(table, 3, 2); // 18.7
 * ```
 */
export function parseNumberCell(table: RawTable, row: number, column: number): number {
  const cell = table.rows[row][column]!;
  const v = NUMBER.test(cell) ? Number(cell) : Number.NaN;
  if (Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX) return v;
  const why = NON_FINITE.test(cell)
    ? 'is not a finite number (write a missing value as an empty cell or NA)'
    : NUMBER.test(cell)
      ? 'is beyond the float32 range (|x| <= 3.4e38)'
      : 'is not a number';
  throw new DataError(`${cellWhere(table, row, column)}: ${JSON.stringify(cell)} ${why}`);
}

/**
 * The value of a boolean cell (1 for yes/true/y/t, 0 for no/false/n/f, any case).
 *
 * @example
 * ```ts
 * parseBooleanCell(table, 0, 3); // 1 for "yes"
 * ```
 */
export function parseBooleanCell(table: RawTable, row: number, column: number): number {
  const cell = table.rows[row][column]!.toLowerCase();
  if (TRUE_WORDS.has(cell)) return 1;
  if (FALSE_WORDS.has(cell)) return 0;
  throw new DataError(
    `${cellWhere(table, row, column)}: ${JSON.stringify(table.rows[row]![column])} is not yes/no or true/false`,
  );
}

/**
 * A date cell as fractional years (2017-07-01 is about 2017.5) and its month (1..12); a
 * `DataError` naming the cell when it is not an ISO date.
 *
 * @example
 * ```ts
 * parseDateCell(table, 0, 0); // { years: 1992.0, month: 1 } for "1992-01-01"
 * ```
 */
export function parseDateCell(
  table: RawTable,
  row: number,
  column: number,
): { years: number; month: number } {
  const cell = table.rows[row][column]!;
  const m = ISO_DATE.exec(cell);
  const t = m ? Date.parse(m[4] ? cell : `${cell}T00:00:00Z`) : Number.NaN;
  if (!m || !Number.isFinite(t)) {
    throw new DataError(
      `${cellWhere(table, row, column)}: ${JSON.stringify(cell)} is not an ISO date (YYYY-MM-DD)`,
    );
  }
  const year = Number(m[1]);
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  return { years: year + (t - start) / (end - start), month: Number(m[2]) };
}

/**
 * Infers each column's kind from its non-missing cells: all numbers: numeric; all yes/no or
 * true/false: boolean; all ISO dates: date; otherwise categorical. `types` overrides by column
 * name. A column of numbers with a few stray words (at most 3 distinct, at most 5% of the cells)
 * is a `DataError` naming the first such cell, since that is far more often a typo than a
 * category.
 *
 * @example
 * ```ts
 * inferColumnKinds(table, { missing: new Set(['', 'NA']) }); // ['categorical', 'numeric', ...]
 * ```
 */
export function inferColumnKinds(
  table: RawTable,
  options: { missing: ReadonlySet<string>; types?: Readonly<Record<string, ColumnKind>> },
): ColumnKind[] {
  for (const [column, kind] of Object.entries(options.types ?? {})) {
    if (!table.columns.includes(column)) {
      throw new ConfigError(
        `data.types: ${JSON.stringify(column)} is not a column of ${table.name} (columns: ${showNames(table.columns)})`,
      );
    }
    if (!COLUMN_KINDS.includes(kind)) {
      throw new ConfigError(
        `data.types.${column}: must be one of ${COLUMN_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
      );
    }
  }
  return table.columns.map((name, j) => {
    const declared = options.types?.[name];
    if (declared) return declared;
    let present = 0;
    let numeric = 0;
    let boolean = 0;
    let date = 0;
    const words = new Map<string, number>();
    table.rows.forEach((row, r) => {
      const cell = row[j]!;
      if (options.missing.has(cell)) return;
      present++;
      const lower = cell.toLowerCase();
      if (looksNumeric(cell)) numeric++;
      else if (!words.has(cell)) words.set(cell, r);
      if (TRUE_WORDS.has(lower) || FALSE_WORDS.has(lower)) boolean++;
      if (ISO_DATE.test(cell)) date++;
    });
    if (present === 0) return 'numeric';
    if (numeric === present) return 'numeric';
    if (boolean === present) return 'boolean';
    if (date === present) return 'date';
    if (numeric > 0 && words.size <= 3 && present - numeric <= Math.max(1, 0.05 * present)) {
      const r = Math.min(...words.values());
      throw new DataError(
        `${cellWhere(table, r, j)}: ${JSON.stringify(table.rows[r]![j])} is not a number, but ${numeric} of ${present} cells of this column are (fix the cell, add it to data.missingValues, or declare data.types: { ${name}: categorical })`,
      );
    }
    return 'categorical';
  });
}
