/**
 * The progress of `kiln tune`: one line per finished trial of the study (this process's and
 * other workers'), read from the store: `trial n/N`, its state and value, its parameters, the best
 * so far and the time left.
 */
import type { ParamValue } from '../../tune/distributions.js';
import type { FrozenTrial, StudyDirection } from '../../tune/frozen-trial.js';
import { countsTowardBudget, type TuneStorage } from '../../tune/storage.js';

/** Seconds as `42s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A value with 4 significant digits (small and large numbers in exponent form). */
export function formatValue(v: ParamValue): string {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** The best complete trial, or null. */
export function bestOf(trials: readonly FrozenTrial[], direction: StudyDirection) {
  const sign = direction === 'minimize' ? 1 : -1;
  let best: FrozenTrial | null = null;
  for (const t of trials)
    if (
      t.state === 'complete' &&
      t.value !== null &&
      (!best || sign * t.value < sign * best.value!)
    )
      best = t;
  return best;
}

/** Polls the study and prints each trial when it ends. */
export class TuneProgress {
  private readonly printed = new Set<number>();
  private readonly started = Date.now();
  private doneAtStart: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: TuneStorage,
    private readonly studyId: number,
    private readonly options: {
      target: number;
      metric: string;
      direction: StudyDirection;
      /** Seconds after which no trial starts, if any. */
      timeout: number | undefined;
      log: (line: string) => void;
    },
  ) {}

  /** Marks the trials finished before this run as seen (they are summarized, not listed). */
  async begin(): Promise<FrozenTrial[]> {
    const trials = [...(await this.storage.getTrials(this.studyId))];
    for (const t of trials)
      if (t.state !== 'running' && t.state !== 'waiting') this.printed.add(t.number);
    this.doneAtStart = this.printed.size;
    this.timer = setInterval(() => void this.poll(), 1000);
    this.timer.unref();
    return trials;
  }

  /** Prints trials that ended since the last poll (serialized: one poll at a time). */
  poll(): Promise<void> {
    this.polling = this.polling.then(() => this.pollOnce()).catch(() => undefined);
    return this.polling;
  }

  /** Stops polling after a last poll. */
  async end(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.poll();
  }

  private async pollOnce(): Promise<void> {
    const trials = await this.storage.getTrials(this.studyId);
    const { target, direction } = this.options;
    const fresh = trials.filter(
      (t) => !this.printed.has(t.number) && t.state !== 'running' && t.state !== 'waiting',
    );
    for (const t of fresh) {
      this.printed.add(t.number);
      const upTo = trials.filter((u) => u.number <= t.number);
      const best = bestOf(upTo, direction);
      const counted = trials.filter(
        (u) => countsTowardBudget(u) && u.state !== 'running' && u.state !== 'waiting',
      ).length;
      this.options.log(this.line(t, Math.min(counted, target), best, trials));
    }
  }

  private line(
    t: FrozenTrial,
    counted: number,
    best: FrozenTrial | null,
    trials: readonly FrozenTrial[],
  ): string {
    const { target, metric } = this.options;
    const seconds =
      t.datetimeStart !== null && t.datetimeComplete !== null
        ? (t.datetimeComplete - t.datetimeStart) / 1000
        : null;
    const value =
      t.state === 'failed'
        ? `failed: ${(t.error ?? '').slice(0, 120)}`
        : `${t.state} ${metric} ${t.value === null ? '-' : formatValue(t.value)}${t.state === 'pruned' ? ` at epoch ${t.intermediateValues.size}` : ''}`;
    const params = Object.entries(t.params)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    const bestText = best ? `best ${formatValue(best.value!)} (trial ${best.number})` : 'best -';
    const finished = trials.filter((u) => u.state !== 'running' && u.state !== 'waiting').length;
    return `trial ${t.number} (${counted}/${target}) ${value}${seconds !== null ? ` in ${formatDuration(seconds)}` : ''} | ${params} | ${bestText} | ETA ${this.eta(counted, finished)}`;
  }

  /** Time left: trials still to run at the rate trials finished since this run started. */
  private eta(counted: number, finished: number): string {
    const left = this.options.target - counted;
    if (left <= 0) return '0s';
    const elapsed = (Date.now() - this.started) / 1000;
    const done = finished - (this.doneAtStart ?? 0);
    if (done <= 0) return '?';
    let eta = (left * elapsed) / done;
    if (this.options.timeout !== undefined)
      eta = Math.min(eta, Math.max(0, this.options.timeout - elapsed));
    return formatDuration(eta);
  }
}
