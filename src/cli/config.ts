import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../tensor/errors.js';

const positiveInt = z.number().int().positive();

/** One layer: `{ type: 'Linear', outFeatures: 128 }`; other keys are the layer's options. */
const layerSchema = z.looseObject({ type: z.string() });

const dataSchema = z.strictObject({
  /** mnist: a folder with the four IDX files; idx: explicit files; csv: a CSV table. */
  format: z.enum(['mnist', 'idx', 'csv', 'iris', 'diabetes']),
  path: z.string().optional(),
  train: z.string().optional(),
  test: z.string().optional(),
  trainLabels: z.string().optional(),
  testLabels: z.string().optional(),
  target: z.string().optional(),
  label: z.union([z.string(), z.number().int()]).optional(),
  columns: z.array(z.union([z.string(), z.number().int()])).optional(),
  header: z.union([z.boolean(), z.literal('auto')]).optional(),
  delimiter: z.string().optional(),
  categorical: z.record(z.string(), z.enum(['index', 'onehot'])).optional(),
  missing: z.union([z.enum(['error', 'drop']), z.strictObject({ fill: z.number() })]).optional(),
  limit: positiveInt.optional(),
  testLimit: positiveInt.optional(),
  /** Tables (format csv with a target column name): see src/cli/table-data.ts. */
  drop: z.array(z.string()).optional(),
  types: z.record(z.string(), z.enum(['numeric', 'categorical', 'boolean', 'date'])).optional(),
  maxCategories: positiveInt.optional(),
  missingIndicator: z.boolean().optional(),
  missingValues: z.array(z.string()).optional(),
  dates: z.enum(['expand', 'ignore']).optional(),
  sampling: z.enum(['balanced']).optional(),
  /** Forecasting (task: forecast): see src/cli/forecast-data.ts. */
  window: positiveInt.optional(),
  horizon: positiveInt.optional(),
  season: positiveInt.optional(),
  dateFeatures: z.array(z.enum(['month'])).optional(),
});

const preprocessSchema = z.strictObject({
  /** Standardize features with mean/std fitted on the training split. */
  standardize: z.boolean().optional(),
  /** Scale features to [0, 1] with min/max fitted on the training split. */
  minMax: z.boolean().optional(),
  /** Standardize a regression target (predictions are mapped back). */
  standardizeTarget: z.boolean().optional(),
});

const splitSchema = z.strictObject({
  validation: z.number().gt(0).lt(1).optional(),
  test: z.number().gt(0).lt(1).optional(),
  stratify: z.boolean().optional(),
});

const namedOptions = z.looseObject({ type: z.string() });

const callbacksSchema = z.strictObject({
  earlyStopping: z.looseObject({}).optional(),
  reduceLROnPlateau: z.looseObject({}).optional(),
  terminateOnNaN: z.boolean().optional(),
  checkpoint: z
    .strictObject({
      monitor: z.string().optional(),
      saveTopK: z.number().int().nonnegative().optional(),
    })
    .optional(),
});

/** The schema of a `kiln train` config (YAML or JSON). */
export const configSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]+$/, 'letters, digits, _, . and - only'),
  seed: z.number().int().nonnegative().default(0),
  task: z.enum(['classification', 'regression', 'forecast']).optional(),
  data: dataSchema,
  preprocess: preprocessSchema.default({}),
  split: splitSchema.default({}),
  model: z.array(layerSchema).min(1),
  optimizer: namedOptions,
  loss: z.union([z.string(), namedOptions]),
  schedule: namedOptions.extend({ interval: z.enum(['epoch', 'batch']).optional() }).optional(),
  training: z.strictObject({
    epochs: positiveInt,
    batchSize: positiveInt,
    gradClipNorm: z.number().positive().optional(),
    accumulateGradSteps: positiveInt.optional(),
    evalBatchSize: positiveInt.optional(),
  }),
  metrics: z.array(z.string()).default([]),
  callbacks: callbacksSchema.default({}),
  output: z.strictObject({ dir: z.string().default('runs') }).default({ dir: 'runs' }),
});

/** A validated training config with defaults filled in. */
export type TrainConfig = z.infer<typeof configSchema>;
/** One layer entry of a config's model list. */
export type LayerSpec = z.infer<typeof layerSchema>;

/** Formats a zod issue as `field.path: message (allowed: ...)`. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  let detail = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    detail = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (issue.code === 'unrecognized_keys') {
    detail = `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  }
  return `${path}: ${detail}`;
}

/** Validates raw config data, throwing a `ConfigError` that lists every bad field. */
export function validateConfig(raw: unknown, source: string): TrainConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map(describeIssue);
    throw new ConfigError(`${source}: invalid config:\n  ${lines.join('\n  ')}`);
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
  return validateConfig(raw, path);
}
