import { ValueError } from '../tensor/errors.js';
import type { Row, SqlDriver, SqlValue } from './driver.js';
import type {
  NewStudy,
  NewTrial,
  StudyRecord,
  TrialRecord,
  TrialState,
  TrialUpdate,
} from './types.js';

/** Why a trial failed when it was cut off rather than failed by its objective (see CUT_OFF_SQL). */
export const HEARTBEAT_STOPPED = 'heartbeat stopped: the process running the trial died';
/** Failed trials whose error starts so were cut off (process died or interrupted); they do not count toward a trial budget. */
const CUT_OFF_SQL =
  "COALESCE(error, '') LIKE 'heartbeat stopped%' OR COALESCE(error, '') LIKE 'interrupted%'";

const TRIAL_STATES: readonly TrialState[] = ['running', 'waiting', 'complete', 'pruned', 'fail'];
const json = (v: unknown): string => JSON.stringify(v ?? null);
const parse = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toStudy(r: Row): StudyRecord {
  return {
    id: Number(r.id),
    name: r.name as string,
    direction: r.direction as StudyRecord['direction'],
    sampler: parse(r.sampler, null),
    pruner: parse(r.pruner, null),
    attrs: parse(r.attrs, {}),
    createdAt: Number(r.created_at),
  };
}

function toTrial(r: Row, intermediate: { step: number; value: number }[]): TrialRecord {
  return {
    id: Number(r.id),
    studyId: Number(r.study_id),
    number: Number(r.number),
    state: r.state as TrialState,
    params: parse(r.params, {}),
    distributions: parse(r.distributions, {}),
    value: r.value === null ? null : Number(r.value),
    intermediate,
    attrs: parse(r.attrs, {}),
    heartbeat: num(r.heartbeat),
    startTime: Number(r.start_time),
    endTime: num(r.end_time),
    error: (r.error as string | null) ?? null,
    runId: (r.run_id as string | null) ?? null,
  };
}

function checkState(state: string): void {
  if (!TRIAL_STATES.includes(state as TrialState))
    throw new ValueError(`trial state '${state}' is not one of ${TRIAL_STATES.join(', ')}`);
}

/**
 * Tuning studies and trials (issue 11) in the tracking database: the study half of
 * {@link SqlStore}. Trial numbers come from a counter row of the study, incremented inside the
 * creating transaction, so concurrent workers (processes or machines) never share a number.
 */
export class StudyTables {
  constructor(
    protected readonly db: SqlDriver,
    private readonly trialStaleAfterMs: number,
  ) {}

  /**
   * `UPDATE table SET set WHERE where`, run only when a row matches. An UPDATE takes SQLite's
   * write lock even when it matches nothing, and the reads that reap stale runs and trials (the
   * dashboard, `kiln runs`) must not queue behind writers.
   */
  protected async updateFound(
    table: 'runs' | 'trials',
    set: string,
    setParams: readonly SqlValue[],
    where: string,
    whereParams: readonly SqlValue[],
  ): Promise<void> {
    const found = await this.db.all(`SELECT 1 FROM ${table} WHERE ${where} LIMIT 1`, whereParams);
    if (found.length > 0)
      await this.db.run(`UPDATE ${table} SET ${set} WHERE ${where}`, [
        ...setParams,
        ...whereParams,
      ]);
  }

  /** Trials whose heartbeat (when they send one) went stale fail, as Optuna's heartbeat does. */
  protected async reapTrials(): Promise<void> {
    await this.updateFound(
      'trials',
      "state = 'fail', end_time = heartbeat, error = ?",
      [HEARTBEAT_STOPPED],
      "state = 'running' AND heartbeat IS NOT NULL AND heartbeat < ?",
      [Date.now() - this.trialStaleAfterMs],
    );
  }

  async createStudy(
    study: NewStudy,
    options: { loadIfExists?: boolean } = {},
  ): Promise<StudyRecord> {
    if (!study.name) throw new ValueError('createStudy: the name must not be empty');
    if (study.direction !== 'minimize' && study.direction !== 'maximize')
      throw new ValueError(
        `createStudy: direction must be 'minimize' or 'maximize', got '${study.direction}'`,
      );
    const inserted = await this.db.run(
      `INSERT INTO studies (name, direction, sampler, pruner, attrs, created_at, next_trial)
        VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (name) DO NOTHING`,
      [
        study.name,
        study.direction,
        json(study.sampler),
        json(study.pruner),
        json(study.attrs ?? {}),
        Date.now(),
      ],
    );
    if (inserted === 0 && !options.loadIfExists)
      throw new ValueError(
        `createStudy: a study named '${study.name}' already exists; pass loadIfExists: true to continue it`,
      );
    return (await this.getStudy(study.name))!;
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    const [row] = await this.db.all('SELECT * FROM studies WHERE name = ?', [name]);
    return row ? toStudy(row) : null;
  }

