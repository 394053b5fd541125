import { ValueError } from '../tensor/errors.js';
import type { Distribution, ParamValue } from './distributions.js';
import type { AttrValue, FrozenTrial, StudyDirection, TrialState } from './frozen-trial.js';

/** A study as a storage keeps it. @example `const s: k.tune.StudyRecord = await storage.getStudy('demo');` */
export interface StudyRecord {
  readonly studyId: number;
  readonly name: string;
  readonly direction: StudyDirection;
}

/** What a new trial starts with: a state (running or waiting) and, for enqueued trials, fixed params. @internal */
export interface TrialInit {
  readonly state: 'running' | 'waiting';
  readonly fixedParams?: Readonly<Record<string, ParamValue>>;
}

/**
 * Changes to one trial. Storages apply them in order; `state` and `value` together end a trial.
 * `fixedParams` are enqueued values (kept in system attrs as `fixed_params`).
 *
 * @example
 * ```ts
 * await storage.updateTrial(id, { params: { lr: [0.01, dist] } });
 * ```
 */
export interface TrialPatch {
  params?: Record<string, readonly [ParamValue, Distribution]>;
  intermediateValues?: Record<number, number>;
  userAttrs?: Record<string, AttrValue>;
  systemAttrs?: Record<string, AttrValue>;
  state?: TrialState;
  value?: number | null;
  error?: string | null;
  datetimeStart?: number;
  datetimeComplete?: number;
}

/**
 * Where studies and trials live. kiln ships an in-memory storage; a persistent one (SQLite,
 * PostgreSQL) implements the same methods. Trial numbers must be allocated atomically, so that
 * several processes sharing one study never get the same number, and `claimWaitingTrial` must hand
 * an enqueued trial to exactly one worker.
 *
 * @example
 * ```ts
 * const storage = new k.tune.InMemoryStorage();
 * const a = await k.tune.createStudy({ name: 'demo', store: storage });
 * const b = await k.tune.loadStudy({ name: 'demo', store: storage }); // the same study
 * ```
 */
export interface TuneStorage {
  createStudy(name: string, direction: StudyDirection): Promise<StudyRecord>;
  /** The study of that name, or undefined. */
  getStudy(name: string): Promise<StudyRecord | undefined>;
  createTrial(studyId: number, init: TrialInit): Promise<FrozenTrial>;
  /**
   * As createTrial, but returns undefined instead when the study already has `maxTrials` trials
   * that count ({@link countsTowardBudget}); atomic across the processes sharing the storage.
   * Storages without it are checked by reading the trials first (not atomic).
   */
  createTrialWithin?(
    studyId: number,
    init: TrialInit,
    maxTrials: number,
  ): Promise<FrozenTrial | undefined>;
  /** Moves the oldest waiting (enqueued) trial to running and returns it, or undefined when none waits. */
  claimWaitingTrial(studyId: number): Promise<FrozenTrial | undefined>;
  updateTrial(trialId: number, patch: TrialPatch): Promise<void>;
  /** All trials of the study, ordered by number. */
  getTrials(studyId: number): Promise<readonly FrozenTrial[]>;
  /** Records that a worker is still running these trials (persistent storages only). */
  heartbeat?(trialIds: readonly number[]): Promise<void>;
  /** Milliseconds between heartbeats (default 10 s). */
  readonly heartbeatMs?: number;
  /**
   * Where a heartbeat thread can open this same store (a SQLite path or a postgresql:// URL with
   * its password). When set, heartbeats come from a thread of their own and go on while a
   * synchronous objective blocks the calling thread; otherwise from a timer of the calling thread.
   */
  readonly heartbeatLocation?: string;
  /** Marks running trials whose heartbeat is older than `graceMs` as failed; returns their numbers. */
  failStaleTrials?(studyId: number, graceMs: number): Promise<number[]>;
  close?(): Promise<void>;
}

/**
 * Whether a trial counts toward a study's trial budget (`optimize`'s `maxTrials`): every trial but
 * those cut off from outside, failed with an error starting "heartbeat stopped" (its process died)
 * or "interrupted" (Ctrl-C). Those are run again; a trial its objective failed is not.
 * @internal
 */
export function countsTowardBudget(t: FrozenTrial): boolean {
  if (t.state !== 'failed') return true;
  const error = t.error ?? '';
  return !(error.startsWith('heartbeat stopped') || error.startsWith('interrupted'));
}

