import { ValueError } from '../tensor/errors.js';
import { contains, type Distribution, type ParamValue } from './distributions.js';
import type { AttrValue, FrozenTrial, StudyDirection, TrialState } from './frozen-trial.js';
import { HeartbeatThread } from './heartbeat.js';
import { type Objective, type OptimizeOptions, runOptimize } from './optimize.js';
import {
  applyPatch,
  countsTowardBudget,
  InMemoryStorage,
  type TrialPatch,
  type TuneStorage,
} from './storage.js';
import { Trial, type TrialHost } from './trial.js';
import type { Pruner, Sampler, StudyView } from './view.js';

/**
 * A set of trials optimizing one objective, as Optuna's Study. Create one with
 * `k.tune.createStudy` or reopen one with `k.tune.loadStudy`.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ direction: 'minimize', sampler: new k.tune.TPESampler({ seed: 0 }) });
 * await study.optimize((t) => (t.suggestFloat('x', -5, 5) - 2) ** 2, { nTrials: 50 });
 * console.log(study.bestParams, study.bestValue);
 * ```
 */
export class Study implements StudyView, TrialHost {
  private cache: FrozenTrial[] = [];
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown = null;
  private readonly local = new Map<number, FrozenTrial>();
  private stopped = false;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private heartbeatThread: HeartbeatThread | null = null;

  /** @internal */
  constructor(
    readonly storage: TuneStorage,
    readonly studyId: number,
    readonly name: string,
    readonly direction: StudyDirection,
    readonly sampler: Sampler,
    readonly pruner: Pruner,
  ) {}

  /** A snapshot of all trials, ordered by number (refreshed when trials start and end). */
  get trials(): readonly FrozenTrial[] {
    return this.getTrials();
  }

  /** Trials ordered by number, optionally only those in `states`. @example `study.getTrials(['complete'])` */
  getTrials(states?: readonly TrialState[]): readonly FrozenTrial[] {
    const all = this.liveTrials();
    return states ? all.filter((t) => states.includes(t.state)) : all.slice();
  }

  /** The best complete trial; throws when none has completed. */
  get bestTrial(): FrozenTrial {
    let best: FrozenTrial | null = null;
    const sign = this.direction === 'minimize' ? 1 : -1;
    for (const t of this.liveTrials()) {
      if (t.state !== 'complete' || t.value === null) continue;
      if (best === null || sign * t.value < sign * (best.value as number)) best = t;
    }
    if (best === null) throw new ValueError(`study '${this.name}': no trial has completed yet`);
    return best;
  }

  /** The best trial's value. */
  get bestValue(): number {
    return this.bestTrial.value as number;
  }

  /** The best trial's parameters. */
  get bestParams(): Readonly<Record<string, ParamValue>> {
    return this.bestTrial.params;
  }

  /**
   * Runs the objective on new trials until `nTrials` have run, `timeout` seconds have passed, or
   * `study.stop()` is called. A trial whose objective throws is recorded as failed with the error
   * message and the study goes on; `TrialPruned` ends it as pruned. With `nJobs > 1` and an
   * objective given as a module (`{ module, exportName }`), trials run in worker threads.
   *
   * @example
   * ```ts
   * await study.optimize(objective, { nTrials: 100, timeout: 600 });
   * ```
   */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<void> {
    this.stopped = false;
    await runOptimize(this, objective, options);
  }

  /** Asks `optimize` to start no new trial (the running ones finish). @example `study.stop()` */
  stop(): void {
    this.stopped = true;
  }

  /** Whether `stop()` was called during the current `optimize`. @internal */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Queues a trial whose parameters are fixed to `params` (others are sampled); it runs before any
   * new sampled trial, in the order enqueued.
   *
   * @example
   * ```ts
   * await study.enqueueTrial({ lr: 0.001, units: 64 });
   * ```
   */
  async enqueueTrial(params: Record<string, ParamValue>): Promise<void> {
    if (params === null || typeof params !== 'object') {
      throw new ValueError('enqueueTrial: params must be an object of parameter values');
    }
    await this.storage.createTrial(this.studyId, { state: 'waiting', fixedParams: params });
    await this.refresh();
  }

