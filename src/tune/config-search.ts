/**
 * The `search:` section of a `kiln tune` config: config paths (`optimizer.lr`, `model.0.outFeatures`)
 * mapped to distributions (`{ float: [1e-4, 1e-1], log: true }`, `{ int: [16, 512] }`,
 * `{ categorical: [Adam, SGD] }`), and how a trial's values become a candidate config.
 */
import { didYouMean } from '../nn/config-options.js';
import { ConfigError, KilnError } from '../tensor/errors.js';
import {
  categoricalDistribution,
  type Distribution,
  floatDistribution,
  intDistribution,
  type ParamValue,
} from './distributions.js';
import type { Trial } from './trial.js';

/** A search space over config paths: each path (dot-separated; numbers index lists) and its distribution. */
export type ConfigSearchSpace = Readonly<Record<string, Distribution>>;

const SPEC_KEYS = ['float', 'int', 'categorical', 'log', 'step'];

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object';
}

function keysOf(c: Container): string[] {
  return Array.isArray(c) ? c.map((_, i) => String(i)) : Object.keys(c);
}

/** The container holding a path's last segment, or an error message naming the missing part. */
function parentOf(config: unknown, segments: readonly string[]): Container | string {
  let node: unknown = config;
  for (const [i, seg] of segments.slice(0, -1).entries()) {
    const at = segments.slice(0, i).join('.') || 'the config';
    if (!isContainer(node)) return `${at} is not a section or list`;
    const next = Array.isArray(node) ? node[Number(seg)] : node[seg];
    if (next === undefined || (Array.isArray(node) && !/^\d+$/.test(seg))) {
      const known = keysOf(node);
      const hint = Array.isArray(node)
        ? ` (it has ${node.length} entries, 0 to ${node.length - 1})`
        : didYouMean(seg, known);
      return `${at} has no '${seg}'${hint}`;
    }
    node = next;
  }
  return isContainer(node) ? node : `${segments.slice(0, -1).join('.')} is not a section or list`;
}

/** The value at a dot path of a raw config, or undefined when any part is missing. */
export function getConfigPath(config: unknown, path: string): unknown {
  let node: unknown = config;
  for (const seg of path.split('.')) {
    if (!isContainer(node)) return undefined;
    node = Array.isArray(node) ? node[Number(seg)] : node[seg];
  }
  return node;
}

/** A copy of the raw config with each path set to its value (paths checked by parseSearch). */
export function applyParams(
  config: unknown,
  params: Readonly<Record<string, ParamValue>>,
): Record<string, unknown> {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const [path, value] of Object.entries(params)) {
    const segments = path.split('.');
    const parent = parentOf(copy, segments);
    if (typeof parent === 'string') throw new ConfigError(`search.${path}: ${parent}`);
    const last = segments.at(-1)!;
    if (Array.isArray(parent)) parent[Number(last)] = value;
    else parent[last] = value;
  }
  return copy;
}

function rangeOf(spec: Record<string, unknown>, kind: 'float' | 'int'): [number, number] {
  const range = spec[kind];
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !range.every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    throw new KilnError(`${kind} must be a range [low, high] of two numbers`);
  }
  const [low, high] = range as [number, number];
  if (!(low < high)) throw new KilnError(`${kind}: low must be below high, got [${low}, ${high}]`);
  return [low, high];
}

/** One `search:` entry as a distribution; throws a KilnError with the problem. */
function parseSpec(spec: unknown): Distribution {
  if (!isContainer(spec) || Array.isArray(spec)) {
    throw new KilnError(
      'expected { float: [low, high] } , { int: [low, high] } or { categorical: [choices] }',
    );
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(key))
      throw new KilnError(
        `unknown field '${key}'${didYouMean(key, SPEC_KEYS)} (fields: ${SPEC_KEYS.join(', ')})`,
      );
  }
  const kinds = ['float', 'int', 'categorical'].filter((k) => k in spec);
  if (kinds.length !== 1)
    throw new KilnError(
      `needs exactly one of float, int, categorical${kinds.length ? ` (got ${kinds.join(' and ')})` : ''}`,
    );
  const kind = kinds[0]!;
  const log = spec.log ?? false;
  if (typeof log !== 'boolean') throw new KilnError(`log must be true or false, got ${log}`);
  const step = spec.step;
  if (step !== undefined && (typeof step !== 'number' || !(step > 0)))
    throw new KilnError(`step must be a positive number, got ${JSON.stringify(step)}`);
  if (kind === 'categorical') {
    if ('log' in spec || 'step' in spec)
      throw new KilnError('log and step apply to float and int ranges, not categorical');
    const choices = spec.categorical;
    if (!Array.isArray(choices)) throw new KilnError('categorical must be a list of choices');
    const seen = new Set(choices.map((c) => JSON.stringify(c)));
    if (seen.size !== choices.length) throw new KilnError('categorical lists a choice twice');
    return categoricalDistribution('categorical', choices as ParamValue[]);
  }
  const [low, high] = rangeOf(spec, kind as 'float' | 'int');
  try {
    return kind === 'float'
      ? floatDistribution('float', low, high, log, (step as number | undefined) ?? null)
      : intDistribution('int', low, high, log, (step as number | undefined) ?? 1);
  } catch (e) {
    throw new KilnError((e as Error).message);
  }
}

