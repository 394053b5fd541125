import { ValueError } from '../tensor/errors.js';
import type { Callback, TrainContext } from '../train/callback.js';
import { type Trial, TrialPruned } from './trial.js';

/** Options of TuneCallback. @example `new k.tune.TuneCallback(trial, { monitor: 'val_accuracy' })` */
export interface TuneCallbackOptions {
  /** The logged value reported each epoch (default 'val_loss'). */
  monitor?: string;
}

/**
 * Reports a monitored value to the trial after each epoch and ends a trial its pruner stops, as
 * Optuna's Keras and Lightning pruning callbacks: `fit` is interrupted by `TrialPruned`, which the
 * study records as a pruned trial. The step reported is the epoch (from 0).
 *
 * @example
 * ```ts
 * await study.optimize(async (trial) => {
 *   const trainer = new k.train.Trainer({ model, optimizer, loss: k.F.crossEntropy,
 *     callbacks: [new k.tune.TuneCallback(trial, { monitor: 'val_loss' })] });
 *   const history = await trainer.fit(train, { epochs: 20, validation: val });
 *   return history.history.val_loss.at(-1);
 * });
 * ```
 */
export class TuneCallback implements Callback {
  readonly monitor: string;

  constructor(
    readonly trial: Trial,
    options: TuneCallbackOptions = {},
  ) {
    for (const key of Object.keys(options)) {
      if (key !== 'monitor')
        throw new ValueError(`TuneCallback: unknown option '${key}' (expected monitor)`);
    }
    this.monitor = options.monitor ?? 'val_loss';
  }

  onEpochEnd(ctx: TrainContext): void {
    const value = ctx.logs[this.monitor];
    if (value === undefined) {
      throw new ValueError(
        `TuneCallback: '${this.monitor}' is not logged (logged: ${Object.keys(ctx.logs).join(', ') || 'nothing'}); pass validation data to fit for val_ values`,
      );
    }
    this.trial.report(value, ctx.epoch);
    if (this.trial.shouldPrune()) {
      ctx.stopTraining = true;
      throw new TrialPruned(
        `trial ${this.trial.number} pruned at epoch ${ctx.epoch} (${this.monitor} = ${value})`,
      );
    }
  }
}