  /**
   * Starts a trial (an enqueued one first) and draws its relative parameters; finish it with
   * `tell`. `optimize` is built on `ask` and `tell`.
   *
   * @example
   * ```ts
   * const trial = await study.ask();
   * await study.tell(trial, (trial.suggestFloat('x', 0, 1) - 0.3) ** 2);
   * ```
   */
  async ask(): Promise<Trial> {
    return (await this.askWithin(undefined)) as Trial;
  }

  /**
   * As `ask`, but returns undefined when no enqueued trial waits and the study already has
   * `maxTrials` trials that count toward its budget (all but those cut off by a dead process or an
   * interrupt); the storage checks and creates in one atomic step. @internal
   */
  async askWithin(maxTrials: number | undefined): Promise<Trial | undefined> {
    await this.flush();
    // The heartbeat thread is up before the trial exists (a trial's heartbeat starts with it).
    await this.heartbeatReady();
    const claimed = await this.storage.claimWaitingTrial(this.studyId);
    const frozen = claimed ?? (await this.createTrial(maxTrials));
    if (!frozen) return undefined;
    this.local.set(frozen.number, frozen);
    this.startHeartbeat(frozen.trialId);
    await this.refresh();
    this.sampler.beforeTrial?.(this, frozen);
    const space = this.sampler.inferRelativeSearchSpace(this, this.snapshot(frozen.number));
    const relative = this.sampler.sampleRelative(this, this.snapshot(frozen.number), space);
    return new Trial(this, frozen.trialId, frozen.number, space, relative);
  }

  private async createTrial(maxTrials: number | undefined): Promise<FrozenTrial | undefined> {
    const init = { state: 'running' } as const;
    if (maxTrials === undefined) return this.storage.createTrial(this.studyId, init);
    if (this.storage.createTrialWithin)
      return this.storage.createTrialWithin(this.studyId, init, maxTrials);
    const trials = await this.storage.getTrials(this.studyId);
    if (trials.filter(countsTowardBudget).length >= maxTrials) return undefined;
    return this.storage.createTrial(this.studyId, init);
  }

  /**
   * Ends a trial: a number completes it (NaN fails it); `{ state: 'pruned' | 'failed', error }`
   * ends it otherwise. Returns the final snapshot.
   *
   * @example
   * ```ts
   * await study.tell(trial, { state: 'failed', error: 'out of memory' });
   * ```
   */
  async tell(
    trial: Trial,
    result: number | { state: 'pruned' | 'failed'; error?: string },
  ): Promise<FrozenTrial> {
    const current = this.snapshot(trial.number);
    if (current.state !== 'running') {
      throw new ValueError(`tell: trial ${trial.number} has already ended (${current.state})`);
    }
    let patch: TrialPatch;
    if (typeof result === 'number') {
      patch = Number.isNaN(result)
        ? { state: 'failed', error: 'the objective returned NaN' }
        : { state: 'complete', value: result };
    } else if (result.state === 'pruned') {
      // As Optuna: a pruned trial keeps its last reported value, when it is a number.
      const steps = [...current.intermediateValues.keys()];
      const last =
        steps.length > 0 ? current.intermediateValues.get(Math.max(...steps)) : undefined;
      patch = { state: 'pruned', value: last !== undefined && !Number.isNaN(last) ? last : null };
    } else {
      patch = { state: 'failed', error: result.error ?? 'failed' };
    }
    patch.datetimeComplete = Date.now();
    this.writeTrial(trial.trialId, trial.number, patch);
    const final = this.snapshot(trial.number);
    this.sampler.afterTrial?.(this, final, final.state, final.value);
    this.local.delete(trial.number);
    this.heartbeatThread?.remove(trial.trialId);
    if (this.local.size === 0) this.stopHeartbeat();
    await this.flush();
    await this.refresh();
    return final;
  }