  async listStudies(): Promise<StudyRecord[]> {
    return (await this.db.all('SELECT * FROM studies ORDER BY id')).map(toStudy);
  }

  async setStudyAttrs(studyId: number, attrs: Record<string, unknown>): Promise<void> {
    await this.db.transaction(async (tx) => {
      const lock = this.db.dialect === 'postgresql' ? ' FOR UPDATE' : '';
      const [row] = await tx.all(`SELECT attrs FROM studies WHERE id = ?${lock}`, [studyId]);
      if (!row) throw new ValueError(`setStudyAttrs: no study with id ${studyId}`);
      const merged = { ...parse<Record<string, unknown>>(row.attrs, {}), ...attrs };
      await tx.run('UPDATE studies SET attrs = ? WHERE id = ?', [json(merged), studyId]);
    });
  }

  async deleteStudy(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM studies WHERE name = ?', [name])) > 0;
  }

  async createTrial(studyId: number, init: NewTrial = {}): Promise<TrialRecord> {
    return (await this.insertTrial(studyId, init, null))!;
  }

  /**
   * Starts a trial as createTrial does, unless the study already has `maxTrials` trials that count
   * (every trial but those cut off: failed by a stopped heartbeat or an interrupt); then returns
   * null. The count and the insert are one transaction behind the study row's lock, so several
   * processes never start more than `maxTrials` between them.
   */
  async createTrialWithin(
    studyId: number,
    init: NewTrial,
    maxTrials: number,
  ): Promise<TrialRecord | null> {
    return this.insertTrial(studyId, init, maxTrials);
  }

