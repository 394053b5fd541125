/**
 * `k.train`: the Trainer (`fit`/`evaluate`/`predict`), callbacks, metrics and history.
 *
 * @example
 * ```ts
 * const trainer = new k.train.Trainer({ model, optimizer, loss: k.F.crossEntropy, metrics: ['accuracy'] });
 * await trainer.fit(loader, { epochs: 5 });
 * ```
 */
export type { Callback, Hook, Logs, TrainContext } from './callback.js';
export { CSVLogger } from './callbacks/csv-logger.js';
export type { EarlyStoppingOptions } from './callbacks/early-stopping.js';
export { EarlyStopping } from './callbacks/early-stopping.js';
export type { ModelCheckpointOptions } from './callbacks/model-checkpoint.js';
export { ModelCheckpoint } from './callbacks/model-checkpoint.js';
export type { ReduceLROnPlateauCallbackOptions } from './callbacks/plateau.js';
export { ReduceLROnPlateau } from './callbacks/plateau.js';
export type { ProgressBarOptions, ProgressStream } from './callbacks/progress-bar.js';
export { ProgressBar } from './callbacks/progress-bar.js';
export type { LambdaHooks, LearningRateSchedulerOptions } from './callbacks/simple.js';
export { LambdaCallback, LearningRateScheduler, TerminateOnNaN } from './callbacks/simple.js';
export { History } from './history.js';
export * from './metrics/index.js';
export type { SchedulerLike } from './steps.js';
export type {
  Batch,
  BatchSource,
  FitOptions,
  LossFn,
  StepOutput,
  TrainerOptions,
} from './trainer.js';
export { Trainer } from './trainer.js';
