import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend } from '../backend/registry.js';
import { DataLoader } from '../data/dataloader.js';
import { TensorDataset } from '../data/dataset.js';
import { WeightedRandomSampler } from '../data/sampler.js';
import { classWeights } from '../data/splits.js';
import { showNames } from '../data/table/read.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadCheckpoint } from '../io/checkpoint.js';
import { layerToConfig } from '../nn/registry.js';
import { tensor, zeros } from '../ops/creation.js';
import type { PlateauStateDict } from '../optim/lr-scheduler/plateau.js';
import { ConfigError } from '../tensor/errors.js';
import { Generator, manualSeed } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Callback } from '../train/callback.js';
import { CSVLogger } from '../train/callbacks/csv-logger.js';
import { EarlyStopping, type EarlyStoppingState } from '../train/callbacks/early-stopping.js';
import { ModelCheckpoint } from '../train/callbacks/model-checkpoint.js';
import { ReduceLROnPlateau } from '../train/callbacks/plateau.js';
import { ProgressBar } from '../train/callbacks/progress-bar.js';
import { LambdaCallback } from '../train/callbacks/simple.js';
import { ConfusionMatrix } from '../train/metrics/confusion.js';
import { Trainer } from '../train/trainer.js';
import {
  buildLoss,
  buildModel,
  buildOptimizer,
  buildScheduler,
  wantsBalancedWeights,
} from './build.js';
import type { TrainConfig } from './config.js';
import { checkLabels, type PreparedData, prepareData, type Split } from './data.js';
import { checkDistributedConfig, joinWorkerGroup } from './distributed.js';
import { forecastScores } from './forecast-data.js';
import { initWeights } from './init-weights.js';
import { buildMetrics } from './metrics.js';
import { readEpochRows, writeReport } from './report.js';
import {
  applyResumeChanges,
  type ConfigChange,
  checkResumeChanges,
  configChanges,
  readResumes,
  recordResume,
  storedConfig,
} from './resume.js';
import { chooseRunDir, RUN_FILES } from './run-dir.js';
import { checkFinalLoss, earlyStopLine, FailOnNaN, saveFinalModel } from './run-end.js';
import { defaultTableMetrics } from './table-data.js';
import { NO_TRACKING, startTrainTracking } from './train-tracking.js';

/** Options of `kiln train` beyond the config file. */
export interface TrainCommandOptions {
  resume: boolean;
  /** Tracking store (SQLite file or postgresql:// URL); default KILN_STORE, else <output.dir>/kiln.db. */
  store?: string;
  /** Also track running batch values every this many batches. */
  logEvery?: number;
  /** Prints progress (default true). */
  log: (line: string) => void;
  /** Told the run folder as soon as it is chosen (so a failure or interrupt can clean up). */
  onRunDir?: (runDir: string) => void;
}

/** What a finished `kiln train` reports. */
export interface TrainResult {
  runDir: string;
  test: Record<string, number> | null;
  secondsPerEpoch: number[];
}

/** The architecture record saved as a run's model.json: enough to rebuild the model and its inputs. */
export interface ModelRecord {
  layers: TrainConfig['model'];
  sampleShape: number[];
  task: 'classification' | 'regression';
  numOutputs: number;
  classes: string[] | null;
  preprocessing: PreparedData['preprocessing'];
  loss: TrainConfig['loss'];
  /** Class weights fitted for `classWeights: balanced`, reused by eval. */
  lossWeight?: number[] | null;
}

export function loader(
  split: Split,
  batchSize: number,
  shuffle: boolean,
  seed: number,
  weights: Float64Array | null = null,
): DataLoader<[Tensor, Tensor], [Tensor, Tensor]> {
  const dataset = new TensorDataset(split.x, split.y);
  if (!weights) return new DataLoader(dataset, { batchSize, shuffle, seed });
  const sampler = new WeightedRandomSampler(weights, weights.length, {
    generator: new Generator(seed),
  });
  return new DataLoader(dataset, { batchSize, sampler });
}

/** The generator that orders training batches (the shuffle's, or a weighted sampler's). */
function loaderRng(train: DataLoader<[Tensor, Tensor], [Tensor, Tensor]>): Generator | null {
  return (
    train.generator ??
    (train.sampler instanceof WeightedRandomSampler ? train.sampler.generator : null)
  );
}

