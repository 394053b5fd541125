import { ConfigError, DataError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { readMaybeGzip } from './files.js';

/** How `readCsv` encodes a column of strings: one index column, or one 0/1 column per value. */
export type CategoricalEncoding = 'index' | 'onehot';

/** Options of `readCsv`. */
export interface CsvOptions {
  /** Whether the first row (after `skipRows`) names the columns; 'auto' (default): when no field of it is a number. */
  header?: boolean | 'auto';
  /** Field separator: a string, 'whitespace' (runs of spaces and tabs), or 'auto' (default: ',', tab, ';' or whitespace, from the first row). */
  delimiter?: string;
  /** Feature columns, by name or 0-based index (negative counts from the end); all but the label by default. */
  columns?: (string | number)[];
  /** The label column, by name or index (-1 = last). */
  label?: string | number;
  /** Label type: 'int32' class indices or 'float32' targets. Default: int32 when the label column holds strings or is categorical, else float32. */
  labelDtype?: 'int32' | 'float32';
  /** With int32 labels, the number of classes: labels outside 0..numClasses-1 are a `DataError`. */
  numClasses?: number;
  /** Columns of strings to encode, by name or index; values are numbered in sorted order: numbers first, numerically, then strings by code point. */
  categorical?: Record<string, CategoricalEncoding>;
  /** Missing values ('', NA, NaN, N/A, null, ?): 'error' (default) names the line; 'drop' skips the row; `{ fill }` replaces features (a missing label is still an error). */
  missing?: 'error' | 'drop' | { fill: number };
  /** Lines to skip at the start of the file (metadata, comments). Default 0. */
  skipRows?: number;
}

/** What `readCsv` returns. */
export interface CsvData {
  /** float32 [N, F]. */
  features: Tensor;
  /** [N]: int32 class indices or float32 targets, when a label column was given. */
  labels?: Tensor;
  /** One name per feature column (one-hot columns are named `column=value`). */
  featureNames: string[];
  /** Class names of a string label column, in index order. */
  classes?: string[];
}

const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null', '?']);
/** Whether a field (trimmed when the line was split) is a missing value. */
const isMissing = (s: string) => MISSING.has(s.toLowerCase());
const isNumeric = (s: string) => s.trim() !== '' && !Number.isNaN(Number(s));

/** The largest finite float32; larger cells would become Infinity in a float32 tensor. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Why a numeric cell cannot be a float32 feature (Infinity, beyond float32), or null. */
function nonFinite(v: number): string | null {
  if (!Number.isFinite(v)) return 'is not finite';
  return Math.abs(v) > FLOAT32_MAX ? 'is beyond the float32 range (|x| <= 3.4e38)' : null;
}

/**
 * Reads a delimited text file (gzip detected by its magic bytes) into a float32 feature matrix and
 * optional labels. Every problem is a `DataError` naming the file and line: ragged rows
 * (`iris.csv line 7: expected 5 fields, got 4`), non-numeric values in numeric columns, missing
 * values under the default policy, labels out of range.
 *
 * @example
 * ```ts
 * const { features, labels, classes } = await k.data.readCsv('penguins.csv', {
 *   label: 'species', categorical: { island: 'onehot' }, missing: 'drop',
 * });
 * ```
 */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<CsvData> {
  return parseCsv(new TextDecoder().decode(await readMaybeGzip(path)), path, options);
}

function splitter(delimiter: string): (line: string) => string[] {
  if (delimiter === 'whitespace') return (line) => line.trim().split(/\s+/);
  // A fast path for lines without quotes, which splitQuoted splits the same way.
  // Stryker disable next-line StringLiteral: includes('') sends every line to splitQuoted: equivalent.
  return (line) => (line.includes('"') ? splitQuoted(line, delimiter) : line.split(delimiter));
}

/** Splits a line with RFC 4180 quoting: "a, b" and doubled "" for a quote. */
function splitQuoted(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') field += line[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      out.push(field);
      field = '';
      i += delimiter.length - 1;
    } else field += ch;
  }
  out.push(field);
  return out;
}

/**
 * The fill of `missing: { fill }`, or null for 'error' and 'drop'; any other policy is a
 * `ConfigError` (it would otherwise keep missing cells as NaN features).
 */
function missingFill(missing: unknown, name: string): number | null {
  if (missing === 'error' || missing === 'drop') return null;
  const fill = (missing as { fill?: unknown } | null)?.fill;
  if (Number.isFinite(fill)) return fill as number;
  throw new ConfigError(
    `${name}: missing must be 'error', 'drop' or { fill: <finite number> }, got ${JSON.stringify(missing)}`,
  );
}