  /**
   * Closes the storage when the study opened it from a path or URL (a PostgreSQL pool would keep
   * the process alive).
   *
   * @example
   * ```ts
   * await study.close();
   * ```
   */
  async close(): Promise<void> {
    this.stopHeartbeat();
    const thread = this.heartbeatThread;
    this.heartbeatThread = null;
    await thread?.stop();
    await this.flush();
    await this.storage.close?.();
  }

  /**
   * Starts the heartbeat thread when the storage names where it can open the store, and waits
   * until it has; a thread that cannot leaves the beats to a timer of this thread.
   */
  private async heartbeatReady(): Promise<void> {
    const location = this.storage.heartbeatLocation;
    if (!this.storage.heartbeat || location === undefined) return;
    if (this.heartbeatThread?.failure != null) return;
    this.heartbeatThread ??= new HeartbeatThread(location, this.storage.heartbeatMs ?? 10_000);
    await this.heartbeatThread.ready.catch(() => undefined);
  }

  /**
   * Heartbeats of a started trial: one at once from here, then from the heartbeat thread (so that
   * a synchronous objective, which blocks this thread's timers, does not stop them), else from a
   * timer here.
   */
  private startHeartbeat(trialId: number): void {
    const storage = this.storage;
    if (!storage.heartbeat) return;
    storage.heartbeat([trialId]).catch((err: unknown) => {
      this.writeError ??= err;
    });
    const thread = this.heartbeatThread;
    if (thread && thread.failure === null) {
      thread.add(trialId);
      return;
    }
    if (this.heartbeatTimer !== null) return;
    const beat = (): void => {
      const ids = [...this.local.values()].map((t) => t.trialId);
      if (ids.length === 0) return;
      storage.heartbeat!(ids).catch((err: unknown) => {
        this.writeError ??= err;
      });
    };
    this.heartbeatTimer = setInterval(beat, storage.heartbeatMs ?? 10_000);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Re-reads the trials from the storage (other processes' trials included). @example `await study.refresh()` */
  async refresh(): Promise<void> {
    await this.flush();
    if (this.storage instanceof InMemoryStorage) return;
    this.cache = [...(await this.storage.getTrials(this.studyId))];
  }

  /** Waits for pending storage writes; rethrows the first write error. @internal */
  async flush(): Promise<void> {
    await this.writes;
    if (this.writeError !== null) {
      const err = this.writeError;
      this.writeError = null;
      throw err;
    }
  }

  /** @internal */
  snapshot(number: number): FrozenTrial {
    const t = this.local.get(number) ?? this.liveTrials()[number];
    if (!t) throw new ValueError(`study '${this.name}': no trial number ${number}`);
    return t;
  }

  /** Applies a change to a running trial here at once and queues it for the storage. @internal */
  writeTrial(trialId: number, number: number, patch: TrialPatch): void {
    const local = this.local.get(number);
    if (local) this.local.set(number, applyPatch(local, patch));
    this.writes = this.writes
      .then(() => this.storage.updateTrial(trialId, patch))
      .catch((err: unknown) => {
        this.writeError ??= err;
      });
  }

  /** @internal */
  sampleIndependent(trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    const value = this.sampler.sampleIndependent(this, trial, name, distribution);
    if (!contains(distribution, value)) {
      throw new ValueError(
        `sampler returned ${JSON.stringify(value)} for '${name}', outside its distribution`,
      );
    }
    return value;
  }

  /** @internal */
  shouldPrune(trial: FrozenTrial): boolean {
    return this.pruner.prune(this, trial);
  }

  /** Sets a system attribute (sampler or pruner state) on a trial. @internal */
  setTrialSystemAttr(number: number, key: string, value: AttrValue): void {
    const t = this.snapshot(number);
    this.writeTrial(t.trialId, number, { systemAttrs: { [key]: value } });
  }

  private liveTrials(): readonly FrozenTrial[] {
    const base =
      this.storage instanceof InMemoryStorage ? this.storage.trialsNow(this.studyId) : this.cache;
    if (this.local.size === 0) return base;
    const merged = base.slice();
    for (const [n, t] of this.local) merged[n] = t;
    return merged;
  }
}