/** Runs `kiln train`: trains the configured model, checkpointing each epoch, then tests it. */
export async function trainCommand(
  config: TrainConfig,
  options: TrainCommandOptions,
): Promise<TrainResult> {
  const { log } = options;
  // A worker of --nproc-per-node: only rank 0 writes the run folder (others print to nowhere).
  const dist = await joinWorkerGroup();
  const isMain = dist?.isMain ?? true;
  if (dist) checkDistributedConfig(config.data.sampling);
  manualSeed(config.seed);
  const { classification } = buildLoss(config.loss);
  const declared = config.task === 'forecast' ? 'regression' : config.task;
  const guess = declared ?? (classification ? 'classification' : 'regression');
  const data = await prepareData(config, guess === 'classification');
  // Tables decide the task from their target column (checked against the loss there).
  const task = data.task ?? guess;
  const model = buildModel(config.model, data.sampleShape);
  if (config.init && !options.resume) {
    const n = await initWeights(model, config.init);
    log(`initialized ${n} tensors from ${config.init.from}`);
  }
  model.eval();
  const numOutputs = modelOutputs(model.forward.bind(model), data.sampleShape);
  model.train();
  if (task === 'classification' && data.rows && data.classes) checkOutputs(data, numOutputs);
  if (task === 'classification') {
    const classes = numOutputs === 1 ? 2 : numOutputs;
    checkLabels(data.train.y, classes, 'training labels');
    if (data.validation) checkLabels(data.validation.y, classes, 'validation labels');
    if (data.test) checkLabels(data.test.y, classes, 'test labels');
  }
  // Balanced class weights n / (classes * count), fitted on the training split only.
  const lossWeight = wantsBalancedWeights(config.loss)
    ? Array.from(classWeights(data.train.y, { numClasses: numOutputs }).dataSync())
    : null;
  const { loss } = buildLoss(config.loss, lossWeight ? { weight: tensor(lossWeight) } : {});
  const optimizer = buildOptimizer(config.optimizer, model);
  const scheduler = config.schedule ? buildScheduler(config.schedule, optimizer) : undefined;
  const { epochs, batchSize } = config.training;
  const evalBatch = config.training.evalBatchSize ?? 500;
  const train = dist
    ? dist.trainLoader(data.train, batchSize, config.seed)
    : loader(data.train, batchSize, true, config.seed, sampleWeights(config, data));
  const validation = data.validation ? loader(data.validation, evalBatch, false, 0) : undefined;

  const runDir =
    isMain || options.resume
      ? await chooseRunDir(config.output.dir, config.name, options.resume)
      : '';
  if (runDir) options.onRunDir?.(runDir);
  const checkpointDir = join(runDir, RUN_FILES.checkpoints);
  const monitor = config.callbacks.checkpoint?.monitor ?? (validation ? 'val_loss' : 'loss');
  const earlyStopping = config.callbacks.earlyStopping
    ? new EarlyStopping(config.callbacks.earlyStopping)
    : null;
  const plateau = config.callbacks.reduceLROnPlateau
    ? new ReduceLROnPlateau(config.callbacks.reduceLROnPlateau)
    : null;
  const checkpoint = new ModelCheckpoint({
    dir: checkpointDir,
    monitor,
    saveTopK: config.callbacks.checkpoint?.saveTopK ?? 0,
    ...(scheduler ? { scheduler } : {}),
    config,
    // Everything else a resume needs to continue exactly as an uninterrupted run would.
    extra: () => ({
      loaderRng: loaderRng(train)?.getState() ?? null,
      earlyStopping: earlyStopping?.stateDict() ?? null,
      reduceLROnPlateau: plateau?.stateDict() ?? null,
    }),
  });
  let initialEpoch = 0;
  let initialStep = 0;
  let changes: ConfigChange[] = [];
  if (options.resume) {
    const stored = storedConfig(runDir);
    changes = stored ? configChanges(stored, config) : [];
    checkResumeChanges(changes, config);
    const info = await loadCheckpoint(join(checkpointDir, 'last'), {
      model,
      optimizer,
      ...(scheduler ? { scheduler } : {}),
    });
    initialEpoch = info.epoch ?? 0;
    initialStep = info.step ?? 0;
    const extra = info.extra as ResumeExtra | null;
    if (extra?.loaderRng) loaderRng(train)?.setState(extra.loaderRng);
    if (extra?.reduceLROnPlateau && plateau) plateau.loadStateDict(extra.reduceLROnPlateau);
    if (extra?.earlyStopping && earlyStopping) {
      const state = extra.earlyStopping;
      // The best epoch's weights, for restoreBestWeights, are those of checkpoints/best when
      // that checkpoint is of the same epoch (same monitor, as in the default setup).
      let bestWeights: Record<string, Tensor> | undefined;
      if (earlyStopping.restoreBestWeights && state.bestEpoch >= 0) {
        bestWeights = await weightsOfEpoch(join(checkpointDir, 'best'), state.bestEpoch + 1);
        if (!bestWeights)
          log(
            `note: the best weights of epoch ${state.bestEpoch + 1} are not in checkpoints/best, so earlyStopping.restoreBestWeights restores only epochs trained from now on`,
          );
      }
      earlyStopping.loadStateDict(state, bestWeights);
    }
    const best = info.metrics?.[`best_${monitor}`];
    if (typeof best === 'number') checkpoint.setBest(best);
    applyResumeChanges(changes, optimizer);
    log(`resuming ${runDir} from epoch ${initialEpoch} (step ${initialStep})`);
    // Every resume is recorded (the report marks it); changes say which values applied when.
    if (isMain) await recordResume(runDir, { epoch: initialEpoch, changes });
    if (changes.length) {
      for (const c of changes)
        log(
          `changed on resume: ${c.field} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)} from epoch ${initialEpoch + 1} (recorded in ${RUN_FILES.resumes})`,
        );
    }
  }
  const record: ModelRecord = {
    // Complete layer configs (inferred sizes filled in): the folder rebuilds without the YAML.
    layers: layerToConfig(model).layers as TrainConfig['model'],
    sampleShape: data.sampleShape,
    task,
    numOutputs,
    classes: data.classes,
    preprocessing: data.preprocessing,
    loss: config.loss,
    lossWeight,
  };
  if (isMain) {
    await writeFileAtomic(join(runDir, RUN_FILES.config), `${JSON.stringify(config, null, 2)}\n`);
    await writeFileAtomic(join(runDir, RUN_FILES.model), `${JSON.stringify(record, null, 2)}\n`);
    if (data.rows)
      await writeFileAtomic(join(runDir, RUN_FILES.split), `${JSON.stringify(data.rows)}\n`);
  }

  const secondsPerEpoch: number[] = [];
  let epochStart = 0;
  const timer = new LambdaCallback({
    onEpochBegin: () => {
      epochStart = performance.now();
    },
    onEpochEnd: (ctx) => {
      const seconds = (performance.now() - epochStart) / 1000;
      secondsPerEpoch.push(seconds);
      ctx.logs.seconds = seconds;
    },
  });
  const callbacks: Callback[] = [timer];
  if (dist) callbacks.push(dist.callback);
  if (isMain) {
    callbacks.push(
      new ProgressBar(),
      new CSVLogger(join(runDir, RUN_FILES.metrics), { append: options.resume }),
    );
  }
  if (config.callbacks.terminateOnNaN ?? true) callbacks.push(new FailOnNaN());
  if (earlyStopping) callbacks.push(earlyStopping);
  if (plateau) callbacks.push(plateau);
  if (isMain) callbacks.push(checkpoint);
  // Every run is tracked (k.track): params, epoch metrics, artifacts. KILN_TRACK=0 turns it off.
  // Only rank 0 of a distributed job tracks.
  const tracking = isMain ? await startTrainTracking(config, runDir, options) : NO_TRACKING;
  callbacks.push(tracking.callback);

  const trainer = new Trainer({
    model: dist ? dist.wrap(model) : model,
    optimizer,
    loss,
    metrics: buildMetrics(runMetrics(config, data, numOutputs), data.preprocessing),
    callbacks,
    ...(scheduler ? { scheduler, schedulerInterval: config.schedule?.interval ?? 'epoch' } : {}),
    ...(config.training.gradClipNorm ? { gradClipNorm: config.training.gradClipNorm } : {}),
    ...(config.training.accumulateGradSteps
      ? { accumulateGradSteps: config.training.accumulateGradSteps }
      : {}),
  });
  log(
    `training ${config.name}: ${data.train.x.shape[0]} samples, ${model.numParameters()} parameters, backend ${getBackend()}, run folder ${runDir}`,
  );
  const history = await trainer
    .fit(train, {
      epochs,
      initialEpoch,
      initialStep,
      ...(validation ? { validation } : {}),
    })
    .catch(tracking.fail);
  await dist?.close();
  if (!isMain) return { runDir, test: null, secondsPerEpoch };
  const stopped = earlyStopping ? earlyStopLine(earlyStopping) : null;
  if (stopped) log(stopped);
  try {
    checkFinalLoss(history.epochs);
  } catch (e) {
    await tracking.fail(e);
  }
  await saveFinalModel(runDir, model);
  let test: Record<string, number> | null = null;
  if (data.test) {
    test = await trainer.evaluate(loader(data.test, evalBatch, false, 0));
    if (data.forecast) {
      // Scored in the series' own units, next to the seasonal-naive baseline.
      const outputs = (await trainer.predict(data.test.x)).dataSync();
      test = { ...test, ...forecastScores(outputs, data.forecast) };
    }
    log(
      `test: ${Object.entries(test)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join('  ')}`,
    );
  }
  const confusion =
    task === 'classification' && data.test && !data.forecast
      ? await testConfusion(trainer, data.test, numOutputs, data.classes)
      : null;
  await writeReport(runDir, {
    config,
    epochs: readEpochRows(runDir),
    test,
    parameters: model.numParameters(),
    resumes: readResumes(runDir),
    earlyStop:
      stopped && earlyStopping
        ? {
            line: stopped,
            bestEpoch: earlyStopping.bestEpoch + 1,
            restored: earlyStopping.restoreBestWeights && earlyStopping.bestEpoch >= 0,
          }
        : null,
    confusion,
  });
  await tracking.finish(test);
  return { runDir, test, secondsPerEpoch };
}

