/**
 * One trial of `kiln tune`: trains a candidate config as `kiln train` would (same data, splits,
 * seed, model, optimizer and callbacks) on the training split, scores it on the validation split
 * each epoch for the pruner, and leaves no run folder: the trial lives in the study, and, when
 * tracking is on, as a tracked run (tagged with the study and linked from the trial) whose epoch
 * metrics the dashboard plots.
 */
import { classWeights } from '../../data/splits.js';
import { ConfigError, KilnError } from '../../tensor/errors.js';
import { manualSeed } from '../../tensor/random.js';
import { TrackingCallback } from '../../track/callback.js';
import { flattenParams } from '../../track/flatten.js';
import { type Run, startRun } from '../../track/run.js';
import type { TrackStore } from '../../track/types.js';
import type { Callback, TrainContext } from '../../train/callback.js';
import { EarlyStopping } from '../../train/callbacks/early-stopping.js';
import { ReduceLROnPlateau } from '../../train/callbacks/plateau.js';
import { Trainer } from '../../train/trainer.js';
import { TuneCallback } from '../../tune/callback.js';
import type { Study } from '../../tune/study.js';
import { type Trial, TrialPruned } from '../../tune/trial.js';
import { NopPruner } from '../../tune/view.js';
import {
  buildLoss,
  buildModel,
  buildOptimizer,
  buildScheduler,
  wantsBalancedWeights,
} from '../build.js';
import type { TrainConfig } from '../config.js';
import { checkLabels, type PreparedData, prepareData } from '../data.js';
import { buildMetrics } from '../metrics.js';
import { loader, modelOutputs, runMetrics, sampleWeights } from '../train.js';

/** What a trial's training needs beyond its config. */
export interface TrialContext {
  study: Study;
  metric: string;
  /** Where trial runs are tracked; null when tracking is off (KILN_TRACK=0). */
  store: TrackStore | null;
  /** Prepared data by the config sections that shape it: trials that share them share the data. */
  dataCache: Map<string, PreparedData>;
}

/** A candidate the metric cannot score: wrong for every trial, so the study stops on it. */
export class MetricNotLogged extends ConfigError {}

/** A trial's loss became NaN or infinite: the trial fails (a too-high learning rate, usually). */
class FailTrialOnNaN implements Callback {
  onBatchEnd(ctx: TrainContext): void {
    const loss = ctx.logs.batchLoss ?? ctx.logs.loss;
    if (loss !== undefined && !Number.isFinite(loss))
      throw new KilnError(
        `training diverged: the loss is ${loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1}`,
      );
  }
}

/**
 * Keeps the trial's heartbeat going while it trains: the study's own timer cannot fire during
 * training (a fit never waits on the event loop), and a trial whose heartbeat stops is failed by
 * the other processes. Each beat also gives timers (progress, metric writes) a turn.
 */
class TrialHeartbeat implements Callback {
  private lastBeat = Date.now();
  private lastTurn = Date.now();

  constructor(
    private readonly study: Study,
    private readonly trialId: number,
  ) {}

