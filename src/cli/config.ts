import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkOptions, didYouMean, type OptionSchema } from '../nn/config-options.js';
import { checkLayerConfig } from '../nn/registry.js';
import { ConfigError } from '../tensor/errors.js';
import { CALLBACK_OPTIONS, LOSS_OPTIONS, OPTIMIZER_OPTIONS, SCHEDULER_OPTIONS } from './options.js';

const positiveInt = z.number().int().positive();

const dataSchema = z.strictObject({
  format: z
    .enum(['mnist', 'idx', 'csv', 'sklearn', 'iris', 'diabetes'])
    .describe(
      "mnist: a folder with the four MNIST IDX files; idx: explicit IDX files; csv: a CSV file (a table with a header and a target column, or positional columns with a label); sklearn: scikit-learn's bundled-dataset layout (a metadata first line n_samples,n_features,class names, label last; or with target, a features file and a targets file); iris, diabetes: deprecated names of sklearn",
    ),
  path: z
    .string()
    .optional()
    .describe('the data file or folder (relative to the working directory)'),
  train: z
    .string()
    .optional()
    .describe('idx/csv: the training file, when train and test are separate'),
  test: z.string().optional().describe('a separate test file in the same layout'),
  trainLabels: z.string().optional().describe('idx: the training labels file'),
  testLabels: z.string().optional().describe('idx: the test labels file'),
  target: z
    .string()
    .optional()
    .describe(
      'csv tables: the column to predict (its kind decides the task); diabetes: the targets file',
    ),
  label: z
    .union([z.string(), z.number().int()])
    .optional()
    .describe('positional csv: the label column (name or index)'),
  columns: z
    .array(z.union([z.string(), z.number().int()]))
    .optional()
    .describe('positional csv: the feature columns to use (names or indices)'),
  header: z
    .union([z.boolean(), z.literal('auto')])
    .optional()
    .describe('positional csv: whether the first line is a header (default auto)'),
  delimiter: z.string().optional().describe('csv: the field separator (default ,)'),
  categorical: z
    .record(z.string(), z.enum(['index', 'onehot']))
    .optional()
    .describe('positional csv: text columns to encode, by name'),
  missing: z
    .union([z.enum(['error', 'drop']), z.strictObject({ fill: z.number() })])
    .optional()
    .describe('positional csv: what an empty cell does (error, drop the row, or { fill: value })'),
  limit: positiveInt.optional().describe('use at most this many training samples'),
  testLimit: positiveInt.optional().describe('use at most this many test samples'),
  drop: z.array(z.string()).optional().describe('tables: columns to leave out (ids, leaks)'),
  types: z
    .record(z.string(), z.enum(['numeric', 'categorical', 'boolean', 'date']))
    .optional()
    .describe('tables: column kinds that override the inferred ones'),
  maxCategories: positiveInt
    .optional()
    .describe(
      'tables: one-hot columns per categorical column before an "other" column (default 32)',
    ),
  missingIndicator: z
    .boolean()
    .optional()
    .describe('tables: add a 0/1 column marking imputed cells of each column with gaps'),
  missingValues: z
    .array(z.string())
    .optional()
    .describe('tables: cell texts that mean missing, besides the empty cell (e.g. NA, ?)'),
  dates: z
    .enum(['expand', 'ignore'])
    .optional()
    .describe(
      'tables: date columns become a year and a cyclic month (sin, cos) feature, or are left out',
    ),
  numericBins: z
    .number()
    .int()
    .min(2)
    .max(256)
    .optional()
    .describe(
      'tables: also encode each numeric column piecewise-linearly over this many quantile bins',
    ),
  embed: z
    .array(z.string())
    .optional()
    .describe(
      'tables: categorical columns encoded as one index column each (first in the features, in this order) for a CategoryEmbedding layer',
    ),
  sampling: z
    .enum(['balanced'])
    .optional()
    .describe('classification: draw training samples so classes come about equally often'),
  window: positiveInt.optional().describe('forecast: past steps the model sees'),
  horizon: positiveInt.optional().describe('forecast: steps ahead it predicts'),
  season: positiveInt
    .optional()
    .describe('forecast: the season length of the seasonal-naive baseline (e.g. 12 for months)'),
  dateFeatures: z
    .array(z.enum(['month']))
    .optional()
    .describe('forecast: calendar features added to each step'),
});

/** The loader of scikit-learn's layout: with a target file, diabetes's; else iris's. */
function sklearnShape<F extends string>(
  format: F,
  target: string | undefined,
): Exclude<F, 'sklearn'> | 'iris' | 'diabetes' {
  if (format !== 'sklearn') return format as Exclude<F, 'sklearn'>;
  return target === undefined ? 'iris' : 'diabetes';
}