/** The test split's confusion matrix, rows named by the original class names. */
async function testConfusion(
  trainer: Trainer,
  test: Split,
  numOutputs: number,
  classes: string[] | null,
): Promise<{ matrix: number[][]; classes: string[] }> {
  const numClasses = numOutputs === 1 ? 2 : numOutputs;
  const cm = new ConfusionMatrix({ numClasses });
  cm.update(await trainer.predict(test.x), test.y);
  const names = classes ?? Array.from({ length: numClasses }, (_, i) => String(i));
  return { matrix: cm.matrix(), classes: names };
}

/** What `kiln train` saves in a checkpoint's `extra` to resume exactly. */
interface ResumeExtra {
  loaderRng?: number[] | null;
  earlyStopping?: EarlyStoppingState | null;
  reduceLROnPlateau?: PlateauStateDict | null;
}

/** The model weights of a checkpoint if it was written at the end of `epoch` (from 1), else undefined. */
async function weightsOfEpoch(
  dir: string,
  epoch: number,
): Promise<Record<string, Tensor> | undefined> {
  if (!existsSync(join(dir, 'checkpoint.json'))) return undefined;
  const weights: Record<string, Tensor> = {};
  const holder = {
    stateDict: () => ({}),
    loadStateDict: (sd: Record<string, Tensor>) => void Object.assign(weights, sd),
  };
  const info = await loadCheckpoint(dir, { model: holder, restoreRng: false });
  return info.epoch === epoch ? weights : undefined;
}

