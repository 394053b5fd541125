import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { save } from '../io/files.js';
import type { Module } from '../nn/module.js';
import { DataError, KilnError } from '../tensor/errors.js';
import type { Callback, TrainContext } from '../train/callback.js';
import type { EarlyStopping } from '../train/callbacks/early-stopping.js';
import { hasLastCheckpoint, RUN_FILES } from './run-dir.js';

/** Training produced a non-finite loss: a failed run (exit 1), not a result. */
export class TrainingDiverged extends KilnError {}

/** The checksum file written next to a run's final weights, in `sha256sum` format. */
const SHA_SUFFIX = '.sha256';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Saves the final weights and their SHA-256 (`model.safetensors.sha256`, checkable with
 * `sha256sum -c`), as checkpoints carry theirs, so a damaged file is caught when loaded.
 */
export async function saveFinalModel(runDir: string, model: Module): Promise<void> {
  const path = join(runDir, RUN_FILES.weights);
  await save(path, model.stateDict(), { format: 'pt', producer: 'kiln' });
  const digest = sha256(await readFile(path));
  await writeFileAtomic(`${path}${SHA_SUFFIX}`, `${digest}  ${RUN_FILES.weights}\n`);
}

/**
 * Checks a run's final weights against the recorded SHA-256 (runs written before the checksum
 * existed have none and are not checked). Throws a `DataError` naming the file when they differ.
 */
export async function verifyFinalModel(path: string): Promise<void> {
  const shaPath = `${path}${SHA_SUFFIX}`;
  if (!existsSync(shaPath)) return;
  const expected = readFileSync(shaPath, 'utf8').trim().split(/\s+/)[0];
  const actual = sha256(await readFile(path));
  if (actual !== expected)
    throw new DataError(
      `${path} is corrupt: its SHA-256 differs from the one recorded in ${shaPath} (use a checkpoint in checkpoints/, or train again)`,
    );
}

/**
 * Fails the run at the first batch whose loss is NaN or infinite, before the epoch's checkpoint
 * is written, so checkpoints/last keeps the last finite epoch to resume from.
 */
export class FailOnNaN implements Callback {
  onBatchEnd(ctx: TrainContext): void {
    const loss = ctx.logs.batchLoss ?? ctx.logs.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    const resumable =
      ctx.epoch > 0
        ? `checkpoints/last holds epoch ${ctx.epoch}: continue with --resume and a smaller --lr, or set training.gradClipNorm`
        : 'no epoch finished; try a smaller learning rate or training.gradClipNorm';
    throw new TrainingDiverged(
      `training diverged: the loss is ${loss} at epoch ${ctx.epoch + 1}, batch ${ctx.batch + 1}; ${resumable}`,
    );
  }
}

/** Throws when training (with terminateOnNaN off) still ended on a non-finite loss. */
export function checkFinalLoss(epochs: readonly Record<string, number>[]): void {
  const last = epochs.at(-1);
  if (!last) return;
  for (const key of ['loss', 'val_loss']) {
    const v = last[key];
    if (v !== undefined && !Number.isFinite(v))
      throw new TrainingDiverged(
        `training ended with ${key} ${v} at epoch ${epochs.length}; no final model was saved (the data or the learning rate make the loss diverge)`,
      );
  }
}

/** The line printed when early stopping ended a run: what was watched, and where it peaked. */
export function earlyStopLine(es: EarlyStopping): string | null {
  if (es.stoppedEpoch < 0) return null;
  const restored =
    es.restoreBestWeights && es.bestEpoch >= 0
      ? `; restored the weights of epoch ${es.bestEpoch + 1}`
      : '';
  return `early stopping: ${es.monitor} did not improve for ${es.wait} epochs (best ${Number(es.best.toPrecision(6))} at epoch ${es.bestEpoch + 1}); stopped after epoch ${es.stoppedEpoch + 1}${restored}`;
}

/**
 * Removes a new run's folder when the run failed before its first checkpoint: nothing in it can
 * be resumed or evaluated, and an empty run would only mislead.
 */
export function removeUnstartedRun(runDir: string): void {
  if (!hasLastCheckpoint(runDir)) rmSync(runDir, { recursive: true, force: true });
}
