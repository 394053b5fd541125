import { ValueError } from '../../tensor/errors.js';
import type { Optimizer } from '../optimizer.js';
import { perGroup } from './scheduler.js';

/** Options of {@link ReduceLROnPlateau}, PyTorch's keywords in camelCase. */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': it should rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max';
  /** Factor applied to the learning rate on a plateau (default 0.1, must be < 1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** Whether `threshold` is relative to the best value or absolute (default 'rel'). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again (default 0). */
  cooldown?: number;
  /** Lower bound of the learning rate, one value or one per group (default 0). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/** The JSON-safe state of a {@link ReduceLROnPlateau}; infinite `best` values are strings. */
// A type alias (not an interface) so that it is assignable to Record<string, unknown>.
export type PlateauStateDict = {
  lastEpoch: number;
  best: number | 'inf' | '-inf';
  numBadEpochs: number;
  cooldownCounter: number;
  lastLr: number[];
  options: Required<Omit<ReduceLROnPlateauOptions, 'minLr'>> & { minLr: number[] };
};

/**
 * Reduces the learning rate when a metric stops improving, as
 * `torch.optim.lr_scheduler.ReduceLROnPlateau`. Not a function of the step count: its state
 * (best value, bad-epoch and cooldown counters) is in `stateDict()`.
 *
 * @example
 * ```ts
 * const sched = new k.optim.lrScheduler.ReduceLROnPlateau(opt, { mode: 'min', patience: 3 });
 * for (const epoch of epochs) { const valLoss = evaluate(); sched.step(valLoss); }
 * ```
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  /** Number of `step` calls so far. */
  lastEpoch = 0;
  /** The best metric seen so far. */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private opts: PlateauStateDict['options'];
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizer;
    const factor = options.factor ?? 0.1;
    if (!(factor < 1))
      throw new ValueError(`ReduceLROnPlateau: invalid factor ${factor}; expected < 1`);
    this.opts = {
      mode: options.mode ?? 'min',
      factor,
      patience: options.patience ?? 10,
      threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel',
      cooldown: options.cooldown ?? 0,
      minLr: perGroup(optimizer, 'ReduceLROnPlateau', 'minLr', options.minLr ?? 0),
      eps: options.eps ?? 1e-8,
    };
    this.checkModes();
    this.best = this.worst();
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private checkModes(): void {
    const { mode, thresholdMode } = this.opts;
    if (mode !== 'min' && mode !== 'max')
      throw new ValueError(
        `ReduceLROnPlateau: unknown mode '${String(mode)}'; expected 'min' or 'max'`,
      );
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw new ValueError(
        `ReduceLROnPlateau: unknown thresholdMode '${String(thresholdMode)}'; expected 'rel' or 'abs'`,
      );
  }

  private worst(): number {
    return this.opts.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  private isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.opts;
    if (mode === 'min')
      return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records the epoch's metric and reduces the learning rate after `patience` bad epochs. */
  step(metric: number): void {
    const current = Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      // Bad epochs during the cooldown do not count.
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.opts.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.opts.factor, this.opts.minLr[i]!);
        if (g.lr - newLr > this.opts.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.opts.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates after the last step, one per param group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** JSON-safe state. */
  stateDict(): PlateauStateDict {
    // Stryker disable next-line EqualityOperator: best is +-Infinity here, so > 0 and >= 0 agree
    const best = Number.isFinite(this.best) ? this.best : this.best > 0 ? 'inf' : '-inf';
    return {
      lastEpoch: this.lastEpoch,
      best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: [...this.lastLr],
      options: { ...this.opts, minLr: [...this.opts.minLr] },
    };
  }

  /** Restores a state from `stateDict()` (the learning rates live in the optimizer's state). */
  loadStateDict(sd: PlateauStateDict): void {
    if (!sd || typeof sd.lastEpoch !== 'number')
      throw new ValueError('ReduceLROnPlateau.loadStateDict: expected a state from stateDict()');
    this.opts = { ...this.opts, ...sd.options, minLr: [...(sd.options?.minLr ?? this.opts.minLr)] };
    this.checkModes();
    this.lastEpoch = sd.lastEpoch;
    this.best =
      sd.best === 'inf'
        ? Number.POSITIVE_INFINITY
        : sd.best === '-inf'
          ? Number.NEGATIVE_INFINITY
          : sd.best;
    this.numBadEpochs = sd.numBadEpochs;
    this.cooldownCounter = sd.cooldownCounter;
    this.lastLr = [...sd.lastLr];
  }
}
