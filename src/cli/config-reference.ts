/**
 * The config reference (docs/config.md), generated from the schema that validates configs and
 * from the option tables of every layer, optimizer, loss, scheduler and callback, so the
 * documentation cannot drift from what `kiln train` accepts (a test compares the file with this
 * output; `npm run docs:config` rewrites it).
 */
import { readdirSync } from 'node:fs';
import { z } from 'zod';
import type { OptionSchema, OptionSpec, OptionValue } from '../nn/config-options.js';
import { describeLayers } from '../nn/registry.js';
import { tuneSchema } from './commands/tune-config.js';
import { configSchema } from './config.js';
import { CALLBACK_OPTIONS, LOSS_OPTIONS, OPTIMIZER_OPTIONS, SCHEDULER_OPTIONS } from './options.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' | ');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object')
    return s.properties ? 'object' : `map of ${typeOf(s.additionalProperties)}`;
  const bounds: string[] = [];
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER)
    bounds.push(`>= ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER)
    bounds.push(`<= ${s.maximum}`);
  const base = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  return bounds.length ? `${base} (${bounds.join(', ')})` : base;
}

function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) return `\`${JSON.stringify(s.default)}\``;
  return required ? 'required' : '';
}

/** Rows for one object section: every field with its type, default and meaning. */
function fieldRows(prefix: string, s: JsonSchema): string[] {
  const rows: string[] = [];
  const required = new Set(s.required ?? []);
  for (const [name, field] of Object.entries(s.properties ?? {})) {
    rows.push(
      `| \`${prefix}${name}\` | ${cell(typeOf(field))} | ${defaultOf(field, required.has(name))} | ${cell(field.description ?? '')} |`,
    );
    if (field.properties) rows.push(...fieldRows(`${prefix}${name}.`, field));
  }
  return rows;
}

function optionType(o: OptionSpec): string {
  const bounds: string[] = [];
  if (o.min !== undefined) bounds.push(`${o.exclusiveMin ? '>' : '>='} ${o.min}`);
  if (o.max !== undefined) bounds.push(`<= ${o.max}`);
  let t: string = o.type;
  if (o.type === 'string' && o.values) t = o.values.map((v) => `\`${v}\``).join(', ');
  else if (o.values) t += ` or ${o.values.map((v) => `\`${v}\``).join(', ')}`;
  if (o.nullable) t += ' or null';
  return bounds.length ? `${t} (${bounds.join(', ')})` : t;
}

function optionDefault(o: OptionSpec): string {
  if (o.default !== undefined) return `\`${JSON.stringify(o.default as OptionValue)}\``;
  if (o.inferred) return `inferred: ${o.inferred}`;
  return o.optional ? '' : 'required';
}

function optionTable(options: OptionSchema, skip: readonly string[] = ['type']): string[] {
  const names = Object.keys(options).filter((n) => !skip.includes(n));
  if (names.length === 0) return ['No options.', ''];
  return [
    '| option | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...names.map((n) => {
      const o = options[n]!;
      return `| \`${n}\` | ${cell(optionType(o))} | ${cell(optionDefault(o))} | ${cell(o.description)} |`;
    }),
    '',
  ];
}

function namedTables(title: string, table: Readonly<Record<string, OptionSchema>>): string[] {
  const out = [`## ${title}`, ''];
  for (const [name, options] of Object.entries(table))
    out.push(`### ${name}`, '', ...optionTable(options));
  return out;
}

/**
 * The whole config reference as Markdown.
 *
 * @example
 * ```ts
 * writeFileSync('docs/config.md', configReference('examples'));
 * ```
 */