const preprocessSchema = z.strictObject({
  standardize: z
    .boolean()
    .optional()
    .describe('standardize features with mean/std fitted on the training split'),
  minMax: z
    .boolean()
    .optional()
    .describe('scale features to [0, 1] with min/max fitted on the training split'),
  standardizeTarget: z
    .boolean()
    .optional()
    .describe('standardize a regression target (predictions are mapped back)'),
});

const fraction = (what: string) =>
  z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .describe(`fraction of the samples held out for ${what}, in (0, 1)`);

const splitSchema = z.strictObject({
  validation: fraction('validation (taken from the training part)'),
  test: fraction('the test (default 0.2 when the data has no test file)'),
  stratify: z
    .boolean()
    .optional()
    .describe('keep class proportions in the splits (default true for classification)'),
});

/** `{ type: Name, ...options }`: the options are checked against the named class's schema. */
const namedOptions = (what: string) =>
  z.looseObject({ type: z.string().describe(`the ${what}'s name`) });

/** One layer: `{ type: 'Linear', outFeatures: 128 }`; other keys are the layer's options. */
const layerSchema = namedOptions('layer');

const callbacksSchema = z.strictObject({
  earlyStopping: z
    .looseObject({})
    .optional()
    .describe('stop when a monitored value stops improving (options below)'),
  reduceLROnPlateau: z
    .looseObject({})
    .optional()
    .describe('divide the learning rate when a monitored value plateaus (options below)'),
  terminateOnNaN: z
    .boolean()
    .optional()
    .describe('stop (and fail) as soon as the loss is NaN or infinite (default true)'),
  checkpoint: z
    .strictObject({
      monitor: z
        .string()
        .optional()
        .describe(
          'the value that picks checkpoints/best (default val_loss, or loss without validation)',
        ),
      saveTopK: z.number().int().nonnegative().optional().describe('also keep the k best epochs'),
    })
    .optional()
    .describe('which checkpoints to keep'),
});

const positive = (what: string) => positiveInt.describe(what);

/** The schema of a `kiln train` config (YAML or JSON): every section and field, described. */
export const configSchema = z.strictObject({
  name: z
    .string()
    .max(100)
    .regex(/^(?!\.+$)[\w.-]+$/, "letters, digits, _, . and - only (and not '.' or '..')")
    .describe('the run name: runs go to <output.dir>/<name> (then <name>-2, -3...)'),
  seed: z.number().int().nonnegative().default(0).describe('seed of every random choice'),
  task: z
    .enum(['classification', 'regression', 'forecast'])
    .optional()
    .describe('what the model predicts (default: from the loss)'),
  data: dataSchema
    // `sklearn` names the layout; the loaders still know its two shapes by their old names.
    .transform((d) => ({ ...d, format: sklearnShape(d.format, d.target) }))
    .describe('where the samples come from and how to read them'),
  preprocess: preprocessSchema.default({}).describe('scaling fitted on the training split'),
  split: splitSchema.default({}).describe('how test and validation sets are split off'),
  model: z
    .array(layerSchema)
    .min(1, 'must list at least one layer')
    .describe('the layers, in order (see the layer reference)'),
  init: z
    .strictObject({
      from: z.string().min(1).describe('a .pt/.pth (torch.save) or .safetensors file of weights'),
      key: z.string().optional().describe('the checkpoint entry holding the state dict'),
      strict: z
        .boolean()
        .optional()
        .describe('require every state-dict key to match (default true)'),
    })
    .optional()
    .describe('weights the model starts from (not applied on --resume)'),
  optimizer: namedOptions('optimizer').describe('the optimizer and its options'),
  loss: z
    .union([z.string(), namedOptions('loss')])
    .describe('the loss: a name, or { type, ...options }'),
  schedule: namedOptions('scheduler')
    .extend({ interval: z.enum(['epoch', 'batch']).optional() })
    .optional()
    .describe('a learning-rate scheduler'),
  training: z
    .strictObject({
      epochs: positive('passes over the training data'),
      batchSize: positive('samples per gradient step'),
      gradClipNorm: z
        .number()
        .positive()
        .optional()
        .describe('clip the gradient norm to this value'),
      accumulateGradSteps: positive('batches whose gradients add up before a step').optional(),
      evalBatchSize: positive('samples per evaluation batch (default 500)').optional(),
    })
    .describe('the training loop'),
  metrics: z
    .array(z.string())
    .default([])
    .describe('metrics logged per epoch (accuracy, f1, rmse, mae, r2...)'),
  callbacks: callbacksSchema.default({}).describe('callbacks run during training'),
  output: z
    .strictObject({
      dir: z.string().min(1).default('runs').describe('the folder that holds run folders'),
    })
    .default({ dir: 'runs' })
    .describe('where runs are written'),
});

/** A validated training config with defaults filled in. */
export type TrainConfig = z.infer<typeof configSchema>;
/** One layer entry of a config's model list. */
export type LayerSpec = z.infer<typeof layerSchema>;

