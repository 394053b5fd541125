import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointScheduler, saveCheckpoint } from '../../io/checkpoint.js';
import { ConfigError } from '../../tensor/errors.js';
import { type Callback, resolveMode, type TrainContext } from '../callback.js';

/** Options of `ModelCheckpoint`. */
export interface ModelCheckpointOptions {
  /** Folder that receives `last/`, `best/` and (with saveTopK > 1) `epoch-NNNN/` checkpoints. */
  dir: string;
  /** The logged value that ranks checkpoints (default 'val_loss'). */
  monitor?: string;
  mode?: 'min' | 'max' | 'auto';
  /** Keep `best/`, the checkpoint with the best monitored value (default true). */
  saveBest?: boolean;
  /** Keep `last/`, rewritten after every epoch, for resuming (default true). */
  saveLast?: boolean;
  /** Also keep the k best epochs as `epoch-NNNN/` folders (default 0: none). */
  saveTopK?: number;
  /** A scheduler whose state is saved with each checkpoint. */
  scheduler?: CheckpointScheduler;
  /** Configuration saved with each checkpoint (e.g. the resolved training config). */
  config?: unknown;
  /** Extra JSON data saved with each checkpoint, computed when it is written. */
  extra?: (ctx: TrainContext) => unknown;
}

/**
 * Saves checkpoints (model, optimizer, scheduler, epoch, step, RNG, metrics) at the end of each
 * epoch, atomically: a crash mid-save leaves the previous checkpoint intact.
 *
 * @example
 * ```ts
 * new k.train.ModelCheckpoint({ dir: 'runs/exp1/checkpoints', monitor: 'val_accuracy' });
 * ```
 */
export class ModelCheckpoint implements Callback {
  readonly monitor: string;
  /** Best monitored value so far. */
  best = Number.NaN;
  private mode: 'min' | 'max' = 'min';
  private topK: { value: number; dir: string }[] = [];

  constructor(readonly options: ModelCheckpointOptions) {
    this.monitor = options.monitor ?? 'val_loss';
    const k = options.saveTopK ?? 0;
    if (!Number.isInteger(k) || k < 0)
      throw new ConfigError(`ModelCheckpoint: saveTopK must be a non-negative integer, got ${k}`);
  }

  async onTrainBegin(): Promise<void> {
    this.mode = resolveMode(this.options.mode ?? 'auto', this.monitor);
    if (Number.isNaN(this.best)) this.best = this.mode === 'min' ? Infinity : -Infinity;
    if ((this.options.saveTopK ?? 0) > 0 && this.topK.length === 0) await this.findTopK();
  }

  /** Ranks the `epoch-NNNN/` checkpoints already in `dir` (a resume), so at most k are kept. */
  private async findTopK(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch {
      return;
    }
    for (const name of names.filter((n) => /^epoch-\d{4,}$/.test(n)).sort()) {
      const dir = join(this.options.dir, name);
      let manifest: { metrics?: Record<string, unknown> } | null = null;
      try {
        manifest = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8'));
      } catch {
        // Saves are atomic, so this is what a crash during a removal leaves: finish removing it.
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const value = manifest?.metrics?.[this.monitor];
      if (typeof value === 'number' && Number.isFinite(value)) this.topK.push({ value, dir });
    }
    this.topK.sort((a, b) => (this.better(a.value, b.value) ? -1 : 1));
    // A crash between writing a new top-k checkpoint and removing the one it displaced.
    const k = this.options.saveTopK ?? 0;
    while (this.topK.length > k) await rm(this.topK.pop()!.dir, { recursive: true, force: true });
  }

  /** Restores the best value after a resume, so `best/` is only replaced by a better epoch. */
  setBest(value: number): void {
    this.best = value;
  }

  private better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b : a > b;
  }

  private async write(dir: string, ctx: TrainContext): Promise<void> {
    await saveCheckpoint(dir, {
      model: ctx.model,
      optimizer: ctx.optimizer,
      ...(this.options.scheduler ? { scheduler: this.options.scheduler } : {}),
      epoch: ctx.epoch + 1,
      step: ctx.step,
      metrics: { ...ctx.logs, [`best_${this.monitor}`]: this.best },
      config: this.options.config ?? null,
      extra: this.options.extra ? this.options.extra(ctx) : null,
    });
  }

  async onEpochEnd(ctx: TrainContext): Promise<void> {
    const value = ctx.logs[this.monitor];
    const ranked = value !== undefined && Number.isFinite(value);
    const wantsRanking = (this.options.saveBest ?? true) || (this.options.saveTopK ?? 0) > 0;
    if (value === undefined && wantsRanking) {
      throw new ConfigError(
        `ModelCheckpoint: monitor '${this.monitor}' is not logged (available: ${Object.keys(ctx.logs).join(', ')})`,
      );
    }
    const improved = ranked && this.better(value, this.best);
    if (improved) this.best = value;
    if (this.options.saveBest ?? true) {
      if (improved) await this.write(join(this.options.dir, 'best'), ctx);
    }
    const k = this.options.saveTopK ?? 0;
    if (k > 0 && ranked) {
      const worst = this.topK[this.topK.length - 1];
      if (this.topK.length < k || (worst && this.better(value, worst.value))) {
        const dir = join(this.options.dir, `epoch-${String(ctx.epoch + 1).padStart(4, '0')}`);
        await this.write(dir, ctx);
        // A resumed run may redo an epoch saved before the crash: it replaces that entry.
        this.topK = this.topK.filter((e) => e.dir !== dir);
        this.topK.push({ value, dir });
        this.topK.sort((a, b) => (this.better(a.value, b.value) ? -1 : 1));
        while (this.topK.length > k)
          await rm(this.topK.pop()!.dir, { recursive: true, force: true });
      }
    }
    // `last/` is written after `best/`, so a resume always finds a best at least as new as last.
    if (this.options.saveLast ?? true) await this.write(join(this.options.dir, 'last'), ctx);
  }
}
