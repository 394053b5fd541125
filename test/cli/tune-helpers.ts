// A small iris tuning config for the kiln tune tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './helpers.js';

let files = 0;

/** A small iris tuning config (3 epochs) written to a temp file; `edit` changes the document. */
export function irisTuneConfig(
  dir: string,
  edit: (doc: Record<string, unknown>) => void = () => undefined,
): string {
  const doc: Record<string, unknown> = {
    name: 'iris-t',
    seed: 0,
    data: { format: 'sklearn', path: join(ROOT, 'datasets', 'iris', 'iris.csv') },
    split: { test: 0.2, validation: 0.2 },
    preprocess: { standardize: true },
    model: [
      { type: 'Linear', outFeatures: 8 },
      { type: 'ReLU' },
      { type: 'Linear', outFeatures: 3 },
    ],
    optimizer: { type: 'Adam', lr: 0.01 },
    loss: 'crossEntropy',
    training: { epochs: 3, batchSize: 16 },
    metrics: ['accuracy'],
    output: { dir: join(dir, 'runs') },
    search: {
      'optimizer.lr': { float: [1e-3, 1e-1], log: true },
      'model.0.outFeatures': { int: [4, 32], log: true },
      'optimizer.type': { categorical: ['Adam', 'SGD'] },
    },
    tune: { trials: 4, metric: 'val_accuracy', sampler: { type: 'random', seed: 1 } },
  };
  edit(doc);
  const path = join(dir, `tune-${files++}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}