function detectDelimiter(line: string): string {
  for (const d of [',', '\t', ';']) if (line.includes(d)) return d;
  return 'whitespace';
}

/**
 * Parses CSV text; `name` appears in error messages. `expectFields` fixes the field count instead
 * of taking it from the first row. Used by `readCsv` and the dataset helpers.
 *
 * @example
 * ```ts
 * const { features } = k.data.parseCsv('a,b\n1,2\n3,4\n', 'inline.csv');
 * ```
 */
export function parseCsv(
  text: string,
  name: string,
  options: CsvOptions = {},
  expectFields?: number,
): CsvData {
  const { skipRows = 0, missing = 'error' } = options;
  const fill = missingFill(missing, name);
  if (options.delimiter === '') {
    throw new ConfigError(`${name}: delimiter must not be empty (or 'auto', 'whitespace')`);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: { line: number; fields: string[] }[] = [];
  let split: ((line: string) => string[]) | null = null;
  let names: string[] | null = null;
  for (let i = skipRows; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (!split) {
      const d = options.delimiter ?? 'auto';
      split = splitter(d === 'auto' ? detectDelimiter(line) : d);
    }
    const fields = split(line).map((f) => f.trim());
    if (!names && rows.length === 0) {
      const header = options.header ?? 'auto';
      if (header === true || (header === 'auto' && !fields.some(isNumeric))) {
        names = fields;
        expectFields ??= fields.length;
        continue;
      }
    }
    expectFields ??= fields.length;
    if (fields.length !== expectFields) {
      throw new DataError(
        `${name} line ${i + 1}: expected ${expectFields} fields, got ${fields.length}`,
      );
    }
    rows.push({ line: i + 1, fields });
  }
  const width = expectFields ?? 0;
  const colNames = names ?? Array.from({ length: width }, (_, j) => `col${j}`);
  const resolve = (ref: string | number, what: string): number => {
    const j = typeof ref === 'number' ? (ref < 0 ? ref + width : ref) : colNames.indexOf(ref);
    if (!Number.isInteger(j) || j < 0 || j >= width) {
      throw new ConfigError(
        `${name}: ${what} ${JSON.stringify(ref)} is not a column; the columns are ${colNames.map((c) => JSON.stringify(c)).join(', ')}`,
      );
    }
    return j;
  };
  const labelCol = options.label === undefined ? -1 : resolve(options.label, 'label column');
  const featureCols = options.columns
    ? options.columns.map((c) => resolve(c, 'feature column'))
    : colNames.map((_, j) => j).filter((j) => j !== labelCol);
  const encoding = new Map<number, CategoricalEncoding>();
  for (const [key, enc] of Object.entries(options.categorical ?? {})) {
    const ref = colNames.includes(key) || !/^-?\d+$/.test(key) ? key : Number(key);
    encoding.set(resolve(ref, 'categorical column'), enc);
  }

  // Rows with a missing value in a used column: error, dropped, or filled below.
  const used = labelCol >= 0 ? [...featureCols, labelCol] : featureCols;
  const kept = rows.filter(({ line, fields }) => {
    for (const j of used) {
      if (!isMissing(fields[j]!)) continue;
      if (missing === 'drop') return false;
      if (fill === null || j === labelCol) {
        throw new DataError(
          `${name} line ${line}, column ${JSON.stringify(colNames[j])}: missing value ${JSON.stringify(fields[j])} (pass missing: 'drop' or { fill } to accept it)`,
        );
      }
    }
    return true;
  });

  // A label column of strings is categorical even when not declared.
  if (labelCol >= 0 && !encoding.has(labelCol) && options.labelDtype !== 'float32') {
    if (kept.some((r) => !isNumeric(r.fields[labelCol]!))) encoding.set(labelCol, 'index');
  }
  const levels = new Map<number, string[]>();
  for (const j of encoding.keys()) {
    const values = new Set(kept.map((r) => r.fields[j]!).filter((v) => !isMissing(v)));
    levels.set(j, [...values].sort(compareLevels));
  }

  const featureNames: string[] = [];
  for (const j of featureCols) {
    if (encoding.get(j) === 'onehot') {
      for (const v of levels.get(j)!) featureNames.push(`${colNames[j]}=${v}`);
    } else featureNames.push(colNames[j]!);
  }
  const n = kept.length;
  const f = featureNames.length;
  const features = new Float32Array(n * f);
  // A missing cell gets here only under { fill } (the rows above were dropped or refused).
  const filled = fill!;
  kept.forEach(({ line, fields }, r) => {
    let at = r * f;
    for (const j of featureCols) {
      const s = fields[j]!;
      const enc = encoding.get(j);
      if (enc) {
        const level = levels.get(j)!;
        const k = isMissing(s) ? -1 : level.indexOf(s);
        if (enc === 'index') features[at++] = k < 0 ? filled : k;
        else {
          // One-hot into zeros: a 1 at the level's column, or the fill in all of them.
          if (k < 0) features.fill(filled, at, at + level.length);
          else features[at + k] = 1;
          at += level.length;
        }
      } else if (isMissing(s)) {
        features[at++] = filled;
      } else {
        const v = Number(s);
        if (!isNumeric(s)) {
          throw new DataError(
            `${name} line ${line}, column ${JSON.stringify(colNames[j])}: ${JSON.stringify(s)} is not a number (declare the column in categorical to encode strings)`,
          );
        }
        const bad = nonFinite(v);
        if (bad)
          throw new DataError(
            `${name} line ${line}, column ${JSON.stringify(colNames[j])}: ${JSON.stringify(s)} ${bad}`,
          );
        features[at++] = v;
      }
    }
  });
  const result: CsvData = {
    features: wrap(features, [n, f], 'float32'),
    featureNames,
  };
  if (labelCol >= 0)
    Object.assign(
      result,
      buildLabels(kept, labelCol, levels.get(labelCol), name, colNames[labelCol]!, options),
    );
  return result;
}

/**
 * Numbers first, in numeric order ("2" < "10"), then strings by code point; equal numbers written
 * differently ("1", "1.0") by code point. A total order, so that the numbering of levels does not
 * depend on the order of the rows (mixing the two rules per pair did: "10" < "5x" < "9" < "10").
 */
function compareLevels(a: string, b: string): number {
  const na = isNumeric(a);
  const nb = isNumeric(b);
  if (na !== nb) return na ? -1 : 1;
  const byCode = a < b ? -1 : a > b ? 1 : 0;
  return na ? Number(a) - Number(b) || byCode : byCode;
}

function buildLabels(
  rows: { line: number; fields: string[] }[],
  col: number,
  level: string[] | undefined,
  name: string,
  colName: string,
  options: CsvOptions,
): { labels: Tensor; classes?: string[] } {
  const n = rows.length;
  const where = (line: number) => `${name} line ${line}, column ${JSON.stringify(colName)}`;
  if (level) {
    const labels = new Int32Array(n);
    rows.forEach(({ fields }, r) => {
      labels[r] = level.indexOf(fields[col]!);
    });
    checkClasses(labels, rows, options.numClasses, where);
    return { labels: wrap(labels, [n], 'int32'), classes: level };
  }
  if (options.labelDtype === 'int32') {
    const labels = new Int32Array(n);
    rows.forEach(({ line, fields }, r) => {
      const s = fields[col]!;
      const v = Number(s);
      if (!isNumeric(s) || !Number.isInteger(v)) {
        throw new DataError(`${where(line)}: class label ${JSON.stringify(s)} is not an integer`);
      }
      labels[r] = v;
    });
    checkClasses(labels, rows, options.numClasses, where);
    return { labels: wrap(labels, [n], 'int32') };
  }
  const labels = new Float32Array(n);
  rows.forEach(({ line, fields }, r) => {
    const s = fields[col]!;
    if (!isNumeric(s)) throw new DataError(`${where(line)}: ${JSON.stringify(s)} is not a number`);
    const bad = nonFinite(Number(s));
    if (bad) throw new DataError(`${where(line)}: ${JSON.stringify(s)} ${bad}`);
    labels[r] = Number(s);
  });
  return { labels: wrap(labels, [n], 'float32') };
}

function checkClasses(
  labels: Int32Array,
  rows: { line: number }[],
  numClasses: number | undefined,
  where: (line: number) => string,
): void {
  const limit = numClasses ?? Infinity;
  const bad = labels.findIndex((v) => v < 0 || v >= limit);
  if (bad >= 0) {
    const expected =
      numClasses === undefined
        ? 'expected a non-negative class index'
        : `expected 0..${limit - 1} for ${limit} classes`;
    throw new DataError(
      `${where(rows[bad]!.line)}: label ${labels[bad]} is out of range (${expected})`,
    );
  }
}

/** A tensor over a fresh array (no copy: nothing else holds it). */
function wrap(
  data: Float32Array | Int32Array,
  shape: number[],
  dtype: 'float32' | 'int32',
): Tensor {
  const strides = shape.length === 2 ? [shape[1]!, 1] : [1];
  return new Tensor(data, shape, strides, 0, dtype);
}