/** The field names the schema allows at `path` (for "did you mean" on unknown fields). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definitions
  let node: any = configSchema;
  for (const key of [...path, null]) {
    while (node?._zod?.def?.innerType || node?._zod?.def?.in)
      node = node._zod.def.innerType ?? node._zod.def.in;
    if (key === null) break;
    node = node?._zod?.def?.shape?.[key as string];
  }
  return node?._zod?.def?.shape ? Object.keys(node._zod.def.shape) : [];
}

/** Formats a zod issue as `field.path: message`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  let detail = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    detail = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    detail = issue.keys
      .map((k) => `unknown field '${k}'${didYouMean(k, known)}`)
      .concat(known.length ? [`(fields: ${known.join(', ')})`] : [])
      .join(' ');
  } else if (
    issue.code === 'invalid_type' &&
    issue.path.length &&
    issue.message.includes('undefined')
  ) {
    detail = 'required';
  }
  return `${path}: ${detail}`;
}

/** Checks every named entry (layers, optimizer, loss, schedule, callbacks) against its class. */
function checkEntries(config: TrainConfig): void {
  config.model.forEach((layer, i) => {
    checkLayerConfig(layer, `model.${i}`);
  });
  checkNamed(config.optimizer, 'optimizer', OPTIMIZER_OPTIONS);
  const loss = typeof config.loss === 'string' ? { type: config.loss } : config.loss;
  if ('classWeights' in loss && LOSS_OPTIONS[loss.type] && !LOSS_OPTIONS[loss.type]!.classWeights) {
    const weighted = Object.keys(LOSS_OPTIONS).filter((k) => LOSS_OPTIONS[k]!.classWeights);
    throw new ConfigError(
      `loss.classWeights: ${loss.type} takes no class weights (use ${weighted.join(', ')}; binaryCrossEntropyWithLogits has posWeight)`,
    );
  }
  checkNamed(loss, 'loss', LOSS_OPTIONS);
  if (config.schedule) checkNamed(config.schedule, 'schedule', SCHEDULER_OPTIONS);
  for (const name of ['earlyStopping', 'reduceLROnPlateau'] as const) {
    const options = config.callbacks[name];
    // Stryker disable next-line ArrayDeclaration: no callback option is named like the mutant's placeholder
    if (options) checkOptions(`callbacks.${name}`, options, CALLBACK_OPTIONS[name]!, []);
  }
}

function checkNamed(
  entry: { type: string },
  section: string,
  table: Readonly<Record<string, OptionSchema>>,
): void {
  const schema = table[entry.type];
  if (!schema) {
    const known = Object.keys(table);
    throw new ConfigError(
      `${section}.type: unknown ${section === 'schedule' ? 'scheduler' : section} '${entry.type}'${didYouMean(entry.type, known)} (known: ${known.join(', ')})`,
    );
  }
  checkOptions(`${section} (${entry.type})`, entry, schema);
}

/**
 * Validates raw config data, throwing a one-line `ConfigError` naming `source`, each bad field
 * and, for unknown names, the closest known one.
 */
export function validateConfig(raw: unknown, source: string): TrainConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue);
    throw new ConfigError(`${source}: invalid config: ${problems.join('; ')}`);
  }
  try {
    checkEntries(result.data);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${source}: invalid config: ${e.message}`);
    throw e;
  }
  return result.data;
}

/** Reads and validates a YAML or JSON config file. */
export async function loadConfig(path: string): Promise<TrainConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: cannot read the config file (does it exist?)`);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      `${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const config = validateConfig(raw, path);
  const format = (raw as { data?: { format?: unknown } }).data?.format;
  if (format === 'iris' || format === 'diabetes')
    process.stderr.write(
      `kiln: note: ${path}: data.format '${format}' is deprecated; it is scikit-learn's file layout, now named 'sklearn' (format: sklearn${format === 'diabetes' ? ' with target' : ''})\n`,
    );
  return config;
}

/**
 * Makes the config's file paths absolute (relative ones are relative to `base`, the directory
 * kiln runs in), so the run folder's config.json works from any directory later
 * (`kiln eval /abs/runs/x` from elsewhere).
 */
export function resolveConfigPaths(config: TrainConfig, base: string = process.cwd()): TrainConfig {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(base, p));
  const data = { ...config.data };
  for (const key of ['path', 'train', 'test', 'trainLabels', 'testLabels'] as const) {
    const v = abs(data[key]);
    if (v !== undefined) data[key] = v;
  }
  // Only the diabetes layout names a file in `target`; tables name a column there.
  if (data.format === 'diabetes' && data.target !== undefined) data.target = abs(data.target)!;
  return { ...config, data, output: { ...config.output, dir: abs(config.output.dir)! } };
}
