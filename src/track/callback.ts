import type { Callback, TrainContext } from '../train/callback.js';
import { type Run, type StartRunOptions, startRun } from './run.js';
import type { ParamValue, TrackStore } from './types.js';

/** Options of {@link TrackingCallback}. */
export interface TrackingCallbackOptions {
  experiment?: string;
  name?: string;
  store?: string | TrackStore;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  /** Also log the batch's loss (`batch_loss`), lr and other batch values (`batch_<key>`) every this many batches; 0 = epochs only. Default 0. */
  logEvery?: number;
  /** Log to this already started run instead of starting one (`kiln train` does, to add its files). */
  run?: Run;
  /** Passed to startRun when the callback starts the run. */
  runOptions?: Omit<StartRunOptions, 'experiment' | 'name' | 'store' | 'params' | 'tags'>;
}

/**
 * Logs a Trainer's training to the tracking store: the epoch's values (`loss`, metrics,
 * `val_*`, `lr`) at every epoch end, optionally the batch loss and lr every `logEvery`
 * batches, samples/s and process resources. Steps are the optimizer's global step, so epoch
 * and batch curves share an axis; each point also records its epoch.
 *
 * @example
 * ```ts
 * const tracking = new k.track.TrackingCallback({ experiment: 'mnist', logEvery: 50 });
 * await new k.train.Trainer({ model, optimizer, loss, callbacks: [tracking] }).fit(loader, { epochs: 3 });
 * console.log(tracking.run?.id);
 * ```
 */
export class TrackingCallback implements Callback {
  private current: Run | null;
  private readonly startedHere: boolean;
  private lastSamples = 0;

  constructor(private readonly options: TrackingCallbackOptions = {}) {
    this.current = options.run ?? null;
    this.startedHere = !options.run;
  }

  /** The run being logged to (null before training begins). */
  get run(): Run | null {
    return this.current;
  }

  async onTrainBegin(): Promise<void> {
    if (this.current) return;
    const o = this.options;
    this.current = await startRun({
      ...o.runOptions,
      ...(o.experiment ? { experiment: o.experiment } : {}),
      ...(o.name ? { name: o.name } : {}),
      ...(o.store ? { store: o.store } : {}),
      ...(o.params ? { params: o.params } : {}),
      ...(o.tags ? { tags: o.tags } : {}),
    });
  }

  onEpochBegin(ctx: TrainContext): void {
    if (this.current) this.current.epoch = ctx.epoch;
    this.lastSamples = 0;
  }

  onBatchEnd(ctx: TrainContext): void {
    const run = this.current;
    if (!run) return;
    run.countSamples(ctx.samples - this.lastSamples);
    this.lastSamples = ctx.samples;
    run.keepAlive();
    const every = this.options.logEvery ?? 0;
    if (every > 0 && (ctx.batch + 1) % every === 0) {
      // The batch's own loss; the running epoch mean (`loss`) is logged at the epoch's end.
      for (const key in ctx.logs)
        if (key !== 'loss')
          run.logMetric(
            key === 'batchLoss' ? 'batch_loss' : `batch_${key}`,
            ctx.logs[key]!,
            ctx.step,
          );
      const lr = ctx.optimizer.paramGroups[0]?.lr;
      if (typeof lr === 'number') run.logMetric('batch_lr', lr, ctx.step);
    }
  }

  async onEpochEnd(ctx: TrainContext): Promise<void> {
    const run = this.current;
    if (!run) return;
    run.logMetrics(ctx.logs, ctx.step);
    const lr = ctx.optimizer.paramGroups[0]?.lr;
    if (typeof lr === 'number' && !('lr' in ctx.logs)) run.logMetric('lr', lr, ctx.step);
    await run.flush();
  }

  async onTrainEnd(): Promise<void> {
    if (!this.current) return;
    if (this.startedHere) await this.current.end('finished');
    else await this.current.flush();
  }
}