export function configReference(examplesDir = 'examples'): string {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const props = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const examples = readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const out: string[] = [
    '# Config reference',
    '',
    '<!-- Generated from src/cli/config.ts, src/cli/options.ts and the layer registry by',
    '     `npm run docs:config`; a test fails when this file differs from the generator. -->',
    '',
    'A `kiln train` config is a YAML (or JSON) file. Every field is checked: an unknown field, a',
    'wrong type or an option the named class does not take stops with one line naming the file and',
    'the field, with the closest known name (`weight_decay` -> `weightDecay`).',
    '',
    `Example configs: ${examples.map((f) => `[${f}](../${examplesDir}/${f})`).join(', ')}.`,
    '',
    '## Top-level fields',
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
  ];
  for (const [name, field] of Object.entries(props)) {
    out.push(
      `| \`${name}\` | ${cell(field.properties ? 'section' : typeOf(field))} | ${field.properties ? '' : defaultOf(field, required.has(name))} | ${cell(field.description ?? '')} |`,
    );
  }
  out.push('');
  for (const [name, field] of Object.entries(props)) {
    const objectSchema = field.properties ? field : field.anyOf?.find((a) => a.properties);
    if (!objectSchema?.properties || name === 'optimizer' || name === 'schedule') continue;
    if (name === 'loss') continue;
    out.push(
      `## \`${name}\``,
      '',
      cell(field.description ?? ''),
      '',
      '| field | type | default | meaning |',
      '| --- | --- | --- | --- |',
      ...fieldRows(`${name}.`, objectSchema),
      '',
    );
  }
  out.push(
    '## `model`: layers',
    '',
    'Each entry is `{ type: <Layer>, ...options }`. Sizes marked "inferred" are taken from the data',
    'or the previous layer. A run folder stores the complete layer configs (model.json), so it can',
    'be rebuilt without the YAML.',
    '',
  );
  for (const layer of describeLayers()) {
    out.push(
      `### ${layer.type}`,
      '',
      cell(layer.description),
      '',
      ...optionTable(layer.options, []),
    );
  }
  out.push(
    '## `optimizer`',
    '',
    "`{ type: <Optimizer>, ...options }` with PyTorch's keyword names in camelCase.",
    '',
    ...namedTables('Optimizers', OPTIMIZER_OPTIONS).slice(2),
    '## `loss`',
    '',
    'A name (`crossEntropy`) or `{ type: <loss>, ...options }`.',
    '',
    ...namedTables('Losses', LOSS_OPTIONS).slice(2),
    '## `schedule`',
    '',
    '`{ type: <Scheduler>, interval: epoch | batch, ...options }`: a learning-rate scheduler stepped',
    'every epoch (default) or every batch.',
    '',
    ...namedTables('Schedulers', SCHEDULER_OPTIONS).slice(2),
    '## Callback options',
    '',
    ...namedTables('Callbacks', CALLBACK_OPTIONS).slice(2),
    ...tuneSections(),
  );
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** TPESampler's options a config can set (all but the function-valued gamma and weights). */
const TPE_OPTIONS: readonly (readonly [string, string, string])[] = [
  ['seed', 'the config seed', "seed of the sampler's generator"],
  ['nStartupTrials', '`10`', 'trials drawn without the model before TPE starts'],
  [
    'startup',
    '`halton`',
    'how those trials are drawn: `halton` (a seeded scrambled Halton sequence, even coverage) or `random` (independent uniform draws, as Optuna)',
  ],
  [
    'nEiCandidates',
    '24 per jointly sampled parameter, at most 128',
    'candidates drawn from the good estimator per suggestion, the one with the largest good/bad density ratio taken (Optuna: 24); falls back toward 24 in long studies to bound the cost',
  ],
  ['multivariate', '`true`', 'model the parameters jointly rather than one at a time'],
  [
    'group',
    '`true`',
    'with multivariate, draw each group of parameters that always occur together jointly (a branch of a conditional space, from the trials that took it, when the trial enters it); `false`: only the parameters every trial has jointly, the rest one at a time (as Optuna)',
  ],
  ['constantLiar', '`true`', 'count running trials as bad ones, so parallel workers spread out'],
  ['priorWeight', '`1`', 'weight of the prior kernel (as wide as the range)'],
  [
    'considerMagicClip',
    '`true`',
    'floor each kernel width at range / (1 + count), see magicClipCount',
  ],
  [
    'magicClipCount',
    '`study`',
    "the count that floor divides by for the good estimator: `study` (its kernels or (n + 1)^min(1, 4/d) for n finished trials and d numeric parameters, whichever is larger, so it narrows as the study grows in few dimensions; Optuna's while trials run in parallel) or `kernels` (its own kernels, as Optuna)",
  ],
  [
    'goodWeights',
    '`improvement`',
    "weights of the good trials' kernels: `improvement` (each by how far it beats the best bad trial, the prior by priorWeight times their mean, so the ratio follows expected improvement) or `weights` (the age ramp of Optuna, which the bad trials always use)",
  ],
  ['considerEndpoints', '`false`', 'let the outermost kernels reach the range ends'],
];

/** The two sections only `kiln tune` reads: `search:` and `tune:`. */
function tuneSections(): string[] {
  const schema = z.toJSONSchema(tuneSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return [
    '## `kiln tune`: `search` and `tune`',
    '',
    'A tuning config is a training config plus these two sections (`kiln train` rejects them). See',
    '[examples/iris-tune.yaml](../examples/iris-tune.yaml).',
    '',
    '`search` maps config paths to distributions. A path is fields joined by dots; a number indexes a',
    "list (`model.0.outFeatures` is the first layer's). The path must lead into the config; its last",
    'field may be one the config leaves at its default (`optimizer.weightDecay`). Before any trial,',
    'candidates at the ends of each range and with each choice are checked by the config validator.',
    '',
    '| distribution | meaning |',
    '| --- | --- |',
    '| `{ float: [low, high] }` | a float in [low, high]; `log: true` samples on a log scale (low > 0), `step: s` on the grid low, low + s, ... |',
    '| `{ int: [low, high] }` | an integer; `log: true` (low >= 1) or `step: s` |',
    '| `{ categorical: [a, b, ...] }` | one of the values (numbers, strings, booleans, null) |',
    '',
    '| field | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...fieldRows('tune.', schema),
    '',
    'Sampler options (camelCase, as the `k.tune` classes). tpe (`k.tune.TPESampler`):',
    '',
    '| tpe option | default | meaning |',
    '| --- | --- | --- |',
    ...TPE_OPTIONS.map(([name, def, meaning]) => `| \`${name}\` | ${def} | ${meaning} |`),
    '',
    'random and grid `seed` (grid needs steps on float ranges); cmaes `seed`,',
    '`sigma0`, `popsize`, `nStartupTrials`, `restartStrategy`, `incPopsize`. Pruner options: median',
    '`nStartupTrials`, `nWarmupSteps`, `intervalSteps`, `nMinTrials`; percentile `percentile` and the',
    'same; asha (SuccessiveHalvingPruner) `minResource`, `reductionFactor`, `minEarlyStoppingRate`,',
    '`bootstrapCount`; hyperband `minResource`, `maxResource`, `reductionFactor`, `bootstrapCount`.',
    'The step a pruner sees is the epoch.',
  ];
}
