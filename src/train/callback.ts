import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';

/** Numbers logged by the training loop: `loss`, metrics, and `val_`-prefixed validation values. */
export type Logs = Record<string, number>;

/**
 * What every callback hook receives. `logs` holds the running batch values in batch hooks and
 * the epoch's final values in epoch hooks. Set `stopTraining` to end `fit` after the current
 * batch.
 */
export interface TrainContext {
  readonly model: Module;
  readonly optimizer: Optimizer;
  /** Current epoch, counted from 0. */
  epoch: number;
  /** Total epochs `fit` runs to. */
  epochs: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Batches per epoch when the loader knows it, else undefined. */
  batchesPerEpoch: number | undefined;
  /** Optimizer steps taken since training began (counts across resumes). */
  step: number;
  /** Samples seen in the current epoch. */
  samples: number;
  logs: Logs;
  /** Set to true to stop training after the current batch. */
  stopTraining: boolean;
  /**
   * True while the current batch's gradients only accumulate (`accumulateGradSteps` > 1 and
   * no optimizer step follows this batch); set before `onBatchBegin`.
   */
  accumulating?: boolean;
  /** The current batch's input and target, in batch hooks. */
  input?: Tensor;
  target?: Tensor;
}

/**
 * A training callback, as Keras's: every hook is optional and may be async.
 *
 * @example
 * ```ts
 * const printer: k.train.Callback = {
 *   onEpochEnd: (ctx) => console.log(ctx.epoch, ctx.logs.loss),
 * };
 * ```
 */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(ctx: TrainContext): void | Promise<void>;
  onBatchBegin?(ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(ctx: TrainContext): void | Promise<void>;
  /**
   * After backward has produced the gradients of an optimizer step (summed over accumulated
   * batches) and before gradient clipping and `optimizer.step()`: the place to synchronize
   * gradients across processes (DistributedDataParallel does) or to inspect or edit them.
   */
  onBeforeOptimizerStep?(ctx: TrainContext): void | Promise<void>;
}

/**
 * A model that brings its own callback, run first by a Trainer given it (DistributedDataParallel
 * averages gradients across processes this way).
 *
 * @example
 * ```ts
 * const providesCallback = 'trainerCallback' in model;
 * ```
 */
export interface CallbackProvider {
  readonly trainerCallback: Callback;
}

/** Whether `model` implements `CallbackProvider`. */
export function providesCallback(model: object): model is CallbackProvider {
  const cb = (model as Partial<CallbackProvider>).trainerCallback;
  return typeof cb === 'object' && cb !== null;
}

/** The hook names, in the order a training run calls them. */
export type Hook = keyof Callback;

/** Calls one hook on every callback in order, awaiting async ones. */
export async function runHook(
  callbacks: readonly Callback[],
  hook: Hook,
  ctx: TrainContext,
): Promise<void> {
  for (const cb of callbacks) {
    const fn = cb[hook];
    if (fn) {
      const result = fn.call(cb, ctx);
      if (result) await result;
    }
  }
}

/** Picks the improvement direction of a monitored value: `auto` reads it from the name. */
export function resolveMode(mode: 'min' | 'max' | 'auto', monitor: string): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  const maximized = /acc|accuracy|auc|f1|precision|recall|r2/.test(monitor);
  return maximized ? 'max' : 'min';
}
