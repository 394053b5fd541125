import { tensor } from '../../ops/creation.js';
import { ConfigError, DataError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { encodeFeatures, type FeatureSpec, featureNames, fitFeatures } from './features.js';
import { type RawTable, showNames } from './read.js';
import { encodeTarget, fitTarget, type TableTask, type TargetSpec } from './target.js';
import { type ColumnKind, DEFAULT_MISSING, inferColumnKinds } from './types.js';

/**
 * Options of {@link TablePreprocessor.fit}.
 *
 * @example
 * ```ts
 * const options: k.data.TableOptions = { target: 'churn', drop: ['state'], missingIndicator: true };
 * ```
 */
export interface TableOptions {
  /** The column to predict; without it every kept column is a feature. */
  target?: string;
  /** Columns to leave out. */
  drop?: string[];
  /** Column kinds that override inference, by column name. */
  types?: Record<string, ColumnKind>;
  /** Overrides the task inferred from the target. */
  task?: TableTask;
  /** Levels kept per categorical column (most frequent first); the rest share an 'other' column. Default 32. */
  maxCategories?: number;
  /** Add a 0/1 '<column>.missing' feature after each column with missing training cells. Default false. */
  missingIndicator?: boolean;
  /** Standardize numeric and date features (fitted on the training rows). Default true. */
  standardize?: boolean;
  /** Date columns: 'expand' (fractional year, standardized, and month as sin/cos; default) or 'ignore'. */
  dates?: 'expand' | 'ignore';
  /** Cells read as missing. Default '', NA, N/A, NULL, null, ?. */
  missingValues?: string[];
  /**
   * Besides its standardized value, encode each numeric column piecewise-linearly over this many
   * quantile bins of the training rows (`col.bin1`...: 0 below the bin, 1 above, the position
   * within it between), which lets an MLP make sharp steps as trees do. Default none.
   */
  numericBins?: number;
  /**
   * Categorical columns encoded as one index column each (`col.index`: 1 + the level's
   * position among the kept levels, 0 for a missing, rare or unseen level) for a
   * `CategoryEmbedding` layer, instead of one-hot columns. They come first in the feature
   * matrix, in this order. Default none.
   */
  embed?: string[];
}

/**
 * A fitted table preprocessing, as JSON: everything needed to encode new rows exactly as the
 * training rows were (saved in a kiln run folder and reapplied by eval and predict).
 *
 * @example
 * ```ts
 * const spec: k.data.TableSpec = prep.toJSON();
 * const again = k.data.TablePreprocessor.fromJSON(spec);
 * ```
 */
export interface TableSpec {
  type: 'table';
  version: 1;
  /** The spellings of a missing cell. */
  missingValues: string[];
  /** The kind inferred (or declared) for each input column, by name. */
  kinds: Record<string, ColumnKind>;
  features: FeatureSpec[];
  /** Columns left out: dropped by the config, or dates with `dates: 'ignore'`. */
  dropped: string[];
  target: TargetSpec | null;
}

/**
 * Turns a raw CSV table (text cells) into float32 features and targets: column kinds inferred
 * (numeric, categorical, boolean, date), missing cells imputed (median / most frequent level,
 * optional indicator), categorical columns one-hot encoded (capped, with an 'other' column),
 * numeric columns standardized, the target encoded as class indices or values. Statistics are
 * fitted on the training rows only; `toJSON` / `fromJSON` carry them to new data.
 *
 * @example
 * ```ts
 * const table = await k.data.readTable('datasets/realworld/penguins.csv');
 * const prep = k.data.TablePreprocessor.fit(table, { target: 'species' }, trainRows);
 * const { x, y } = prep.transform(table);   // x float32 [344, 9], y int32 [344]
 * prep.classes;                             // ['Adelie', 'Chinstrap', 'Gentoo']
 * ```
 */
export class TablePreprocessor {
  private constructor(readonly spec: TableSpec) {}

  private get missing(): ReadonlySet<string> {
    return new Set(this.spec.missingValues);
  }

  /** The task of the target (null without one). */
  get task(): TableTask | null {
    return this.spec.target?.task ?? null;
  }

  /** Class names in index order (null unless classification). */
  get classes(): string[] | null {
    const t = this.spec.target;
    return t?.task === 'classification' ? [...t.classes] : null;
  }

  /** Names of the encoded feature columns. */
  get featureNames(): string[] {
    return featureNames(this.spec.features);
  }

  /**
   * Infers column kinds and the target from the whole table, then fits the feature statistics
   * on `trainRows` (all rows by default). Unknown column names are a `ConfigError`.
   */
  static fit(
    table: RawTable,
    options: TableOptions = {},
    trainRows?: ArrayLike<number>,
  ): TablePreprocessor {
    const missingValues = options.missingValues ?? [...DEFAULT_MISSING];
    const missing = new Set(missingValues);
    const known = (name: string, field: string) => {
      if (!table.columns.includes(name)) {
        throw new ConfigError(
          `${field}: ${JSON.stringify(name)} is not a column of ${table.name} (columns: ${showNames(table.columns)})`,
        );
      }
    };
    if (options.target !== undefined) known(options.target, 'data.target');
    for (const d of options.drop ?? []) known(d, 'data.drop');
    if (options.target !== undefined && options.drop?.includes(options.target)) {
      throw new ConfigError(`data.drop: ${JSON.stringify(options.target)} is the target`);
    }
    const maxCategories = options.maxCategories ?? 32;
    if (!Number.isInteger(maxCategories) || maxCategories < 1) {
      throw new ConfigError(`data.maxCategories: must be a positive integer, got ${maxCategories}`);
    }
    const bins = options.numericBins ?? 0;
    if (!Number.isInteger(bins) || bins < 0 || bins === 1 || bins > 256) {
      throw new ConfigError(`data.numericBins: must be an integer in 2..256, got ${bins}`);
    }
    const kinds = inferColumnKinds(table, {
      missing,
      ...(options.types ? { types: options.types } : {}),
    });
    const targetCol = options.target === undefined ? -1 : table.columns.indexOf(options.target);
    const target =
      targetCol >= 0
        ? fitTarget(table, targetCol, kinds[targetCol]!, {
            missing,
            ...(options.task ? { task: options.task } : {}),
          })
        : null;
    const dropped: string[] = [];
    const used: [number, ColumnKind][] = [];
    table.columns.forEach((name, j) => {
      if (j === targetCol) return;
      if (options.drop?.includes(name) || (kinds[j] === 'date' && options.dates === 'ignore'))
        dropped.push(name);
      else used.push([j, kinds[j]!]);
    });
    const embed = options.embed ?? [];
    for (const [i, name] of embed.entries()) {
      known(name, 'data.embed');
      const j = table.columns.indexOf(name);
      if (embed.indexOf(name) !== i)
        throw new ConfigError(`data.embed: ${JSON.stringify(name)} is listed twice`);
      if (!used.some(([u]) => u === j))
        throw new ConfigError(`data.embed: ${JSON.stringify(name)} is the target or dropped`);
      if (kinds[j] !== 'categorical')
        throw new ConfigError(
          `data.embed: ${JSON.stringify(name)} is a ${kinds[j]} column; only categorical columns are embedded`,
        );
    }
    // Embedded columns first, in the order given, so a CategoryEmbedding layer finds them.
    const rank = (j: number) => {
      const i = embed.indexOf(table.columns[j]!);
      return i < 0 ? embed.length : i;
    };
    used.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0] - b[0]);
    if (used.length === 0) {
      throw new ConfigError(`${table.name}: no feature columns left after the target and drops`);
    }
    const rows = trainRows ?? Int32Array.from({ length: table.rows.length }, (_, i) => i);
    const features = fitFeatures(table, used, rows, {
      missing,
      maxCategories,
      missingIndicator: options.missingIndicator ?? false,
      standardize: options.standardize ?? true,
      numericBins: bins,
      ...(embed.length ? { embed: new Set(embed) } : {}),
    });
    return new TablePreprocessor({
      type: 'table',
      version: 1,
      missingValues,
      kinds: Object.fromEntries(table.columns.map((c, j) => [c, kinds[j]!])),
      features,
      dropped,
      target,
    });
  }

  /** The integer class indices or float values of the target column of every row. */
  encodeTarget(table: RawTable): Int32Array | Float32Array {
    if (!this.spec.target) throw new ConfigError('TablePreprocessor: fitted without a target');
    return encodeTarget(table, this.spec.target, { missing: this.missing });
  }

  /** Whether a table has the target column (eval needs it; predict does not). */
  hasTarget(table: RawTable): boolean {
    return this.spec.target !== null && table.columns.includes(this.spec.target.column);
  }

  /**
   * Encodes every row: `x` float32 `[rows, features]`, and `y` (int32 classes or float32
   * values `[rows]`) when the table has the target column.
   */
  transform(table: RawTable): { x: Tensor; y: Tensor | null } {
    if (table.rows.length === 0) throw new DataError(`${table.name}: no data rows`);
    const data = encodeFeatures(table, this.spec.features, this.missing);
    const x = tensor(data, { shape: [table.rows.length, this.featureNames.length] });
    const y = this.hasTarget(table) ? tensor(this.encodeTarget(table)) : null;
    return { x, y };
  }

  /** The fitted preprocessing as plain JSON. */
  toJSON(): TableSpec {
    return structuredClone(this.spec);
  }

  /** Restores a preprocessing saved with `toJSON`; a malformed record is a `DataError`. */
  static fromJSON(json: TableSpec): TablePreprocessor {
    if (json?.type !== 'table' || json.version !== 1 || !Array.isArray(json.features)) {
      throw new DataError(
        'TablePreprocessor.fromJSON: not a table preprocessing record (type "table", version 1)',
      );
    }
    return new TablePreprocessor(structuredClone(json));
  }
}
