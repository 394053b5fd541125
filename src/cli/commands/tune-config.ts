/**
 * A `kiln tune` config: a `kiln train` config plus `search:` (what to tune) and `tune:` (how).
 * `kiln train` itself rejects those two sections (its schema is strict), so a tuning config is
 * never trained by mistake as if it were the tuned one; the best config `kiln tune` writes is a
 * plain training config.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { didYouMean } from '../../nn/config-options.js';
import { ConfigError, KilnError } from '../../tensor/errors.js';
import {
  applyParams,
  type ConfigSearchSpace,
  cornerParams,
  gridValues,
  parseSearch,
} from '../../tune/config-search.js';
import type { StudyDirection } from '../../tune/frozen-trial.js';
import { HyperbandPruner } from '../../tune/pruners/hyperband.js';
import { MedianPruner, PercentilePruner } from '../../tune/pruners/percentile.js';
import { SuccessiveHalvingPruner } from '../../tune/pruners/successive-halving.js';
import { CmaEsSampler } from '../../tune/samplers/cmaes.js';
import { GridSampler } from '../../tune/samplers/grid.js';
import { RandomSampler } from '../../tune/samplers/random.js';
import { TPESampler } from '../../tune/samplers/tpe/sampler.js';
import { NopPruner, type Pruner, type Sampler } from '../../tune/view.js';
import { type TrainConfig, validateConfig } from '../config.js';

const SAMPLERS = ['tpe', 'random', 'grid', 'cmaes'] as const;
const PRUNERS = ['none', 'median', 'percentile', 'asha', 'hyperband'] as const;

const named = <T extends readonly [string, ...string[]]>(names: T, what: string) =>
  z
    .union([z.enum(names), z.looseObject({ type: z.enum(names) })])
    .describe(
      `${what}: a name (${names.join(', ')}) or { type, ...options } with the class's options in camelCase`,
    );

/** The schema of the `tune:` section. */
export const tuneSchema = z.strictObject({
  trials: z
    .number()
    .int()
    .positive()
    .default(20)
    .describe(
      'trials the study runs in all, counting earlier runs and other workers (trials cut off by a crash are run again)',
    ),
  timeout: z
    .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?\s*[smh]$/, 'like 90s, 10m, 2h')])
    .optional()
    .describe('no new trial starts after this long (seconds, or 90s, 10m, 2h)'),
  metric: z
    .string()
    .regex(/^val_\w+$/, 'a validation value: val_loss or val_<metric>')
    .default('val_loss')
    .describe('the value each trial is scored by, on the validation split, at its last epoch'),
  direction: z
    .enum(['minimize', 'maximize'])
    .optional()
    .describe('whether smaller or larger is better (default: from the metric)'),
  sampler: named(SAMPLERS, 'the sampler (default tpe, seeded by the config seed)').optional(),
  pruner: named(PRUNERS, 'the pruner (default none; asha = successive halving)').optional(),
  workers: z
    .number()
    .int()
    .positive()
    .max(64)
    .default(1)
    .describe('trials run at once on this machine, each in its own process'),
  study: z
    .string()
    .max(100)
    .regex(/^(?!\.+$)[\w.-]+$/, "letters, digits, _, . and - only (and not '.' or '..')")
    .optional()
    .describe('the study name (default: the config name); the same name continues the study'),
  store: z
    .string()
    .min(1)
    .optional()
    .describe(
      'SQLite file or postgresql:// URL of the study (default: as kiln train, KILN_STORE else <output.dir>/kiln.db)',
    ),
});

type TuneSection = z.infer<typeof tuneSchema>;

/** A loaded `kiln tune` config. */
export interface TuneConfig {
  file: string;
  /** The training part as written (no defaults filled in): candidates are built from it. */
  raw: Record<string, unknown>;
  /** The training part, validated. */
  base: TrainConfig;
  space: ConfigSearchSpace;
  tune: Omit<TuneSection, 'timeout' | 'study'> & {
    timeout: number | undefined;
    direction: StudyDirection;
    study: string;
  };
  /** Set when the config had no validation split and kiln tune added one. */
  addedValidation: boolean;
}

const MAXIMIZED = /(accuracy|f1|r2|auc|precision|recall)$/;
const MINIMIZED = /(loss|rmse|mse|mae|mape)$/;

function seconds(t: number | string | undefined): number | undefined {
  if (t === undefined || typeof t === 'number') return t;
  const unit = t.trim().slice(-1);
  return Number.parseFloat(t) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
}

function describeTuneIssue(issue: z.core.$ZodIssue): string {
  const path = `tune${issue.path.length ? `.${issue.path.join('.')}` : ''}`;
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(tuneSchema.shape);
    return `${path}: ${issue.keys.map((k) => `unknown field '${k}'${didYouMean(k, known)}`).join(' ')} (fields: ${known.join(', ')})`;
  }
  if (issue.code === 'invalid_union' && issue.path.length === 1) {
    const list = issue.path[0] === 'sampler' ? SAMPLERS : PRUNERS;
    return `${path}: must be one of ${list.join(', ')} (or { type, ...options })`;
  }
  return `${path}: ${issue.message}`;
}

