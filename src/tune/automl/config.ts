import type { TrainConfig } from '../../cli/config.js';
import type { TableOptions } from '../../data/table/preprocessor.js';
import type { Candidate } from './space.js';

/**
 * The fixed part of every config AutoML writes: the table, the task, the run's name, seed and
 * folder, and the held-out test fraction.
 *
 * @example
 * ```ts
 * const base: ConfigBase = { path: 'datasets/realworld/penguins.csv', target: 'species', task: 'classification', name: 'penguins', seed: 0, out: 'runs', testSize: 0.2 };
 * ```
 */
export interface ConfigBase {
  path: string;
  target: string;
  task: 'classification' | 'regression';
  name: string;
  seed: number;
  out: string;
  testSize: number;
}

/**
 * The table preprocessing options a candidate chooses (as `kiln train` derives them from its data section).
 *
 * @example
 * ```ts
 * candidateTableOptions(c, base); // { target, task, maxCategories, missingIndicator, ... }
 * ```
 */
export function candidateTableOptions(c: Candidate, base: ConfigBase): TableOptions {
  return {
    target: base.target,
    task: base.task,
    maxCategories: c.maxCategories,
    missingIndicator: c.missingIndicator,
    ...(c.numericBins ? { numericBins: c.numericBins } : {}),
    ...(c.drop.length ? { drop: c.drop } : {}),
    ...(c.embed?.length ? { embed: c.embed } : {}),
  };
}

/**
 * The LR schedule of a run of `maxEpochs` (the same in the search and in the refit).
 *
 * @example
 * ```ts
 * candidateSchedule(c); // { type: 'CosineAnnealingLR', tMax: 100 } or undefined
 * ```
 */
export function candidateSchedule(c: Candidate): TrainConfig['schedule'] {
  return c.schedule === 'cosine' ? { type: 'CosineAnnealingLR', tMax: c.maxEpochs } : undefined;
}

/**
 * The `kiln train` config (as plain JSON, before validation) that trains a candidate for `epochs`
 * on all training rows and tests it on the held-out split: the refit AutoML runs, and the YAML
 * it writes to reproduce it.
 *
 * @example
 * ```ts
 * validateConfig(candidateConfig(c, base, 40, 32), 'automl');
 * ```
 */
export function candidateConfig(
  c: Candidate,
  base: ConfigBase,
  epochs: number,
  batchSize: number,
): Record<string, unknown> {
  const schedule = candidateSchedule(c);
  return {
    name: base.name,
    seed: base.seed,
    task: base.task,
    data: {
      format: 'csv',
      path: base.path,
      target: base.target,
      maxCategories: c.maxCategories,
      missingIndicator: c.missingIndicator,
      ...(c.numericBins ? { numericBins: c.numericBins } : {}),
      ...(c.drop.length ? { drop: c.drop } : {}),
      ...(c.embed?.length ? { embed: c.embed } : {}),
    },
    split: { test: base.testSize },
    ...(c.standardizeTarget ? { preprocess: { standardizeTarget: true } } : {}),
    model: c.layers,
    optimizer: c.optimizer,
    loss: c.loss,
    ...(schedule ? { schedule } : {}),
    training: { epochs, batchSize },
    output: { dir: base.out },
  };
}
