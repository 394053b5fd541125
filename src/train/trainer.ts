import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../nn/utils.js';
import { cat } from '../ops/indexing.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ConfigError, ValueError } from '../tensor/errors.js';
import { manualSeed } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  type Callback,
  type Logs,
  providesCallback,
  runHook,
  type TrainContext,
} from './callback.js';
import { History } from './history.js';
import type { Metric } from './metrics/index.js';
import { metricFromName } from './metrics/index.js';
import { type SchedulerLike, stepScheduler } from './steps.js';

/** A batch as loaders yield it: `[input, target]` (more entries are passed through to `trainStep`). */
export type Batch = readonly Tensor[];

/** Anything `fit` can iterate per epoch: a DataLoader, an array of batches, a generator. */
export type BatchSource = (AsyncIterable<Batch> | Iterable<Batch>) & { readonly length?: number };

/** A loss: a function of (output, target), or a loss module. */
export type LossFn =
  | ((output: Tensor, target: Tensor) => Tensor)
  | { forward(output: Tensor, target: Tensor): Tensor };

/** What `trainStep`/`evalStep` return: the loss, and the output and target that metrics read. */
export interface StepOutput {
  loss: Tensor;
  output?: Tensor;
  target?: Tensor;
}

/** Options of `new Trainer`. */
export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer;
  loss: LossFn;
  /** Metric instances or names ('accuracy', 'f1', 'rmse', ...). */
  metrics?: readonly (Metric | string)[];
  callbacks?: readonly Callback[];
  /** An LR scheduler stepped once per epoch (or per batch with `schedulerInterval: 'batch'`). */
  scheduler?: SchedulerLike;
  schedulerInterval?: 'epoch' | 'batch';
  /** Which logged value a ReduceLROnPlateau scheduler watches (default val_loss, else loss). */
  schedulerMonitor?: string;
  /** Clip the global L2 norm of the gradients to this value before each step. */
  gradClipNorm?: number;
  /** Sum gradients over this many batches per optimizer step (default 1). */
  accumulateGradSteps?: number;
  /** Seed of the default generator at the start of `fit`, for reproducible runs. */
  seed?: number;
}

/** Options of `fit`. */
export interface FitOptions {
  epochs: number;
  /** Validation batches evaluated after each epoch (logged with a `val_` prefix). */
  validation?: BatchSource;
  /** The epoch to start from (epochs already done), when resuming. */
  initialEpoch?: number;
  /** Optimizer steps already taken, when resuming. */
  initialStep?: number;
}

/**
 * The training loop, as Keras's `fit` and Lightning's Trainer: forward, loss, backward,
 * clipping, gradient accumulation, optimizer and scheduler steps, streaming metrics and
 * callbacks. Override `trainStep`/`evalStep` for custom models.
 *
 * @example
 * ```ts
 * const trainer = new k.train.Trainer({
 *   model, optimizer: new k.optim.Adam(model.parameters(), { lr: 1e-3 }),
 *   loss: k.F.crossEntropy, metrics: ['accuracy'],
 * });
 * const history = await trainer.fit(trainLoader, { epochs: 5, validation: testLoader });
 * ```
 */
export class Trainer {
  readonly model: Module;
  readonly optimizer: Optimizer;
  readonly callbacks: Callback[];
  readonly metrics: Metric[];
  readonly options: TrainerOptions;
  /** Optimizer steps taken so far (kept across `fit` calls and restored on resume). */
  globalStep = 0;

  constructor(options: TrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.callbacks = [...(options.callbacks ?? [])];
    // The model's own callback (gradient synchronization) runs before the user's.
    if (providesCallback(this.model)) this.callbacks.unshift(this.model.trainerCallback);
    this.metrics = (options.metrics ?? []).map((m) =>
      typeof m === 'string' ? metricFromName(m) : m,
    );
    const accumulate = options.accumulateGradSteps ?? 1;
    if (!Number.isInteger(accumulate) || accumulate < 1) {
      throw new ConfigError(
        `Trainer: accumulateGradSteps must be a positive integer, got ${accumulate}`,
      );
    }
    if (options.gradClipNorm !== undefined && !(options.gradClipNorm > 0)) {
      throw new ConfigError(`Trainer: gradClipNorm must be positive, got ${options.gradClipNorm}`);
    }
  }

  /** Computes the loss of one training batch (override for custom models). */
  trainStep(batch: Batch): StepOutput {
    const [input, target] = splitBatch(batch);
    const output = this.model.forward(input) as Tensor;
    return { loss: this.computeLoss(output, target), output, target };
  }

  /** Computes the loss of one evaluation batch, under noGrad (override for custom models). */
  evalStep(batch: Batch): StepOutput {
    return this.trainStep(batch);
  }

  /** Applies the configured loss. */
  computeLoss(output: Tensor, target: Tensor): Tensor {
    const loss = this.options.loss;
    return typeof loss === 'function' ? loss(output, target) : loss.forward(output, target);
  }