/** Reads, splits and checks a `kiln tune` config; every problem is one line naming file and field. */
export async function loadTuneConfig(file: string): Promise<TuneConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`${file}: cannot read the config file (does it exist?)`);
  }
  let doc: unknown;
  try {
    doc = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file}: not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: a config must be a mapping of sections`);
  const { search, tune: tuneRaw, ...rest } = doc as Record<string, unknown>;
  if (search === undefined)
    throw new ConfigError(
      `${file}: search: required: the config paths to tune, e.g. optimizer.lr: { float: [1.0e-4, 1.0e-1], log: true }`,
    );
  let raw = rest;
  let addedValidation = false;
  const split = (raw.split ?? {}) as Record<string, unknown>;
  if (split !== null && typeof split === 'object' && split.validation === undefined) {
    // Trials are scored on a validation split, never on the test split.
    raw = { ...raw, split: { ...split, validation: 0.2 } };
    addedValidation = true;
  }
  const base = validateConfig(raw, file);
  const space = parseSearch(search, raw, file);
  const parsed = tuneSchema.safeParse(tuneRaw ?? {});
  if (!parsed.success)
    throw new ConfigError(`${file}: ${parsed.error.issues.map(describeTuneIssue).join('; ')}`);
  const t = parsed.data;
  const direction = t.direction ?? defaultDirection(t.metric, file);
  for (const { label, params } of cornerParams(space)) {
    validateConfig(applyParams(raw, params), `${file}: search ${label}`);
  }
  return {
    file,
    raw,
    base,
    space,
    tune: { ...t, timeout: seconds(t.timeout), direction, study: t.study ?? base.name },
    addedValidation,
  };
}

function defaultDirection(metric: string, file: string): StudyDirection {
  if (MINIMIZED.test(metric)) return 'minimize';
  if (MAXIMIZED.test(metric)) return 'maximize';
  throw new ConfigError(
    `${file}: tune.direction: required for metric '${metric}' (minimize or maximize)`,
  );
}

type Options = Record<string, unknown>;

function split(entry: string | { type: string } | undefined, fallback: string): [string, Options] {
  if (entry === undefined) return [fallback, {}];
  if (typeof entry === 'string') return [entry, {}];
  const { type, ...options } = entry as Options & { type: string };
  return [type, options];
}

/** Constructor errors (unknown or bad options) become one line naming the file and field. */
function build<T>(file: string, field: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof KilnError) throw new ConfigError(`${file}: tune.${field}: ${e.message}`);
    throw e;
  }
}

/**
 * The sampler of a tuning config, seeded by `seed` (default: the config's seed). Each process
 * makes its own, offset by its first trial's number: processes sharing a study (and a resumed
 * study) draw different values, while a fresh single-process run is reproducible.
 */
export function makeSampler(config: TuneConfig): Sampler {
  const [type, options] = split(config.tune.sampler, 'tpe');
  const seed = typeof options.seed === 'number' ? options.seed : config.base.seed;
  const make = (offset: number): Sampler =>
    build(config.file, 'sampler', () => {
      const o = { ...options, seed: (seed + offset * 7919) >>> 0 };
      if (type === 'random') return new RandomSampler(o);
      if (type === 'grid') return new GridSampler(gridValues(config.space, config.file), o);
      if (type === 'cmaes') return new CmaEsSampler(o);
      return new TPESampler(o);
    });
  make(0); // options are checked now, not at the first trial
  return new OffsetSeeded(make);
}

/** A sampler made at the first trial of this process, seeded by that trial's number. */
class OffsetSeeded implements Sampler {
  private inner: Sampler | null = null;

  constructor(private readonly make: (offset: number) => Sampler) {}

  private get sampler(): Sampler {
    this.inner ??= this.make(0);
    return this.inner;
  }

  beforeTrial(...args: Parameters<NonNullable<Sampler['beforeTrial']>>): void {
    this.inner ??= this.make(args[1].number);
    this.inner.beforeTrial?.(...args);
  }

  inferRelativeSearchSpace(...args: Parameters<Sampler['inferRelativeSearchSpace']>) {
    return this.sampler.inferRelativeSearchSpace(...args);
  }

  sampleRelative(...args: Parameters<Sampler['sampleRelative']>) {
    return this.sampler.sampleRelative(...args);
  }

  sampleIndependent(...args: Parameters<Sampler['sampleIndependent']>) {
    return this.sampler.sampleIndependent(...args);
  }

  afterTrial(...args: Parameters<NonNullable<Sampler['afterTrial']>>): void {
    this.sampler.afterTrial?.(...args);
  }
}

/** The pruner of a tuning config (none by default). */
export function makePruner(config: TuneConfig): Pruner {
  const [type, options] = split(config.tune.pruner, 'none');
  return build(config.file, 'pruner', () => {
    if (type === 'median') return new MedianPruner(options);
    if (type === 'percentile') {
      const { percentile, ...rest } = options;
      if (typeof percentile !== 'number')
        throw new KilnError('percentile: required, a number in [0, 100]');
      return new PercentilePruner(percentile, rest);
    }
    if (type === 'asha') return new SuccessiveHalvingPruner(options);
    if (type === 'hyperband') return new HyperbandPruner(options);
    if (Object.keys(options).length)
      throw new KilnError(`the pruner 'none' takes no options (got ${Object.keys(options)})`);
    return new NopPruner();
  });
}

/** Names of the sampler and pruner, for the progress header. */
export function strategyNames(config: TuneConfig): { sampler: string; pruner: string } {
  return {
    sampler: split(config.tune.sampler, 'tpe')[0],
    pruner: split(config.tune.pruner, 'none')[0],
  };
}
