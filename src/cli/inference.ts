import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { readCsv } from '../data/csv.js';
import { DataLoader } from '../data/dataloader.js';
import { TensorDataset } from '../data/dataset.js';
import { readIdx } from '../data/idx.js';
import { Standardize } from '../data/scalers.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { load } from '../io/files.js';
import type { Sequential } from '../nn/layers/sequential.js';
import { tensor, zeros } from '../ops/creation.js';
import { SGD } from '../optim/sgd.js';
import { ConfigError, DataError, fmtShape, ShapeError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfusionMatrix } from '../train/metrics/confusion.js';
import { Trainer } from '../train/trainer.js';
import { buildLoss, buildModel } from './build.js';
import { type TrainConfig, validateConfig } from './config.js';
import { applyPreprocessing, checkLabels, prepareData, type Split } from './data.js';
import { buildMetrics } from './metrics.js';
import { RUN_FILES } from './run-dir.js';
import type { ModelRecord } from './train.js';

/** A trained model rebuilt from a run folder or one of its checkpoints. */
export interface LoadedRun {
  runDir: string;
  config: TrainConfig;
  record: ModelRecord;
  model: Sequential;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new DataError(`${path}: missing or not valid JSON`);
  }
}

/** Loads a run folder (final weights) or a checkpoint folder inside one (its weights). */
export async function loadRun(path: string): Promise<LoadedRun> {
  if (!existsSync(path)) throw new DataError(`${path}: no such run or checkpoint folder`);
  const isCheckpoint = existsSync(join(path, 'checkpoint.json'));
  const runDir = isCheckpoint ? dirname(dirname(path)) : path;
  if (!existsSync(join(runDir, RUN_FILES.model))) {
    throw new DataError(
      `${path}: not a kiln run folder (no ${RUN_FILES.model}) nor a checkpoint inside one`,
    );
  }
  const config = validateConfig(
    readJson(join(runDir, RUN_FILES.config)),
    join(runDir, RUN_FILES.config),
  );
  const record = readJson(join(runDir, RUN_FILES.model)) as ModelRecord;
  const model = buildModel(record.layers, record.sampleShape);
  if (isCheckpoint) {
    await loadCheckpoint(path, { model, restoreRng: false });
  } else {
    const weights = join(runDir, RUN_FILES.weights);
    if (!existsSync(weights)) {
      throw new DataError(
        `${weights}: the run has no final weights (did it finish?); pass ${join(runDir, 'checkpoints', 'last')} instead`,
      );
    }
    model.loadStateDict((await load(weights)).tensors);
  }
  model.eval();
  return { runDir, config, record, model };
}

/** Reads features (and labels when present) from a CSV or IDX file, preprocessed as in training. */
async function readInput(
  run: LoadedRun,
  file: string,
  labelsFile?: string,
): Promise<{ x: Tensor; y: Tensor | null }> {
  const name = basename(file).toLowerCase();
  if (name.includes('idx') || extname(name) === '.ubyte') {
    const images = await readIdx(file);
    checkSampleShape(file, images.shape.slice(1), run.record.sampleShape);
    const pixels = Float32Array.from(images.data, (v) => v / 255);
    const x = tensor(pixels, { shape: [images.shape[0]!, ...run.record.sampleShape] });
    const y = labelsFile
      ? tensor(Int32Array.from((await readIdx(labelsFile)).data), { dtype: 'int32' })
      : null;
    return { x, y };
  }
  const d = run.config.data;
  const header = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  const hasLabel =
    d.format === 'csv' &&
    d.label !== undefined &&
    (typeof d.label === 'number' || header.includes(String(d.label)));
  const csv = await readCsv(file, {
    ...(hasLabel && d.label !== undefined ? { label: d.label } : {}),
    ...(d.header !== undefined ? { header: d.header } : {}),
    ...(d.delimiter ? { delimiter: d.delimiter } : {}),
    ...(d.columns ? { columns: d.columns } : {}),
  });
  checkSampleShape(file, csv.features.shape.slice(1), run.record.sampleShape);
  const split: Split = applyPreprocessing(
    { x: csv.features, y: csv.labels ?? csv.features },
    run.record.preprocessing,
  );
  return { x: split.x, y: csv.labels ? split.y : null };
}

/** Throws a `ShapeError` naming both shapes when a file's samples do not fit the model. */
function checkSampleShape(file: string, got: readonly number[], expected: readonly number[]): void {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  // IDX images may come as [H, W] for a model trained on [1, H, W]: same size is enough there.
  if (
    got.length === expected.length
      ? fmtShape(got) === fmtShape(expected)
      : size(got) === size(expected)
  )
    return;
  throw new ShapeError(
    `${file}: samples have shape ${fmtShape(got)} but the model expects ${fmtShape(expected)}`,
  );
}