  async onBatchEnd(): Promise<void> {
    const storage = this.study.storage;
    const now = Date.now();
    if (storage.heartbeat && now - this.lastBeat >= (storage.heartbeatMs ?? 10_000)) {
      this.lastBeat = now;
      await storage.heartbeat([this.trialId]);
    }
    // Ten times a second, timers and signals (Ctrl-C) get a turn.
    if (now - this.lastTurn >= 100) {
      this.lastTurn = now;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** Re-reads other workers' trials before the pruner looks at them. */
class RefreshStudy implements Callback {
  constructor(private readonly study: Study) {}

  async onEpochEnd(): Promise<void> {
    await this.study.refresh();
  }
}

async function dataFor(config: TrainConfig, classification: boolean, ctx: TrialContext) {
  const { data, split, preprocess, seed, task } = config;
  const key = JSON.stringify({ data, split, preprocess, seed, task, classification });
  let prepared = ctx.dataCache.get(key);
  if (!prepared) {
    prepared = await prepareData(config, classification);
    ctx.dataCache.set(key, prepared);
  }
  return prepared;
}

async function startTrialRun(config: TrainConfig, trial: Trial, ctx: TrialContext) {
  if (!ctx.store) return null;
  const run = await startRun({
    store: ctx.store,
    experiment: config.name,
    name: `${ctx.study.name}-trial-${trial.number}`,
    params: flattenParams(config),
    tags: { source: 'kiln tune', study: ctx.study.name, trial: String(trial.number) },
    seed: config.seed,
    config,
    systemIntervalMs: 0,
  });
  await ctx.store.updateTrial(trial.trialId, { runId: run.id });
  return run;
}

/** Trains one candidate config for a trial and returns its metric at the last epoch. */
export async function trainTrial(
  config: TrainConfig,
  trial: Trial,
  ctx: TrialContext,
): Promise<number> {
  manualSeed(config.seed);
  const { classification } = buildLoss(config.loss);
  const guess = config.task === 'forecast' ? 'regression' : config.task;
  const data = await dataFor(config, (guess ?? (classification ? 'c' : 'r'))[0] === 'c', ctx);
  const task = data.task ?? guess ?? (classification ? 'classification' : 'regression');
  if (!data.validation) throw new ConfigError('kiln tune needs a validation split');
  const model = buildModel(config.model, data.sampleShape);
  model.eval();
  const numOutputs = modelOutputs(model.forward.bind(model), data.sampleShape);
  model.train();
  if (task === 'classification') {
    const classes = numOutputs === 1 ? 2 : numOutputs;
    checkLabels(data.train.y, classes, 'training labels');
    checkLabels(data.validation.y, classes, 'validation labels');
  }
  const metrics = runMetrics(config, data, numOutputs);
  const logged = ['val_loss', ...metrics.map((m) => `val_${m}`)];
  if (!logged.includes(ctx.metric))
    throw new MetricNotLogged(
      `tune.metric: '${ctx.metric}' is not logged (logged: ${logged.join(', ')}); add it to metrics`,
    );
  const weight = wantsBalancedWeights(config.loss)
    ? { weight: classWeights(data.train.y, { numClasses: numOutputs }) }
    : {};
  const { loss } = buildLoss(config.loss, weight);
  const optimizer = buildOptimizer(config.optimizer, model);
  const scheduler = config.schedule ? buildScheduler(config.schedule, optimizer) : undefined;
  const evalBatch = config.training.evalBatchSize ?? 500;
  const train = loader(
    data.train,
    config.training.batchSize,
    true,
    config.seed,
    sampleWeights(config, data),
  );
  const callbacks: Callback[] = [new TrialHeartbeat(ctx.study, trial.trialId)];
  if (config.callbacks.terminateOnNaN ?? true) callbacks.push(new FailTrialOnNaN());
  if (config.callbacks.earlyStopping)
    callbacks.push(new EarlyStopping(config.callbacks.earlyStopping));
  if (config.callbacks.reduceLROnPlateau)
    callbacks.push(new ReduceLROnPlateau(config.callbacks.reduceLROnPlateau));
  const run: Run | null = await startTrialRun(config, trial, ctx);
  if (run) callbacks.push(new TrackingCallback({ run, logEvery: 0 }));
  if (!(ctx.study.pruner instanceof NopPruner)) callbacks.push(new RefreshStudy(ctx.study));
  callbacks.push(new TuneCallback(trial, { monitor: ctx.metric }));
  const trainer = new Trainer({
    model,
    optimizer,
    loss,
    metrics: buildMetrics(metrics, data.preprocessing),
    callbacks,
    ...(scheduler ? { scheduler, schedulerInterval: config.schedule?.interval ?? 'epoch' } : {}),
    ...(config.training.gradClipNorm ? { gradClipNorm: config.training.gradClipNorm } : {}),
    ...(config.training.accumulateGradSteps
      ? { accumulateGradSteps: config.training.accumulateGradSteps }
      : {}),
  });
  try {
    const history = await trainer.fit(train, {
      epochs: config.training.epochs,
      validation: loader(data.validation, evalBatch, false, 0),
    });
    const values = history.history[ctx.metric] ?? [];
    trial.setUserAttr('epochs', values.length);
    await run?.setTags({ trial_state: 'complete' });
    await run?.end('finished');
    return values.at(-1) ?? Number.NaN;
  } catch (e) {
    const pruned = e instanceof TrialPruned;
    await run?.setTags({ trial_state: pruned ? 'pruned' : 'failed' }).catch(() => undefined);
    await run?.end(pruned ? 'finished' : 'failed').catch(() => undefined);
    throw e;
  }
}
