import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Callback, TrainContext } from '../callback.js';

/**
 * Writes one CSV row per epoch (`epoch,loss,accuracy,...,val_loss,...`). The whole file is
 * rewritten atomically each epoch, so a crash never leaves a torn line. With `append`, rows of
 * an earlier run (a resume) are kept.
 *
 * @example
 * ```ts
 * new k.train.CSVLogger('runs/exp1/metrics.csv', { append: true });
 * ```
 */
export class CSVLogger implements Callback {
  private columns: string[] = [];
  private rows: string[] = [];

  constructor(
    readonly path: string,
    readonly options: { append?: boolean; separator?: string } = {},
  ) {}

  onTrainBegin(): void {
    this.rows = [];
    this.columns = [];
    mkdirSync(dirname(this.path), { recursive: true });
    if (!this.options.append) return;
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n').filter((l) => l.length > 0);
    if (lines.length === 0) return;
    this.columns = lines[0]!.split(this.separator).slice(1);
    this.rows = lines.slice(1);
  }

  private get separator(): string {
    return this.options.separator ?? ',';
  }

  async onEpochEnd(ctx: TrainContext): Promise<void> {
    for (const key of Object.keys(ctx.logs))
      if (!this.columns.includes(key)) this.columns.push(key);
    const cells = this.columns.map((c) => {
      const v = ctx.logs[c];
      return v === undefined ? '' : String(v);
    });
    // A resumed run may repeat an epoch that was logged before the crash: keep the newest row.
    const epoch = String(ctx.epoch + 1);
    this.rows = this.rows.filter((r) => r.split(this.separator)[0] !== epoch);
    this.rows.push([epoch, ...cells].join(this.separator));
    // Rows written before a column first appeared get an empty cell, so every row stays as wide
    // as the header.
    const width = this.columns.length + 1;
    this.rows = this.rows.map((r) => {
      const n = r.split(this.separator).length;
      return n < width ? r + this.separator.repeat(width - n) : r;
    });
    const header = ['epoch', ...this.columns].join(this.separator);
    await writeFileAtomic(this.path, `${[header, ...this.rows].join('\n')}\n`);
  }
}
