import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataLoader } from '../data/dataloader.js';
import { TensorDataset } from '../data/dataset.js';
import { Standardize } from '../data/scalers.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { load } from '../io/files.js';
import { Identity } from '../nn/layers/linear.js';
import type { Sequential } from '../nn/layers/sequential.js';
import type { Module } from '../nn/module.js';
import { tensor, zeros } from '../ops/creation.js';
import { SGD } from '../optim/sgd.js';
import { ConfigError, DataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ConfusionMatrix } from '../train/metrics/confusion.js';
import type { Metric } from '../train/metrics/index.js';
import { Trainer } from '../train/trainer.js';
import { buildLoss, buildModel } from './build.js';
import { type TrainConfig, validateConfig } from './config.js';
import { checkLabels, prepareData, type Split } from './data.js';
import { DECISION_FILE, type DecisionRule, readDecision, ThresholdedMetric } from './decision.js';
import { combineOutputs, type EnsembleMember, loadMembers, readEnsemble } from './ensemble.js';
import { evalForecast, predictForecast } from './forecast-commands.js';
import { noLabels, readInputs } from './inputs.js';
import { buildMetrics } from './metrics.js';
import { RUN_FILES } from './run-dir.js';
import { verifyFinalModel } from './run-end.js';
import { defaultTableMetrics } from './table-data.js';
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
    await verifyFinalModel(weights);
    model.loadStateDict((await load(weights)).tensors);
  }
  model.eval();
  return { runDir, config, record, model };
}

/** Runs `kiln eval`: loss, metrics and (for classification) the confusion matrix. */
export async function evalCommand(
  path: string,
  options: { data?: string; labels?: string; log: (s: string) => void },
): Promise<Record<string, number>> {
  const run = await loadRun(path);
  const forecast = run.record.preprocessing.forecast;
  if (forecast) {
    return evalForecast(run, forecast, options.data ?? null, options.log);
  }
  const weight = run.record.lossWeight ? { weight: tensor(run.record.lossWeight) } : {};
  const { loss, classification } = buildLoss(run.record.loss, weight);
  const readSplit = async (member: LoadedRun): Promise<Split> => {
    if (options.data) {
      const input = await readInputs(member, options.data, options.labels);
      if (!input.y) throw noLabels(options.data);
      return { x: input.x, y: input.y };
    }
    const data = await prepareData(member.config, classification);
    if (!data.test) throw new ConfigError('the run has no test split; pass --data <file>');
    return data.test;
  };
  let split = await readSplit(run);
  let model: Module<[Tensor], Tensor> = run.model;
  const members = await ensembleOf(path, run);
  if (members) {
    // Each member reads the rows with its own preprocessing; the mean of their outputs is scored.
    const outputs: Tensor[] = [];
    for (const m of members) outputs.push(await outputsOf(m.run, (await readSplit(m.run)).x));
    split = { x: combineOutputs(members, outputs), y: split.y };
    model = new Identity();
  }
  const numClasses = run.record.numOutputs === 1 ? 2 : run.record.numOutputs;
  if (run.record.task === 'classification') checkLabels(split.y, numClasses, 'labels');
  const confusion =
    run.record.task === 'classification' && numClasses > 1
      ? new ConfusionMatrix({ numClasses })
      : null;
  // A tuned decision threshold (decision.json) decides the classes; ROC-AUC ranks and the loss
  // reads the probabilities, so both see the model's own outputs.
  const decision = decisionOf(path, run, numClasses);
  const decide = (m: Metric) =>
    decision && m.name !== 'roc_auc' ? new ThresholdedMetric(m, decision.threshold) : m;
  const trainer = new Trainer({
    model,
    optimizer: dummyOptimizer(),
    loss,
    metrics: [
      ...buildMetrics(evalMetrics(run), run.record.preprocessing).map(decide),
      ...(confusion ? [decide(confusion)] : []),
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
  if (decision) options.log(decisionLine(decision));
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
  const forecast = run.record.preprocessing.forecast;
  if (forecast) return predictForecast(run, forecast, input, options);
  const members = await ensembleOf(path, run);
  let output: Tensor;
  if (members) {
    const outputs: Tensor[] = [];
    for (const m of members)
      outputs.push(await outputsOf(m.run, (await readInputs(m.run, input)).x));
    output = combineOutputs(members, outputs);
  } else {
    output = await outputsOf(run, (await readInputs(run, input)).x);
  }
  const rows: string[] = [];
  if (run.record.task === 'classification') {
    const probs = (
      output.ndim === 1 || output.shape[1] === 1
        ? output.reshape([-1, 1]).sigmoid()
        : output.softmax(1)
    ).toArray() as number[][];
    const names = run.record.classes;
    const k = probs[0]?.length ?? 0;
    const threshold = decisionOf(path, run, k === 1 ? 2 : k)?.threshold ?? 0.5;
    rows.push(
      ['prediction', ...Array.from({ length: k }, (_, i) => `p_${names?.[i] ?? i}`)].join(','),
    );
    for (const p of probs) {
      const best =
        k === 1
          ? Number(p[0]! > threshold)
          : k === 2
            ? Number(p[1]! > threshold)
            : p.indexOf(Math.max(...p));
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

/** The model's outputs for preprocessed inputs (eval mode, no gradients). */
async function outputsOf(run: LoadedRun, x: Tensor): Promise<Tensor> {
  return new Trainer({ model: run.model, optimizer: dummyOptimizer(), loss: () => x }).predict(x);
}

/**
 * The members of an ensemble run folder (see `ENSEMBLE_FILE`), or null for a single model or a
 * checkpoint (a checkpoint holds one model's weights).
 */
async function ensembleOf(path: string, run: LoadedRun): Promise<EnsembleMember[] | null> {
  if (existsSync(join(path, 'checkpoint.json'))) return null;
  const manifest = readEnsemble(run.runDir);
  return manifest ? loadMembers(run, manifest, loadRun) : null;
}

/**
 * The run folder's decision threshold (see `DECISION_FILE`), or null: none for regression, and
 * none for a checkpoint (the threshold was chosen for the final model).
 */
function decisionOf(path: string, run: LoadedRun, numClasses: number): DecisionRule | null {
  if (run.record.task !== 'classification' || existsSync(join(path, 'checkpoint.json')))
    return null;
  return readDecision(run.runDir, numClasses);
}

/** How eval states the threshold it applied. */
function decisionLine(d: DecisionRule): string {
  return `decision threshold: ${d.positive} when p(${d.positive}) > ${d.threshold} (${DECISION_FILE}: chosen for ${d.metric} on ${d.rows} validation rows, ${d.value.toFixed(4)} there against ${d.atHalf.toFixed(4)} at 0.5)`;
}

/** Evaluation needs no optimizer; the Trainer takes one, so give it an inert one. */
function dummyOptimizer(): SGD {
  return new SGD([zeros([1], { requiresGrad: true })], { lr: 0 });
}

/** The run's metrics, or for tables trained without a list, the ones suited to the task. */
function evalMetrics(run: LoadedRun): string[] {
  if (run.config.metrics.length > 0 || !run.record.preprocessing.table) return run.config.metrics;
  const n = run.record.numOutputs;
  return defaultTableMetrics(run.record.task, n === 1 ? 2 : n);
}
