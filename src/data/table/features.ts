import { DataError } from '../../tensor/errors.js';
import { type RawTable, showNames } from './read.js';
import { type ColumnKind, parseBooleanCell, parseDateCell, parseNumberCell } from './types.js';

/**
 * How one input column becomes features, with the statistics fitted on the training rows:
 * imputation value (`fill`: median, or most frequent level), standardization (`mean`, `std`),
 * the kept levels of a categorical column (most frequent first, the rest sharing an `other`
 * column), and whether a 0/1 missing-indicator feature follows.
 *
 * @example
 * ```ts
 * const island: k.data.FeatureSpec = {
 *   column: 'island', kind: 'categorical', levels: ['Biscoe', 'Dream'], other: true, fill: 'Biscoe', indicator: false,
 * };
 * ```
 */
export type FeatureSpec =
  | {
      column: string;
      kind: 'numeric';
      fill: number;
      mean: number;
      std: number;
      indicator: boolean;
      /** Quantile bin edges (increasing) of a piecewise-linear encoding, when one was asked for. */
      bins?: number[];
    }
  | { column: string; kind: 'boolean'; fill: number; indicator: boolean }
  | {
      column: string;
      kind: 'categorical';
      levels: string[];
      other: boolean;
      fill: string;
      indicator: boolean;
      /**
       * Encoded as one index column for an embedding (`col.index`: 1 + the level's position in
       * `levels`, 0 for a missing, rare or unseen level) instead of one-hot columns.
       */
      embed?: boolean;
    }
  | { column: string; kind: 'date'; fill: number; mean: number; std: number; indicator: boolean };

/**
 * Options of {@link fitFeatures}.
 *
 * @example
 * ```ts
 * const options: FitFeatureOptions = { missing: new Set(['']), maxCategories: 32, missingIndicator: false, standardize: true };
 * ```
 */