  /** Trains for `epochs` epochs and returns the per-epoch logs. */
  async fit(train: BatchSource, options: FitOptions): Promise<History> {
    const { epochs, validation, initialEpoch = 0 } = options;
    if (!Number.isInteger(epochs) || epochs < 0)
      throw new ConfigError(`fit: epochs must be a non-negative integer, got ${epochs}`);
    if (options.initialStep !== undefined) this.globalStep = options.initialStep;
    if (this.options.seed !== undefined) manualSeed(this.options.seed);
    const history = new History();
    const ctx: TrainContext = {
      model: this.model,
      optimizer: this.optimizer,
      epoch: initialEpoch,
      epochs,
      batch: 0,
      batchesPerEpoch: train.length,
      step: this.globalStep,
      samples: 0,
      logs: {},
      stopTraining: false,
      accumulating: false,
    };
    await runHook(this.callbacks, 'onTrainBegin', ctx);
    for (let epoch = initialEpoch; epoch < epochs && !ctx.stopTraining; epoch++) {
      ctx.epoch = epoch;
      ctx.logs = {};
      await runHook(this.callbacks, 'onEpochBegin', ctx);
      const logs = await this.trainEpoch(train, ctx);
      if (validation) {
        const valLogs = await this.evaluate(validation);
        for (const [key, value] of Object.entries(valLogs)) logs[`val_${key}`] = value;
      }
      logs.lr = this.optimizer.paramGroups[0]?.lr ?? Number.NaN;
      if (this.options.scheduler && (this.options.schedulerInterval ?? 'epoch') === 'epoch') {
        stepScheduler(this.options.scheduler, logs, this.options.schedulerMonitor);
      }
      ctx.logs = logs;
      await runHook(this.callbacks, 'onEpochEnd', ctx);
      // Recorded after the hooks, as Keras's History, so values they add (timings) are kept.
      history.push(epoch, ctx.logs);
    }
    await runHook(this.callbacks, 'onTrainEnd', ctx);
    return history;
  }

  private async trainEpoch(train: BatchSource, ctx: TrainContext): Promise<Logs> {
    this.model.train();
    for (const m of this.metrics) m.reset();
    const accumulate = this.options.accumulateGradSteps ?? 1;
    const total = train.length;
    let lossSum = 0;
    let samples = 0;
    let batch = 0;
    let pending = 0;
    ctx.samples = 0;
    this.optimizer.zeroGrad();
    for await (const b of train) {
      ctx.batch = batch;
      const isLast = total !== undefined && batch === total - 1;
      ctx.accumulating = pending + 1 < accumulate && !isLast;
      [ctx.input, ctx.target] = splitBatch(b);
      await runHook(this.callbacks, 'onBatchBegin', ctx);
      const { loss, output, target } = this.trainStep(b);
      if (loss.numel() !== 1)
        throw new ValueError(`trainStep: the loss must be a scalar, got shape [${loss.shape}]`);
      (accumulate > 1 ? loss.div(accumulate) : loss).backward();
      pending++;
      if (pending === accumulate || isLast) {
        await this.optimizerStep(ctx);
        pending = 0;
      }
      const n = batchSize(target ?? ctx.target);
      const value = loss.item();
      lossSum += value * n;
      samples += n;
      if (output && target) noGrad(() => this.updateMetrics(output.detach(), target));
      ctx.samples = samples;
      ctx.step = this.globalStep;
      ctx.logs = { loss: lossSum / samples, batchLoss: value };
      await runHook(this.callbacks, 'onBatchEnd', ctx);
      batch++;
      if (ctx.stopTraining) break;
    }
    if (pending > 0) await this.optimizerStep(ctx);
    ctx.batchesPerEpoch = batch;
    const logs: Logs = { loss: samples > 0 ? lossSum / samples : Number.NaN };
    for (const m of this.metrics) logs[m.name] = m.compute();
    return logs;
  }

  private async optimizerStep(ctx: TrainContext): Promise<void> {
    await runHook(this.callbacks, 'onBeforeOptimizerStep', ctx);
    if (this.options.gradClipNorm !== undefined)
      clipGradNorm(this.model.parameters(), this.options.gradClipNorm);
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.globalStep++;
    if (this.options.scheduler && this.options.schedulerInterval === 'batch')
      stepScheduler(this.options.scheduler, {});
  }

  private updateMetrics(output: Tensor, target: Tensor): void {
    for (const m of this.metrics) m.update(output, target);
  }

  /** Loss and metrics over the batches, in eval mode without recording gradients. */
  async evaluate(data: BatchSource): Promise<Logs> {
    const wasTraining = this.model.training;
    this.model.eval();
    for (const m of this.metrics) m.reset();
    let lossSum = 0;
    let samples = 0;
    try {
      for await (const b of data) {
        noGrad(() => {
          const { loss, output, target } = this.evalStep(b);
          const n = batchSize(target ?? splitBatch(b)[1]);
          lossSum += loss.item() * n;
          samples += n;
          if (output && target) this.updateMetrics(output, target);
        });
      }
    } finally {
      this.model.train(wasTraining);
    }
    const logs: Logs = { loss: samples > 0 ? lossSum / samples : Number.NaN };
    for (const m of this.metrics) logs[m.name] = m.compute();
    return logs;
  }

  /** Model outputs for a tensor or for every batch of a source (concatenated along dim 0). */
  async predict(input: Tensor | BatchSource): Promise<Tensor> {
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      if (input instanceof Tensor) return noGrad(() => this.model.forward(input) as Tensor);
      const outputs: Tensor[] = [];
      for await (const b of input) {
        const x = b instanceof Tensor ? b : b[0]!;
        outputs.push(noGrad(() => this.model.forward(x) as Tensor));
      }
      if (outputs.length === 0) throw new ValueError('predict: the data source yielded no batches');
      return cat(outputs, 0);
    } finally {
      this.model.train(wasTraining);
    }
  }
}

function splitBatch(batch: Batch): [Tensor, Tensor] {
  if (batch instanceof Tensor || !Array.isArray(batch) || batch.length < 2) {
    throw new ValueError(
      'Trainer: a batch must be [input, target]; override trainStep for other shapes of batch',
    );
  }
  return [batch[0]!, batch[1]!];
}

function batchSize(t: Tensor | undefined): number {
  return t && t.ndim > 0 ? t.shape[0]! : 1;
}