/** Runs `kiln eval`: loss, metrics and (for classification) the confusion matrix. */
export async function evalCommand(
  path: string,
  options: { data?: string; labels?: string; log: (s: string) => void },
): Promise<Record<string, number>> {
  const run = await loadRun(path);
  const weight = run.record.lossWeight ? { weight: tensor(run.record.lossWeight) } : {};
  const { loss, classification } = buildLoss(run.record.loss, weight);
  let split: Split;
  if (options.data) {
    const input = await readInput(run, options.data, options.labels);
    if (!input.y)
      throw new ConfigError(
        `${options.data}: has no label column, so it cannot be evaluated (use kiln predict)`,
      );
    split = { x: input.x, y: input.y };
  } else {
    const data = await prepareData(run.config, classification);
    if (!data.test) throw new ConfigError('the run has no test split; pass --data <file>');
    split = data.test;
  }
  const numClasses = run.record.numOutputs === 1 ? 2 : run.record.numOutputs;
  if (run.record.task === 'classification') checkLabels(split.y, numClasses, 'labels');
  const confusion =
    run.record.task === 'classification' && numClasses > 1
      ? new ConfusionMatrix({ numClasses })
      : null;
  const trainer = new Trainer({
    model: run.model,
    optimizer: dummyOptimizer(),
    loss,
    metrics: [
      ...buildMetrics(run.config.metrics, run.record.preprocessing),
      ...(confusion ? [confusion] : []),
    ],
  });
  const logs = await trainer.evaluate(
    new DataLoader(new TensorDataset(split.x, split.y), { batchSize: 500 }),
  );
  if (confusion) delete logs[confusion.name];
  options.log(
    Object.entries(logs)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join('  '),
  );
  if (confusion) {
    const names = run.record.classes ?? Array.from({ length: numClasses }, (_, i) => String(i));
    const width =
      Math.max(
        ...names.map((n) => n.length),
        ...confusion
          .matrix()
          .flat()
          .map((v) => String(v).length),
      ) + 1;
    options.log(`confusion matrix (rows: true class, columns: predicted)`);
    options.log(`${''.padStart(width)} ${names.map((n) => n.padStart(width)).join('')}`);
    confusion.matrix().forEach((row, i) => {
      options.log(
        `${names[i]!.padStart(width)} ${row.map((v) => String(v).padStart(width)).join('')}`,
      );
    });
  }
  return logs;
}

/** Runs `kiln predict`: writes one CSV row per input sample. */
export async function predictCommand(
  path: string,
  input: string,
  options: { out?: string; log: (s: string) => void },
): Promise<string> {
  const run = await loadRun(path);
  const { x } = await readInput(run, input);
  const trainer = new Trainer({ model: run.model, optimizer: dummyOptimizer(), loss: () => x });
  const output = await trainer.predict(x);
  const rows: string[] = [];
  if (run.record.task === 'classification') {
    const probs = (
      output.ndim === 1 || output.shape[1] === 1
        ? output.reshape([-1, 1]).sigmoid()
        : output.softmax(1)
    ).toArray() as number[][];
    const names = run.record.classes;
    const k = probs[0]?.length ?? 0;
    rows.push(
      ['prediction', ...Array.from({ length: k }, (_, i) => `p_${names?.[i] ?? i}`)].join(','),
    );
    for (const p of probs) {
      const best = k === 1 ? Number(p[0]! > 0.5) : p.indexOf(Math.max(...p));
      rows.push([names?.[best] ?? String(best), ...p.map((v) => v.toPrecision(6))].join(','));
    }
  } else {
    const t = run.record.preprocessing.target;
    const scaler = t ? Standardize.fromJSON(t) : null;
    // Targets were standardized for training: map predictions back to the original units.
    const restored = scaler
      ? output.reshape([-1]).mul(scaler.std[0]!).add(scaler.mean[0]!)
      : output;
    const values = restored.reshape([-1]).toArray() as number[];
    rows.push('prediction', ...values.map((v) => v.toPrecision(8)));
  }
  const text = `${rows.join('\n')}\n`;
  if (options.out) {
    await writeFileAtomic(options.out, text);
    options.log(`wrote ${rows.length - 1} predictions to ${options.out}`);
  } else {
    process.stdout.write(text);
  }
  return text;
}

/** Evaluation needs no optimizer; the Trainer takes one, so give it an inert one. */
function dummyOptimizer(): SGD {
  return new SGD([zeros([1], { requiresGrad: true })], { lr: 0 });
}
