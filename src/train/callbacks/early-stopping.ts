import { noGrad } from '../../autograd/grad-mode.js';
import { ConfigError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { type Callback, resolveMode, type TrainContext } from '../callback.js';

/** Options of `EarlyStopping`, with Keras's names and defaults. */
export interface EarlyStoppingOptions {
  /** The logged value to watch (default 'val_loss'). */
  monitor?: string;
  /** 'min', 'max', or 'auto' (max for accuracy-like names). */
  mode?: 'min' | 'max' | 'auto';
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Load the best epoch's weights back when training ends (default false). */
  restoreBestWeights?: boolean;
  /** Stop unless the value beats this baseline within `patience` epochs. */
  baseline?: number;
}

/** The counters of an `EarlyStopping`, saved with checkpoints so that a resumed run goes on where it was. */
export interface EarlyStoppingState {
  best: number;
  bestEpoch: number;
  wait: number;
}

/**
 * Stops training when a monitored value stops improving, as Keras's EarlyStopping.
 *
 * @example
 * ```ts
 * new k.train.EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * ```
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly options: EarlyStoppingOptions;
  private mode: 'min' | 'max' = 'min';
  /** Best value seen so far. */
  best = Number.NaN;
  /** Epoch of the best value (from 0). */
  bestEpoch = -1;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  private bestWeights: Record<string, Tensor> | null = null;
  private resumed: {
    state: EarlyStoppingState;
    bestWeights: Record<string, Tensor> | null;
  } | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.options = options;
    this.monitor = options.monitor ?? 'val_loss';
    this.patience = options.patience ?? 0;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new ConfigError(
        `EarlyStopping: patience must be a non-negative integer, got ${this.patience}`,
      );
    }
  }

  onTrainBegin(): void {
    this.mode = resolveMode(this.options.mode ?? 'auto', this.monitor);
    this.best = this.options.baseline ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.bestEpoch = -1;
    this.wait = 0;
    this.stoppedEpoch = -1;
    this.bestWeights = null;
    if (this.resumed) {
      ({ best: this.best, bestEpoch: this.bestEpoch, wait: this.wait } = this.resumed.state);
      this.bestWeights = this.resumed.bestWeights;
      this.resumed = null;
    }
  }

  /** The counters to save with a checkpoint. */
  stateDict(): EarlyStoppingState {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  /**
   * Continues from saved counters when the next `fit` begins (a resume). `bestWeights` are the
   * best epoch's weights, for `restoreBestWeights`; without them the weights of epochs before the
   * resume cannot be restored.
   */
  loadStateDict(state: EarlyStoppingState, bestWeights?: Record<string, Tensor>): void {
    this.resumed = { state: { ...state }, bestWeights: bestWeights ? snapshot(bestWeights) : null };
  }

  private improves(value: number): boolean {
    return this.mode === 'min'
      ? value < this.best - this.minDelta
      : value > this.best + this.minDelta;
  }

  onEpochEnd(ctx: TrainContext): void {
    const value = ctx.logs[this.monitor];
    if (value === undefined) {
      throw new ConfigError(
        `EarlyStopping: monitor '${this.monitor}' is not logged (available: ${Object.keys(ctx.logs).join(', ')})`,
      );
    }
    this.wait++;
    if (this.improves(value)) {
      this.best = value;
      this.bestEpoch = ctx.epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = snapshot(ctx.model.stateDict());
      return;
    }
    if (this.wait > this.patience) {
      this.stoppedEpoch = ctx.epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    if (this.restoreBestWeights && this.bestWeights) ctx.model.loadStateDict(this.bestWeights);
  }
}

/** Copies a state dict, so later training does not change the snapshot. */
export function snapshot(state: Record<string, Tensor>): Record<string, Tensor> {
  return noGrad(() =>
    Object.fromEntries(Object.entries(state).map(([k, v]) => [k, v.detach().clone()])),
  );
}
