import { ConfigError } from '../tensor/errors.js';

/**
 * The kind of value an option takes: `int`, `number`, `boolean`, `string` (optionally one of
 * `values`), `size` (a positive integer or a list of them, as PyTorch's `int | tuple`),
 * `size0` (the same, zero allowed), `ints`/`numbers` (lists), `layers` (nested layer configs).
 */
export type OptionType =
  | 'int'
  | 'number'
  | 'boolean'
  | 'string'
  | 'size'
  | 'size0'
  | 'ints'
  | 'numbers'
  | 'layers';

/** A JSON value an option may hold. */
export type OptionValue =
  | number
  | boolean
  | string
  | null
  | readonly OptionValue[]
  | { readonly [key: string]: OptionValue };

/**
 * One option of a configurable class (a layer, optimizer, loss, scheduler or callback): its name
 * is the key in an {@link OptionSchema}. This is the single description that validation, error
 * messages and the generated config reference all read.
 *
 * @example
 * ```ts
 * const p: k.nn.OptionSpec = { type: 'number', default: 0.5, min: 0, max: 1, description: 'drop probability' };
 * ```
 */
export interface OptionSpec {
  type: OptionType;
  /** What the option does, in one sentence. */
  description: string;
  /** The value used when it is left out; absent means required (unless `inferred`/`optional`). */
  default?: OptionValue;
  /** May be left out without a default (the class decides, e.g. "the kernel size"). */
  optional?: boolean;
  /** How the value is found when left out (e.g. "the input's last dim"). */
  inferred?: string;
  /** The allowed strings (`string` type) or extra allowed literals (e.g. 'same' for padding). */
  values?: readonly string[];
  /** `null` is allowed. */
  nullable?: boolean;
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** The lower bound is exclusive (a rate > 0). */
  exclusiveMin?: boolean;
}

/** The options of one configurable class, by name. @example `const s: k.nn.OptionSchema = { p: { type: 'number', default: 0.5, description: 'drop probability' } }` */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** Levenshtein distance (case-insensitive), for "did you mean" suggestions. @example `editDistance('lr', 'Lr') // 0` */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** snake_case and kebab-case to camelCase (`weight_decay` -> `weightDecay`). */
function camel(name: string): string {
  return name.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * `; did you mean 'X'?` for the closest known name (PyTorch's snake_case spelling of a camelCase
 * option counts as an exact match), or an empty string when none is close.
 *
 * @example
 * ```ts
 * didYouMean('weight_decay', ['lr', 'weightDecay']); // "; did you mean 'weightDecay'?"
 * ```
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const exact = known.find((k) => k.toLowerCase() === camel(name).toLowerCase());
  if (exact) return `; did you mean '${exact}'?`;
  let best = '';
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3))
    ? `; did you mean '${best}'?`
    : '';
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && Number.isSafeInteger(v);

/** Why `value` does not fit `spec`, or null when it does. */
function mismatch(value: unknown, spec: OptionSpec): string | null {
  if (value === null) return spec.nullable ? null : 'must not be null';
  if (typeof value === 'string' && spec.values?.includes(value)) return null;
  const oneOf = spec.values ? ` or one of ${spec.values.map((v) => `'${v}'`).join(', ')}` : '';
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return spec.values ? `must be one of ${spec.values.map((v) => `'${v}'`).join(', ')}` : null;
    case 'int':
      if (!isInt(value, -Number.MAX_SAFE_INTEGER)) return `must be an integer${oneOf}`;
      return range(value, spec);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `must be a finite number${oneOf}`;
      return range(value, spec);
    case 'size':
    case 'size0': {
      const min = spec.type === 'size' ? 1 : 0;
      const what = min === 1 ? 'positive' : 'non-negative';
      if (isInt(value, min)) return null;
      if (Array.isArray(value) && value.length > 0 && value.every((v) => isInt(v, min)))
        return null;
      return `must be a ${what} integer or a list of them${oneOf}`;
    }
    case 'ints':
      return Array.isArray(value) && value.every((v) => isInt(v, -Number.MAX_SAFE_INTEGER))
        ? null
        : 'must be a list of integers';
    case 'numbers':
      return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v))
        ? null
        : 'must be a list of finite numbers';
    case 'layers':
      return Array.isArray(value) && value.length > 0 ? null : 'must be a non-empty list of layers';
  }
}

function range(v: number, spec: OptionSpec): string | null {
  if (spec.min !== undefined && (spec.exclusiveMin ? v <= spec.min : v < spec.min))
    return `must be ${spec.exclusiveMin ? '>' : '>='} ${spec.min}`;
  if (spec.max !== undefined && v > spec.max) return `must be <= ${spec.max}`;
  return null;
}

/**
 * Checks a config entry against a schema: unknown keys (with a "did you mean"), wrong types and
 * out-of-range values throw one `ConfigError` line naming `where` and the option. Returns the
 * options with defaults filled in; options that are `inferred` or `optional` and left out stay
 * absent. `skip` names keys that belong to the caller (such as `type`).
 *
 * @example
 * ```ts
 * checkOptions('model.0 (Dropout)', { p: 0.2 }, schema); // { p: 0.2 }
 * checkOptions('model.0 (Dropout)', { rate: 0.2 }, schema); // throws: unknown option 'rate'
 * ```
 */
export function checkOptions(
  where: string,
  given: Readonly<Record<string, unknown>>,
  schema: OptionSchema,
  skip: readonly string[] = ['type'],
): Record<string, unknown> {
  const known = Object.keys(schema);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (skip.includes(key)) continue;
    const spec = schema[key];
    if (!spec) {
      const list = known.length ? ` (options: ${known.join(', ')})` : ' (it takes no options)';
      throw new ConfigError(`${where}: unknown option '${key}'${didYouMean(key, known)}${list}`);
    }
    if (value === undefined) continue;
    const problem = mismatch(value, spec);
    if (problem) throw new ConfigError(`${where}.${key}: ${problem}, got ${show(value)}`);
    out[key] = value;
  }
  for (const [key, spec] of Object.entries(schema)) {
    if (key in out) continue;
    if (spec.default !== undefined) out[key] = spec.default;
    else if (!spec.inferred && !spec.optional)
      throw new ConfigError(`${where}: missing required option '${key}' (${spec.description})`);
  }
  return out;
}