/** The size of the model's last output dim for a batch of one zero sample. */
export function modelOutputs(
  forward: (x: Tensor) => unknown,
  sampleShape: readonly number[],
): number {
  const out = noGrad(() => forward(zeros([1, ...sampleShape]))) as Tensor;
  return out.ndim <= 1 ? 1 : out.shape[out.ndim - 1]!;
}

/** The config's metrics, or for tables that list none, the ones suited to the task. */
export function runMetrics(config: TrainConfig, data: PreparedData, numOutputs: number): string[] {
  if (data.forecast && config.metrics.length > 0) {
    throw new ConfigError(
      'metrics: forecasting scores the test tail in the series units (rmse, mae, and the seasonal-naive baseline); remove metrics',
    );
  }
  if (config.metrics.length > 0 || !data.task || data.forecast) return config.metrics;
  return defaultTableMetrics(data.task, numOutputs === 1 ? 2 : numOutputs);
}

/**
 * With `data.sampling: balanced`, each training sample's weight is its class's balanced weight
 * (n / (classes * count)), so a WeightedRandomSampler draws classes about equally often.
 */
export function sampleWeights(config: TrainConfig, data: PreparedData): Float64Array | null {
  if (config.data.sampling !== 'balanced') return null;
  if (data.train.y.dtype !== 'int32') {
    throw new ConfigError('data.sampling: balanced needs class labels (a classification task)');
  }
  const labels = data.train.y.dataSync();
  const perClass = classWeights(data.train.y).dataSync();
  return Float64Array.from(labels, (c) => perClass[c]!);
}

/** A table's class count must match the model's outputs; says which classes the file has. */
function checkOutputs(data: PreparedData, numOutputs: number): void {
  const classes = data.classes!;
  if (numOutputs === classes.length || (numOutputs === 1 && classes.length === 2)) return;
  throw new ConfigError(
    `model: the last layer gives ${numOutputs} outputs, but the target of ${data.rows!.file} has ${classes.length} classes (${showNames(classes, 8)}); set its outFeatures to ${classes.length}`,
  );
}
