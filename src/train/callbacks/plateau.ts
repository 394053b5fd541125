import {
  ReduceLROnPlateau as PlateauScheduler,
  type PlateauStateDict,
  type ReduceLROnPlateauOptions,
} from '../../optim/lr-scheduler/plateau.js';
import { ConfigError } from '../../tensor/errors.js';
import { type Callback, resolveMode, type TrainContext } from '../callback.js';

/** Options of the `ReduceLROnPlateau` callback: the scheduler's options plus what to watch. */
export interface ReduceLROnPlateauCallbackOptions extends ReduceLROnPlateauOptions {
  /** The logged value to watch (default 'val_loss'). */
  monitor?: string;
}

/**
 * Wires `optim.lrScheduler.ReduceLROnPlateau` to a logged value, as Keras's callback of the same
 * name: after each epoch the scheduler sees `logs[monitor]` and may cut the learning rate.
 *
 * @example
 * ```ts
 * new k.train.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2 });
 * ```
 */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  /** The scheduler, created when training begins (it needs the optimizer). */
  scheduler: PlateauScheduler | null = null;
  private resumed: PlateauStateDict | null = null;

  constructor(readonly options: ReduceLROnPlateauCallbackOptions = {}) {
    this.monitor = options.monitor ?? 'val_loss';
  }

  onTrainBegin(ctx: TrainContext): void {
    if (this.scheduler) return;
    const { monitor: _monitor, ...rest } = this.options;
    const mode = this.options.mode ?? resolveMode('auto', this.monitor);
    this.scheduler = new PlateauScheduler(ctx.optimizer, { ...rest, mode });
    if (this.resumed) this.scheduler.loadStateDict(this.resumed);
    this.resumed = null;
  }

  /** The scheduler's state (best value, bad-epoch and cooldown counters), for checkpoints. */
  stateDict(): PlateauStateDict | null {
    return this.scheduler?.stateDict() ?? this.resumed;
  }

  /** Continues from a saved state (a resume); applied when training begins if not yet running. */
  loadStateDict(state: PlateauStateDict): void {
    if (this.scheduler) this.scheduler.loadStateDict(state);
    else this.resumed = state;
  }

  onEpochEnd(ctx: TrainContext): void {
    const value = ctx.logs[this.monitor];
    if (value === undefined) {
      throw new ConfigError(
        `ReduceLROnPlateau: monitor '${this.monitor}' is not logged (available: ${Object.keys(ctx.logs).join(', ')})`,
      );
    }
    // The epoch's logs carry the lr it trained with, as in Keras; a cut applies from the next one.
    ctx.logs.lr = ctx.optimizer.paramGroups[0]?.lr ?? Number.NaN;
    this.scheduler!.step(value);
  }
}
