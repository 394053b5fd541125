import { ConfigError } from '../../tensor/errors.js';
import type { Callback, TrainContext } from '../callback.js';
import { type SchedulerLike, stepScheduler } from '../steps.js';

/**
 * Stops training at the first batch whose loss is NaN or infinite, and says so on stderr.
 *
 * @example
 * ```ts
 * new k.train.Trainer({ model, optimizer, loss, callbacks: [new k.train.TerminateOnNaN()] });
 * ```
 */
export class TerminateOnNaN implements Callback {
  /** Batch-level record of where training was stopped, or null. */
  stoppedAt: { epoch: number; batch: number } | null = null;
  private readonly quiet: boolean;

  constructor(options: { quiet?: boolean } = {}) {
    this.quiet = options.quiet ?? false;
  }

  onBatchEnd(ctx: TrainContext): void {
    const loss = ctx.logs.batchLoss ?? ctx.logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.stoppedAt = { epoch: ctx.epoch, batch: ctx.batch };
      ctx.stopTraining = true;
      if (!this.quiet)
        process.stderr.write(
          `TerminateOnNaN: loss is ${loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1}; stopping\n`,
        );
    }
  }
}

/** Hooks given as functions, as Keras's LambdaCallback. */
export type LambdaHooks = Callback;

/**
 * A callback from plain functions.
 *
 * @example
 * ```ts
 * new k.train.LambdaCallback({ onEpochEnd: (ctx) => console.log(ctx.logs) });
 * ```
 */
export class LambdaCallback implements Callback {
  constructor(hooks: LambdaHooks) {
    Object.assign(this, hooks);
  }
}

/** Options of `LearningRateScheduler`. */
export interface LearningRateSchedulerOptions {
  /** Step once per 'epoch' (default) or per 'batch'. */
  interval?: 'epoch' | 'batch';
  /** The value a ReduceLROnPlateau scheduler watches (default val_loss, else loss). */
  monitor?: string;
}

/**
 * Drives an LR scheduler from the training loop: a kiln scheduler object, or a Keras-style
 * function `(epoch, lr) => newLr` applied to every param group.
 *
 * @example
 * ```ts
 * const sched = new k.optim.lrScheduler.StepLR(opt, { stepSize: 10, gamma: 0.1 });
 * new k.train.LearningRateScheduler(sched);
 * new k.train.LearningRateScheduler((epoch, lr) => (epoch < 5 ? lr : lr * 0.9));
 * ```
 */
export class LearningRateScheduler implements Callback {
  constructor(
    readonly schedule: SchedulerLike | ((epoch: number, lr: number) => number),
    readonly options: LearningRateSchedulerOptions = {},
  ) {
    if (
      options.interval !== undefined &&
      options.interval !== 'epoch' &&
      options.interval !== 'batch'
    ) {
      throw new ConfigError(
        `LearningRateScheduler: interval must be 'epoch' or 'batch', got '${options.interval}'`,
      );
    }
  }

  onEpochBegin(ctx: TrainContext): void {
    if (typeof this.schedule !== 'function') return;
    for (const group of ctx.optimizer.paramGroups) group.lr = this.schedule(ctx.epoch, group.lr);
  }

  onBatchEnd(ctx: TrainContext): void {
    if (typeof this.schedule !== 'function' && this.options.interval === 'batch')
      stepScheduler(this.schedule, ctx.logs);
  }

  onEpochEnd(ctx: TrainContext): void {
    // The epoch's logs carry the lr it trained with (as the Trainer's own scheduler and Keras do).
    ctx.logs.lr = ctx.optimizer.paramGroups[0]?.lr ?? Number.NaN;
    if (typeof this.schedule !== 'function' && (this.options.interval ?? 'epoch') === 'epoch') {
      stepScheduler(this.schedule, ctx.logs, this.options.monitor);
    }
  }
}