/** Applies a patch to a snapshot, giving a new snapshot. @internal */
export function applyPatch(t: FrozenTrial, patch: TrialPatch): FrozenTrial {
  let params = t.params;
  let distributions = t.distributions;
  if (patch.params) {
    const p = { ...t.params };
    const d = { ...t.distributions };
    for (const [name, [value, dist]] of Object.entries(patch.params)) {
      p[name] = value;
      d[name] = dist;
    }
    params = p;
    distributions = d;
  }
  let intermediateValues = t.intermediateValues;
  if (patch.intermediateValues) {
    const m = new Map(t.intermediateValues);
    for (const [s, v] of Object.entries(patch.intermediateValues)) m.set(Number(s), v);
    intermediateValues = m;
  }
  return {
    ...t,
    params,
    distributions,
    intermediateValues,
    userAttrs: patch.userAttrs ? { ...t.userAttrs, ...patch.userAttrs } : t.userAttrs,
    systemAttrs: patch.systemAttrs ? { ...t.systemAttrs, ...patch.systemAttrs } : t.systemAttrs,
    state: patch.state ?? t.state,
    value: patch.value !== undefined ? patch.value : t.value,
    error: patch.error !== undefined ? patch.error : t.error,
    datetimeStart: patch.datetimeStart ?? t.datetimeStart,
    datetimeComplete: patch.datetimeComplete ?? t.datetimeComplete,
  };
}

/** A fresh snapshot for a new trial. @internal */
export function newTrial(
  trialId: number,
  number: number,
  init: TrialInit,
  now: number,
): FrozenTrial {
  return {
    trialId,
    number,
    state: init.state,
    value: null,
    params: {},
    distributions: {},
    intermediateValues: new Map(),
    userAttrs: {},
    systemAttrs: init.fixedParams ? { fixed_params: { ...init.fixedParams } } : {},
    datetimeStart: init.state === 'running' ? now : null,
    datetimeComplete: null,
    error: null,
  };
}

/**
 * Studies and trials in this process's memory: fast, lost when the process ends. Share one
 * instance between `createStudy` and `loadStudy` to reopen a study.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ store: new k.tune.InMemoryStorage() });
 * ```
 */
export class InMemoryStorage implements TuneStorage {
  private readonly studies = new Map<string, StudyRecord>();
  private readonly trialsByStudy = new Map<number, FrozenTrial[]>();
  private readonly where = new Map<number, { studyId: number; index: number }>();
  private nextTrialId = 0;

  async createStudy(name: string, direction: StudyDirection): Promise<StudyRecord> {
    if (this.studies.has(name)) {
      throw new ValueError(
        `createStudy: a study named '${name}' already exists (pass loadIfExists: true to reuse it)`,
      );
    }
    const record = { studyId: this.studies.size, name, direction };
    this.studies.set(name, record);
    this.trialsByStudy.set(record.studyId, []);
    return record;
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    return this.studies.get(name);
  }

  async createTrial(studyId: number, init: TrialInit): Promise<FrozenTrial> {
    const list = this.list(studyId);
    const trial = newTrial(this.nextTrialId++, list.length, init, Date.now());
    this.where.set(trial.trialId, { studyId, index: list.length });
    list.push(trial);
    return trial;
  }

  async createTrialWithin(
    studyId: number,
    init: TrialInit,
    maxTrials: number,
  ): Promise<FrozenTrial | undefined> {
    const counted = this.list(studyId).filter(countsTowardBudget).length;
    return counted >= maxTrials ? undefined : this.createTrial(studyId, init);
  }

  async claimWaitingTrial(studyId: number): Promise<FrozenTrial | undefined> {
    const list = this.list(studyId);
    const i = list.findIndex((t) => t.state === 'waiting');
    if (i < 0) return undefined;
    const claimed = applyPatch(list[i]!, { state: 'running', datetimeStart: Date.now() });
    list[i] = claimed;
    return claimed;
  }

  async updateTrial(trialId: number, patch: TrialPatch): Promise<void> {
    const at = this.where.get(trialId);
    if (!at) throw new ValueError(`updateTrial: no trial with id ${trialId}`);
    const list = this.list(at.studyId);
    list[at.index] = applyPatch(list[at.index]!, patch);
  }

  async getTrials(studyId: number): Promise<readonly FrozenTrial[]> {
    return this.list(studyId).slice();
  }

  /** The live list, for synchronous readers in this process. @internal */
  trialsNow(studyId: number): readonly FrozenTrial[] {
    return this.list(studyId);
  }

  private list(studyId: number): FrozenTrial[] {
    const list = this.trialsByStudy.get(studyId);
    if (!list) throw new ValueError(`no study with id ${studyId} in this storage`);
    return list;
  }
}
