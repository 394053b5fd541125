import type { Callback, Logs, TrainContext } from '../callback.js';

/** Where the bar writes: a stream with an optional TTY flag (stdout by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of `ProgressBar`. */
export interface ProgressBarOptions {
  stream?: ProgressStream;
  /** Bar width in characters (default 30). */
  width?: number;
  /** Minimum milliseconds between redraws on a TTY (default 100). */
  intervalMs?: number;
}

/** Formats seconds as `1:05` or `12s`. */
function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

function formatLogs(logs: Logs, skip: readonly string[] = []): string {
  return Object.entries(logs)
    .filter(([k]) => !skip.includes(k))
    .map(
      ([k, v]) =>
        `${k} ${Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)}`,
    )
    .join('  ');
}

/**
 * Keras-like progress: on a TTY a live bar with batch count, ETA, throughput and running loss;
 * elsewhere (CI, log files) one line per epoch.
 *
 * @example
 * ```ts
 * new k.train.Trainer({ model, optimizer, loss, callbacks: [new k.train.ProgressBar()] });
 * ```
 */
export class ProgressBar implements Callback {
  private readonly stream: ProgressStream;
  private epochStart = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;

  constructor(readonly options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stdout;
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  onEpochBegin(ctx: TrainContext): void {
    this.epochStart = performance.now();
    this.lastDraw = Number.NEGATIVE_INFINITY; // the first batch is always drawn
    if (this.tty) this.stream.write(`Epoch ${ctx.epoch + 1}/${ctx.epochs}\n`);
  }

  onBatchEnd(ctx: TrainContext): void {
    if (!this.tty) return;
    const now = performance.now();
    const total = ctx.batchesPerEpoch;
    const done = ctx.batch + 1;
    if (now - this.lastDraw < (this.options.intervalMs ?? 100) && done !== total) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const width = this.options.width ?? 30;
    const fraction = total ? Math.min(done / total, 1) : 0;
    const filled = Math.round(fraction * width);
    const bar = total
      ? `[${'='.repeat(Math.max(filled - 1, 0))}${filled > 0 ? '>' : ''}${'.'.repeat(width - filled)}]`
      : '';
    const eta = total ? (elapsed / done) * (total - done) : Number.NaN;
    const rate = ctx.samples / Math.max(elapsed, 1e-9);
    const counter = total ? `${String(done).padStart(String(total).length)}/${total}` : `${done}`;
    const timing =
      total && done < total ? `ETA ${formatSeconds(eta)}` : `${formatSeconds(elapsed)}`;
    const line = `${counter} ${bar} ${timing}  ${rate.toFixed(0)} samples/s  ${formatLogs(ctx.logs, ['batchLoss'])}`;
    this.stream.write(`\r${line}\x1b[K`);
  }

  onEpochEnd(ctx: TrainContext): void {
    const elapsed = (performance.now() - this.epochStart) / 1000;
    const summary = `${elapsed.toFixed(1)}s  ${formatLogs(ctx.logs, ['seconds'])}`;
    if (this.tty) this.stream.write(`\r\x1b[K${summary}\n`);
    else this.stream.write(`Epoch ${ctx.epoch + 1}/${ctx.epochs}  ${summary}\n`);
  }
}