  private async insertTrial(
    studyId: number,
    init: NewTrial,
    maxTrials: number | null,
  ): Promise<TrialRecord | null> {
    const state = init.state ?? 'running';
    checkState(state);
    const id = await this.db.transaction(async (tx) => {
      // The counter bump locks the study row first: concurrent creators queue here.
      const bumped = await tx.run('UPDATE studies SET next_trial = next_trial + 1 WHERE id = ?', [
        studyId,
      ]);
      if (bumped === 0) throw new ValueError(`createTrial: no study with id ${studyId}`);
      if (maxTrials !== null) {
        const [count] = await tx.all(
          `SELECT COUNT(*) AS n FROM trials WHERE study_id = ? AND NOT (state = 'fail' AND (${CUT_OFF_SQL}))`,
          [studyId],
        );
        if (Number(count!.n) >= maxTrials) {
          await tx.run('UPDATE studies SET next_trial = next_trial - 1 WHERE id = ?', [studyId]);
          return null;
        }
      }
      const [row] = await tx.all('SELECT next_trial - 1 AS n FROM studies WHERE id = ?', [studyId]);
      const now = Date.now();
      const [trial] = await tx.all(
        `INSERT INTO trials (study_id, number, state, params, distributions, attrs, start_time, heartbeat)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          studyId,
          Number(row!.n),
          state,
          json(init.params ?? {}),
          json(init.distributions ?? {}),
          json(init.attrs ?? {}),
          now,
          // A running trial is alive from its first moment: one killed before its first
          // heartbeat must still go stale.
          state === 'running' ? now : null,
        ],
      );
      return Number(trial!.id);
    });
    return id === null ? null : this.getTrial(id);
  }

  async updateTrial(trialId: number, update: TrialUpdate): Promise<TrialRecord> {
    if (update.state !== undefined) checkState(update.state);
    await this.db.transaction(async (tx) => {
      // Read-modify-write: PostgreSQL must lock the row, or two updates of one trial (its params
      // and its run link) lose one another's fields. SQLite's write transactions are exclusive.
      const lock = this.db.dialect === 'postgresql' ? ' FOR UPDATE' : '';
      const [row] = await tx.all(`SELECT * FROM trials WHERE id = ?${lock}`, [trialId]);
      if (!row) throw new ValueError(`updateTrial: no trial with id ${trialId}`);
      const old = toTrial(row, []);
      const params = { ...old.params };
      for (const [k, v] of Object.entries(update.params ?? {})) {
        if (k in params && json(params[k]) !== json(v))
          throw new ValueError(
            `updateTrial: param '${k}' of trial ${old.number} is already ${json(params[k])}; params are immutable once set (got ${json(v)})`,
          );
        params[k] = v;
      }
      const pick = <K extends keyof TrialUpdate>(
        k: K,
        fallback: TrialRecord[K & keyof TrialRecord],
      ) => (update[k] === undefined ? fallback : update[k]);
      await tx.run(
        `UPDATE trials SET state = ?, params = ?, distributions = ?, value = ?, attrs = ?,
          end_time = ?, error = ?, run_id = ? WHERE id = ?`,
        [
          pick('state', old.state) as string,
          json(params),
          json({ ...old.distributions, ...update.distributions }),
          pick('value', old.value) as number | null,
          json({ ...old.attrs, ...update.attrs }),
          pick('endTime', old.endTime) as number | null,
          pick('error', old.error) as string | null,
          pick('runId', old.runId) as string | null,
          trialId,
        ],
      );
    });
    return (await this.getTrial(trialId))!;
  }

  async reportIntermediate(trialId: number, step: number, value: number): Promise<void> {
    if (!Number.isInteger(step))
      throw new ValueError(`reportIntermediate: step must be an integer, got ${step}`);
    // As Optuna: a second report for the same step is ignored.
    await this.db.run(
      'INSERT INTO trial_values (trial_id, step, value) VALUES (?, ?, ?) ON CONFLICT (trial_id, step) DO NOTHING',
      [trialId, step, Number.isNaN(value) ? null : value],
    );
  }

  /**
   * Moves the study's oldest waiting (enqueued) trial to running and returns it, or null when none
   * waits. The conditional update lets exactly one of several concurrent workers win a trial.
   */
  async claimWaitingTrial(studyId: number): Promise<TrialRecord | null> {
    for (;;) {
      const [row] = await this.db.all(
        "SELECT id FROM trials WHERE study_id = ? AND state = 'waiting' ORDER BY number LIMIT 1",
        [studyId],
      );
      if (!row) return null;
      const claimed = await this.db.run(
        "UPDATE trials SET state = 'running', start_time = ?, heartbeat = ? WHERE id = ? AND state = 'waiting'",
        [Date.now(), Date.now(), Number(row.id)],
      );
      if (claimed > 0) return this.getTrial(Number(row.id));
    }
  }

  async trialHeartbeat(trialId: number, time = Date.now()): Promise<void> {
    await this.db.run('UPDATE trials SET heartbeat = ? WHERE id = ?', [time, trialId]);
  }

  async getTrial(trialId: number): Promise<TrialRecord | null> {
    const [row] = await this.db.all('SELECT * FROM trials WHERE id = ?', [trialId]);
    if (!row) return null;
    const values = await this.db.all(
      'SELECT step, value FROM trial_values WHERE trial_id = ? ORDER BY step',
      [trialId],
    );
    return toTrial(
      row,
      values.map((v) => ({
        step: Number(v.step),
        value: v.value === null ? Number.NaN : Number(v.value),
      })),
    );
  }

  async listTrials(
    studyId: number,
    options: { states?: readonly TrialState[] } = {},
  ): Promise<TrialRecord[]> {
    await this.reapTrials();
    const [rows, values] = await Promise.all([
      this.db.all('SELECT * FROM trials WHERE study_id = ? ORDER BY number', [studyId]),
      this.db.all(
        `SELECT v.trial_id, v.step, v.value FROM trial_values v JOIN trials t ON t.id = v.trial_id
          WHERE t.study_id = ? ORDER BY v.trial_id, v.step`,
        [studyId],
      ),
    ]);
    const byTrial = new Map<number, { step: number; value: number }[]>();
    for (const v of values) {
      const id = Number(v.trial_id);
      if (!byTrial.has(id)) byTrial.set(id, []);
      byTrial.get(id)!.push({
        step: Number(v.step),
        value: v.value === null ? Number.NaN : Number(v.value),
      });
    }
    const trials = rows.map((r) => toTrial(r, byTrial.get(Number(r.id)) ?? []));
    return options.states ? trials.filter((t) => options.states!.includes(t.state)) : trials;
  }
}
