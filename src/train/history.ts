import type { Logs } from './callback.js';

/**
 * The per-epoch logs of a `fit` run, as Keras's History: `history.history.loss[e]` or
 * `history.epochs[e].val_accuracy`.
 *
 * @example
 * ```ts
 * const history = await trainer.fit(loader, { epochs: 3 });
 * console.log(history.history.loss); // one value per epoch
 * ```
 */
export class History {
  /** One record per completed epoch. */
  readonly epochs: Logs[] = [];
  /** Epoch numbers (from 0) of the records, which start at `initialEpoch` on a resume. */
  readonly epochIndices: number[] = [];

  /** Appends an epoch's logs. */
  push(epoch: number, logs: Logs): void {
    this.epochs.push({ ...logs });
    this.epochIndices.push(epoch);
  }

  /** Each logged name mapped to its values per epoch. */
  get history(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const logs of this.epochs) {
      for (const [key, value] of Object.entries(logs)) {
        out[key] ??= [];
        out[key].push(value);
      }
    }
    return out;
  }

  /** The last epoch's logs, or an empty object. */
  get last(): Logs {
    return this.epochs[this.epochs.length - 1] ?? {};
  }
}