/**
 * Reads and checks a `search:` section against the raw training config it searches: every entry
 * must be a valid distribution and its path must lead into the config (numbers index lists; the
 * last key may be a field the config leaves at its default, which validating candidates checks).
 * Throws a one-line ConfigError naming `source` and the entry.
 *
 * @example
 * ```ts
 * const space = parseSearch({ 'optimizer.lr': { float: [1e-4, 1e-1], log: true } }, config, 'tune.yaml');
 * ```
 */
export function parseSearch(raw: unknown, config: unknown, source: string): ConfigSearchSpace {
  if (!isContainer(raw) || Array.isArray(raw) || Object.keys(raw).length === 0) {
    throw new ConfigError(
      `${source}: search: must map config paths to distributions, e.g. optimizer.lr: { float: [1.0e-4, 1.0e-1], log: true }`,
    );
  }
  const space: Record<string, Distribution> = {};
  const paths = Object.keys(raw);
  for (const path of paths) {
    const where = `${source}: search.${path}`;
    const segments = path.split('.');
    if (segments.some((s) => s === ''))
      throw new ConfigError(`${where}: not a config path (use dots between fields: optimizer.lr)`);
    if (['name', 'output'].includes(segments[0]!))
      throw new ConfigError(`${where}: ${segments[0]} is not a hyperparameter`);
    const inside = paths.find((p) => p !== path && p.startsWith(`${path}.`));
    if (inside) throw new ConfigError(`${where}: also searched inside it (search.${inside})`);
    const parent = parentOf(config, segments);
    if (typeof parent === 'string') throw new ConfigError(`${where}: ${parent}`);
    const last = segments.at(-1)!;
    if (Array.isArray(parent) && !(/^\d+$/.test(last) && Number(last) < parent.length))
      throw new ConfigError(
        `${where}: ${segments.slice(0, -1).join('.')} has no entry ${last} (0 to ${parent.length - 1})`,
      );
    const current = Array.isArray(parent) ? parent[Number(last)] : parent[last];
    if (isContainer(current))
      throw new ConfigError(
        `${where}: is a section or list; search one of its values (${keysOf(current)
          .slice(0, 4)
          .map((k) => `${path}.${k}`)
          .join(', ')})`,
      );
    try {
      space[path] = parseSpec((raw as Record<string, unknown>)[path]);
    } catch (e) {
      if (e instanceof KilnError) throw new ConfigError(`${where}: ${e.message}`);
      throw e;
    }
  }
  return space;
}

/** Draws every parameter of the space for a trial (in the order the config lists them). */
export function suggestConfigParams(
  trial: Trial,
  space: ConfigSearchSpace,
): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = {};
  for (const [path, d] of Object.entries(space)) {
    if (d.type === 'categorical') params[path] = trial.suggestCategorical(path, d.choices);
    else if (d.type === 'int')
      params[path] = trial.suggestInt(path, d.low, d.high, { log: d.log, step: d.step });
    else
      params[path] = trial.suggestFloat(path, d.low, d.high, {
        log: d.log,
        ...(d.step !== null ? { step: d.step } : {}),
      });
  }
  return params;
}

/**
 * The candidates that check a search space before any trial runs: for each path, one candidate
 * per choice (categorical) or per end of the range (and a value inside a float range), the other paths at their first value. Each
 * names the value it tries. Validating these catches a wrong type, a bad option name or an
 * invalid combination at once instead of in every trial.
 */
export function cornerParams(
  space: ConfigSearchSpace,
): { label: string; params: Record<string, ParamValue> }[] {
  const first = (d: Distribution): ParamValue => (d.type === 'categorical' ? d.choices[0]! : d.low);
  const base = Object.fromEntries(Object.entries(space).map(([p, d]) => [p, first(d)]));
  const out: { label: string; params: Record<string, ParamValue> }[] = [];
  for (const [path, d] of Object.entries(space)) {
    // A float range also tries a value inside, off any integer (an int field searched as float).
    const inner = d.type === 'float' && d.step === null ? [d.low + (d.high - d.low) * 0.3183] : [];
    const values = d.type === 'categorical' ? d.choices : [d.low, d.high, ...inner];
    for (const v of values)
      out.push({ label: `${path} = ${JSON.stringify(v)}`, params: { ...base, [path]: v } });
  }
  return out;
}

/** The values a grid search takes per path: the choices, or every step of a stepped range. */
export function gridValues(space: ConfigSearchSpace, source: string): Record<string, ParamValue[]> {
  const grid: Record<string, ParamValue[]> = {};
  for (const [path, d] of Object.entries(space)) {
    if (d.type === 'categorical') grid[path] = [...d.choices];
    else if (d.type === 'int' || d.step !== null) {
      const step = d.step as number;
      const n = Math.round((d.high - d.low) / step) + 1;
      if (n > 10_000)
        throw new ConfigError(`${source}: search.${path}: ${n} grid points; use a larger step`);
      grid[path] = Array.from({ length: n }, (_, i) => Number((d.low + i * step).toPrecision(12)));
    } else {
      throw new ConfigError(
        `${source}: search.${path}: the grid sampler needs a step for float ranges (or a categorical list)`,
      );
    }
  }
  return grid;
}
