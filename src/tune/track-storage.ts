import { openStore } from '../track/open.js';
import type { NewTrial, TrackStore, TrialRecord } from '../track/types.js';
import type { Distribution, ParamValue } from './distributions.js';
import type { AttrValue, FrozenTrial, StudyDirection, TrialState } from './frozen-trial.js';
import type { StudyRecord, TrialInit, TrialPatch, TuneStorage } from './storage.js';

const USER = 'user:';
const SYSTEM = 'system:';

/** The store's insert of a new trial: enqueued params go in with it, in one write. */
function newTrial(init: TrialInit): NewTrial {
  return {
    state: init.state,
    ...(init.fixedParams ? { attrs: { [`${SYSTEM}fixed_params`]: { ...init.fixedParams } } } : {}),
  };
}

function toStoreState(s: TrialState): TrialRecord['state'] {
  return s === 'failed' ? 'fail' : s;
}

function toFrozen(r: TrialRecord): FrozenTrial {
  const userAttrs: Record<string, AttrValue> = {};
  const systemAttrs: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(r.attrs)) {
    if (k.startsWith(USER)) userAttrs[k.slice(USER.length)] = v as AttrValue;
    else if (k.startsWith(SYSTEM)) systemAttrs[k.slice(SYSTEM.length)] = v as AttrValue;
  }
  return {
    trialId: r.id,
    number: r.number,
    state: r.state === 'fail' ? 'failed' : r.state,
    value: r.value,
    params: r.params as Record<string, ParamValue>,
    distributions: r.distributions as Record<string, Distribution>,
    intermediateValues: new Map(r.intermediate.map((p) => [p.step, p.value])),
    userAttrs,
    systemAttrs,
    datetimeStart: r.state === 'waiting' ? null : r.startTime,
    datetimeComplete: r.endTime,
    error: r.error,
  };
}

/**
 * Tuning studies in kiln's tracking store (`k.track`: SQLite file or PostgreSQL), so that they
 * persist, show in the dashboard, and are shared by workers on several machines: trial numbers
 * come from the store's atomic counter, enqueued trials are claimed by one worker, running trials
 * send heartbeats, and the store fails a trial whose heartbeat stops.
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ name: 'mlp', store: 'runs/kiln.db', loadIfExists: true });
 * ```
 */
export class TrackStorage implements TuneStorage {
  /** Milliseconds between heartbeats of running trials. */
  readonly heartbeatMs: number;
  /** Where the heartbeat thread opens the store (see TuneStorage.heartbeatLocation). */
  readonly heartbeatLocation?: string;

  /**
   * Heartbeats run in a thread of their own, with a second connection opened at `location` (the
   * SQLite path or postgresql:// URL with its password), else where the store says a second
   * connection opens (`store.connectionSpec()`), else at a SQLite store's own path. Only a store
   * that tells none of these (PostgreSQL) leaves them to the calling thread's timer, which a
   * synchronous objective blocks.
   */
  constructor(
    readonly store: TrackStore,
    private readonly owned: boolean,
    location?: string,
  ) {
    const stale = Number(process.env.KILN_TRACK_STALE_MS);
    this.heartbeatMs = Math.min(10_000, stale > 0 ? stale / 4 : 30_000);
    const where =
      location ??
      store.connectionSpec?.() ??
      (store.kind === 'sqlite' ? store.location : undefined);
    // A second connection to ':memory:' would be another database.
    if (where && where !== ':memory:') this.heartbeatLocation = where;
  }

  /** Opens a SQLite path or a postgresql:// URL. */
  static async open(location: string): Promise<TrackStorage> {
    return new TrackStorage(await openStore(location), true, location);
  }

  async createStudy(name: string, direction: StudyDirection): Promise<StudyRecord> {
    const r = await this.store.createStudy({ name, direction }, { loadIfExists: true });
    return { studyId: r.id, name: r.name, direction: r.direction };
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    const r = await this.store.getStudy(name);
    return r ? { studyId: r.id, name: r.name, direction: r.direction } : undefined;
  }

  async createTrial(studyId: number, init: TrialInit): Promise<FrozenTrial> {
    return toFrozen(await this.store.createTrial(studyId, newTrial(init)));
  }

  async createTrialWithin(
    studyId: number,
    init: TrialInit,
    maxTrials: number,
  ): Promise<FrozenTrial | undefined> {
    const r = await this.store.createTrialWithin(studyId, newTrial(init), maxTrials);
    return r ? toFrozen(r) : undefined;
  }

  async claimWaitingTrial(studyId: number): Promise<FrozenTrial | undefined> {
    const r = await this.store.claimWaitingTrial(studyId);
    return r ? toFrozen(r) : undefined;
  }

  async updateTrial(trialId: number, patch: TrialPatch): Promise<void> {
    for (const [step, value] of Object.entries(patch.intermediateValues ?? {})) {
      await this.store.reportIntermediate(trialId, Number(step), value);
    }
    const attrs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(patch.userAttrs ?? {})) attrs[USER + k] = v;
    for (const [k, v] of Object.entries(patch.systemAttrs ?? {})) attrs[SYSTEM + k] = v;
    const params: Record<string, ParamValue> = {};
    const distributions: Record<string, unknown> = {};
    for (const [k, [v, d]] of Object.entries(patch.params ?? {})) {
      params[k] = v;
      distributions[k] = d;
    }
    const update = {
      ...(patch.params ? { params, distributions } : {}),
      ...(Object.keys(attrs).length > 0 ? { attrs } : {}),
      ...(patch.state !== undefined ? { state: toStoreState(patch.state) } : {}),
      ...(patch.value !== undefined ? { value: patch.value } : {}),
      ...(patch.error !== undefined ? { error: patch.error } : {}),
      ...(patch.datetimeComplete !== undefined ? { endTime: patch.datetimeComplete } : {}),
    };
    if (Object.keys(update).length > 0) await this.store.updateTrial(trialId, update);
  }

  async getTrials(studyId: number): Promise<readonly FrozenTrial[]> {
    return (await this.store.listTrials(studyId)).map(toFrozen);
  }

  async heartbeat(trialIds: readonly number[]): Promise<void> {
    const now = Date.now();
    for (const id of trialIds) await this.store.trialHeartbeat(id, now);
  }

  async close(): Promise<void> {
    if (this.owned) await this.store.close();
  }
}