export interface FitFeatureOptions {
  missing: ReadonlySet<string>;
  /** Keep at most this many levels per categorical column; rarer ones share an 'other' column. */
  maxCategories: number;
  /** Add a 0/1 feature after each column that has missing cells in the training rows. */
  missingIndicator: boolean;
  /** Standardize numeric and date features with the training rows' mean and std. */
  standardize: boolean;
  /**
   * Also encode each numeric column piecewise-linearly over this many quantile bins of the
   * training rows (0 or undefined: no bins).
   */
  numericBins?: number;
  /** Categorical columns encoded as one index column each, for an embedding layer. */
  embed?: ReadonlySet<string>;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Mean and population std (as scikit-learn's StandardScaler); a constant column gets std 1. */
function moments(values: number[], standardize: boolean): { mean: number; std: number } {
  if (!standardize || values.length === 0) return { mean: 0, std: 1 };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / values.length);
  return { mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

/**
 * Fits each feature column on the training rows only: medians and most frequent levels for
 * imputation, means and stds for standardization, the kept category levels.
 *
 * @example
 * ```ts
 * const specs = fitFeatures(table, [[1, 'categorical'], [2, 'numeric']], trainRows, options);
 * ```
 */
export function fitFeatures(
  table: RawTable,
  columns: readonly (readonly [number, ColumnKind])[],
  trainRows: ArrayLike<number>,
  options: FitFeatureOptions,
): FeatureSpec[] {
  return columns.map(([j, kind]) => {
    const column = table.columns[j]!;
    const present: number[] = [];
    let missingCount = 0;
    for (let i = 0; i < trainRows.length; i++) {
      const r = trainRows[i]!;
      if (options.missing.has(table.rows[r][j]!)) missingCount++;
      else present.push(r);
    }
    const embed = kind === 'categorical' && options.embed?.has(column);
    // An embedded column's missing cells have their own index (0), so need no indicator.
    const indicator = options.missingIndicator && missingCount > 0 && !embed;
    if (kind === 'categorical') {
      const counts = new Map<string, number>();
      for (const r of present) {
        const cell = table.rows[r][j]!;
        counts.set(cell, (counts.get(cell) ?? 0) + 1);
      }
      const ranked = [...counts.entries()].sort(
        (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
      );
      const kept = ranked.slice(0, options.maxCategories).map(([level]) => level);
      return {
        column,
        kind,
        // Sorted, so one-hot columns read in a stable, findable order.
        levels: [...kept].sort(),
        other: ranked.length > kept.length,
        fill: ranked[0]?.[0] ?? '',
        indicator,
        ...(embed ? { embed: true } : {}),
      };
    }
    if (kind === 'boolean') {
      const ones = present.reduce((s, r) => s + parseBooleanCell(table, r, j), 0);
      return { column, kind, fill: ones * 2 >= present.length && ones > 0 ? 1 : 0, indicator };
    }
    const values = present.map((r) =>
      kind === 'date' ? parseDateCell(table, r, j).years : parseNumberCell(table, r, j),
    );
    const fill = median(values);
    const imputed = values.concat(new Array<number>(missingCount).fill(fill));
    const spec = { column, kind, fill, ...moments(imputed, options.standardize), indicator };
    const bins = kind === 'numeric' ? quantileEdges(imputed, options.numericBins ?? 0) : null;
    return bins ? { ...spec, bins } : spec;
  });
}

/**
 * Edges of `count` quantile bins of the values (duplicates removed, so a column with few
 * distinct values gets fewer bins), or null when fewer than two bins remain.
 */
function quantileEdges(values: readonly number[], count: number): number[] | null {
  if (count < 2 || values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let q = 0; q <= count; q++) {
    const v = s[Math.min(s.length - 1, Math.round((q / count) * (s.length - 1)))]!;
    if (edges.length === 0 || v > edges.at(-1)!) edges.push(v);
  }
  return edges.length >= 3 ? edges : null;
}

/**
 * Feature names of the encoded matrix, in column order: `col` (and `col.bin1`... with bins),
 * `col=level`, `col=(other)`, `col.index` (embedded categories), `col.year`, `col.month_sin`, `col.month_cos`, `col.missing`.
 *
 * @example
 * ```ts
 * featureNames(specs); // ['island=Biscoe', 'island=Dream', 'island=Torgersen', 'bill_length_mm', ...]
 * ```
 */
export function featureNames(specs: readonly FeatureSpec[]): string[] {
  const names: string[] = [];
  for (const s of specs) {
    if (s.kind === 'categorical' && s.embed) {
      names.push(`${s.column}.index`);
    } else if (s.kind === 'categorical') {
      for (const level of s.levels) names.push(`${s.column}=${level}`);
      if (s.other) names.push(`${s.column}=(other)`);
    } else if (s.kind === 'date') {
      names.push(`${s.column}.year`, `${s.column}.month_sin`, `${s.column}.month_cos`);
    } else {
      names.push(s.column);
      if (s.kind === 'numeric' && s.bins)
        for (let b = 1; b < s.bins.length; b++) names.push(`${s.column}.bin${b}`);
    }
    if (s.indicator) names.push(`${s.column}.missing`);
  }
  return names;
}

/**
 * Encodes every row of a table with fitted feature specs into a float32 matrix `[rows,
 * features]` (row-major). Missing cells get the fitted fill; unseen categories go to the 'other'
 * column when there is one, else to no column (all zeros). Cells that cannot be read (text in a
 * numeric column, a non-finite number) are a `DataError` naming file, line and column.
 *
 * @example
 * ```ts
 * const x = encodeFeatures(table, specs, missing); // Float32Array of rows * featureNames(specs).length
 * ```
 */
export function encodeFeatures(
  table: RawTable,
  specs: readonly FeatureSpec[],
  missing: ReadonlySet<string>,
): Float32Array {
  const columns = specs.map((s) => {
    const j = table.columns.indexOf(s.column);
    if (j < 0) {
      throw new DataError(
        `${table.name}: no column ${JSON.stringify(s.column)}, which the model was trained with (columns: ${showNames(table.columns)})`,
      );
    }
    return j;
  });
  const width = featureNames(specs).length;
  const n = table.rows.length;
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    let at = r * width;
    specs.forEach((s, q) => {
      const j = columns[q]!;
      const isMissing = missing.has(table.rows[r][j]!);
      if (s.kind === 'categorical' && s.embed) {
        out[at++] = isMissing ? 0 : s.levels.indexOf(table.rows[r][j]!) + 1;
      } else if (s.kind === 'categorical') {
        const cell = isMissing ? s.fill : table.rows[r][j]!;
        const k = s.levels.indexOf(cell);
        if (k >= 0) out[at + k] = 1;
        else if (s.other) out[at + s.levels.length] = 1;
        at += s.levels.length + (s.other ? 1 : 0);
      } else if (s.kind === 'boolean') {
        out[at++] = isMissing ? s.fill : parseBooleanCell(table, r, j);
      } else if (s.kind === 'numeric') {
        const v = isMissing ? s.fill : parseNumberCell(table, r, j);
        out[at++] = (v - s.mean) / s.std;
        // Piecewise-linear: 0 below a bin, 1 above it, the position within it in between, so
        // one Linear layer can make a sharp step at any bin edge.
        if (s.bins) {
          for (let b = 1; b < s.bins.length; b++) {
            const lo = s.bins[b - 1]!;
            out[at++] = Math.min(1, Math.max(0, (v - lo) / (s.bins[b]! - lo)));
          }
        }
      } else {
        const d = isMissing ? null : parseDateCell(table, r, j);
        out[at++] = ((d?.years ?? s.fill) - s.mean) / s.std;
        const angle = d ? (2 * Math.PI * (d.month - 1)) / 12 : 0;
        out[at++] = d ? Math.sin(angle) : 0;
        out[at++] = d ? Math.cos(angle) : 0;
      }
      if (s.indicator) out[at++] = isMissing ? 1 : 0;
    });
  }
  return out;
}
