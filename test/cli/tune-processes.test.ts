// `kiln tune` as real processes. Four processes share one study in a real PostgreSQL server (one
// of them SIGKILLed mid-trial): trial numbers unique and dense, every trial run by one process
// only, exactly `trials` that count, the dead worker's trial failed by its stopped heartbeat.
// And crash safety on SQLite: `kill -9` mid-trial, integrity_check ok, a rerun continues the
// study (completed trials intact, the killed one failed and replaced).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/track/open.js';
import type { TrackStore, TrialRecord } from '../../src/track/types.js';
import { type PgServer, startPostgres } from '../track/postgres.js';
import { BIN, ROOT } from './helpers.js';
import { irisTuneConfig } from './tune-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-tune-proc-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Trials of a process that stops heartbeating fail after 2.5 s (heartbeats every 625 ms).
const STALE_MS = '2500';

interface Proc {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
}

function tune(args: string[], staleMs = STALE_MS): Proc {
  const child = spawn(process.execPath, [BIN, 'tune', ...args], {
    cwd: ROOT,
    env: { ...process.env, KILN_QUIET: '1', KILN_TRACK_STALE_MS: staleMs },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const done = new Promise<Awaited<Proc['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, done };
}

async function studyTrials(store: TrackStore, name: string): Promise<TrialRecord[]> {
  const study = await store.getStudy(name);
  return study ? store.listTrials(study.id) : [];
}

/** Polls until `pick` finds a trial, or fails after `ms`. */
async function waitForTrial(
  store: TrackStore,
  name: string,
  pick: (t: TrialRecord, all: TrialRecord[]) => Promise<boolean> | boolean,
  ms = 60_000,
): Promise<TrialRecord> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const trials = await studyTrials(store, name);
    for (const t of trials) if (await pick(t, trials)) return t;
    await sleep(30);
  }
  throw new Error(`no trial of ${name} matched within ${ms} ms`);
}

/** True once every thread of `pid` is stopped (state T in /proc), not just signalled. */
function allThreadsStopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.every((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The state is the field after the parenthesized command name.
    return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  });
}

/**
 * SIGSTOPs `child` at a moment it holds no write lock on the SQLite file `location`. A process
 * frozen inside a write transaction (or half way through updating the WAL index) blocks every
 * other writer and reader of the file until SQLite's busy timeout fails them with SQLITE_BUSY;
 * that is SQLite's design, not something a test should trip over. So: stop, probe with a write
 * transaction of our own, and if the lock is held, let the process run a little and try again.
 */
async function stopBetweenWrites(child: ChildProcess, location: string): Promise<void> {
  const probe = new Database(location, { timeout: 250 });
  try {
    for (let attempt = 1; ; attempt++) {
      child.kill('SIGSTOP');
      while (!allThreadsStopped(child.pid!)) await sleep(1);
      try {
        probe.exec('BEGIN IMMEDIATE');
        probe.exec('ROLLBACK');
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || attempt === 100) throw e;
        child.kill('SIGCONT');
        await sleep(3 + attempt);
      }
    }
  } finally {
    probe.close();
  }
}

const SLOW_EPOCHS = 120;
const MID_TRIAL = 60;

const slowConfig = (dir: string, store: string | null, trials: number) =>
  irisTuneConfig(dir, (doc) => {
    // A trial long enough (about a second) that a 30 ms poll surely sees it in its first
    // MID_TRIAL epochs and kills it there, not after it has ended.
    doc.training = { epochs: SLOW_EPOCHS, batchSize: 16 };
    doc.tune = {
      trials,
      metric: 'val_loss',
      sampler: { type: 'tpe', seed: 0 },
      ...(store ? { store } : {}),
    };
  });

describe('kiln tune processes', () => {
  let server: PgServer | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => server?.stop());

  it('four processes on one PostgreSQL study: exact trial count, no trial twice, a killed worker fails its trial', async () => {
    const url = await server!.createDatabase();
    const dir = mkdtempSync(join(tmp, 'pg-'));
    const config = slowConfig(dir, url, 8);
    const procs = [tune([config]), ...[1, 2, 3].map(() => tune([config, '--worker']))];
    const victim = procs[3]!;
    const store = await openStore(url);
    try {
      // The victim dies in the middle of one of its trials.
      const doomed = await waitForTrial(store, 'iris-t', async (t) => {
        if (t.state !== 'running' || !t.runId) return false;
        const run = await store.getRun(t.runId);
        return run?.pid === victim.child.pid && t.intermediate.length < MID_TRIAL;
      });
      victim.child.kill('SIGKILL');
      const results = await Promise.all(procs.map((p) => p.done));
      assert.equal(results[3]!.signal, 'SIGKILL');
      for (const r of results.slice(0, 3)) assert.equal(r.code, 0, r.err);
      assert.match(results[0]!.out, /final model test: loss/);

      const trials = await studyTrials(store, 'iris-t');
      assert.deepEqual(
        trials.map((t) => t.number),
        trials.map((_, i) => i),
        'numbers are dense and unique',
      );
      const killed = trials[doomed.number]!;
      assert.equal(killed.state, 'fail');
      assert.match(killed.error ?? '', /^heartbeat stopped/);
      const complete = trials.filter((t) => t.state === 'complete');
      assert.equal(complete.length, 8, 'exactly tune.trials trials count');
      assert.equal(trials.length, 9, 'only the killed trial was run again');
      // Each trial ran in one process: one tracked run per trial number, and the runs' pids
      // show that the work was shared.
      const runs = await store.listRuns({ filter: "tags.study = 'iris-t'" });
      const perTrial = new Map<string, number>();
      for (const r of runs) perTrial.set(r.tags.trial!, (perTrial.get(r.tags.trial!) ?? 0) + 1);
      assert.equal(perTrial.size, 9);
      assert.ok([...perTrial.values()].every((n) => n === 1));
      const pids = new Set<number>();
      for (const t of complete) {
        assert.ok(t.runId, `trial ${t.number} links its run`);
        pids.add((await store.getRun(t.runId))!.pid);
      }
      assert.ok(pids.size >= 2, `trials ran in ${pids.size} processes`);
      for (const pid of pids) assert.ok(procs.some((p) => p.child.pid === pid));
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      await store.close();
    }
  });

  it('kill -9 mid-trial on SQLite: the store stays whole and a rerun continues the study', async () => {
    const dir = mkdtempSync(join(tmp, 'crash-'));
    const config = slowConfig(dir, null, 5);
    const location = join(dir, 'runs', 'kiln.db');
    const first = tune([config]);
    let before: TrialRecord[];
    let doomed: TrialRecord;
    // Wait for the store file, then for trial 2 to start (trials 0 and 1 complete).
    const end = Date.now() + 60_000;
    for (;;) {
      try {
        const probe = await openStore(location);
        await probe.close();
        break;
      } catch (e) {
        if (Date.now() > end) throw e;
        await sleep(100);
      }
    }
    const store = await openStore(location);
    try {
      doomed = await waitForTrial(
        store,
        'iris-t',
        (t) => t.number === 2 && t.state === 'running' && t.intermediate.length < MID_TRIAL,
      );
      first.child.kill('SIGKILL');
      const killed = await first.done;
      assert.equal(killed.signal, 'SIGKILL');
      before = await studyTrials(store, 'iris-t');
    } finally {
      await store.close();
    }
    assert.deepEqual(
      before.map((t) => t.state),
      ['complete', 'complete', 'running'],
    );
    const check = new Database(location, { readonly: true });
    assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    check.close();

    const rerun = tune([config]);
    const r = await rerun.done;
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /5 trials \(2 already run, continuing\)/);
    assert.match(r.out, /final model test: loss/);
    const after = await openStore(location);
    try {
      const trials = await studyTrials(after, 'iris-t');
      for (const t of before.slice(0, 2)) {
        assert.equal(trials[t.number]!.value, t.value, 'completed values are intact');
        assert.deepEqual(trials[t.number]!.params, t.params);
        assert.deepEqual(trials[t.number]!.intermediate, t.intermediate);
      }
      assert.equal(trials[doomed.number]!.state, 'fail');
      assert.match(trials[doomed.number]!.error ?? '', /^heartbeat stopped/);
      assert.equal(trials.filter((t) => t.state === 'complete').length, 5);
      assert.equal(trials.length, 6);
    } finally {
      await after.close();
    }
    const db = new Database(location, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });

  it('tune.workers: 2 shares the study with a second process: dense numbers, exact count, none twice', async () => {
    const dir = mkdtempSync(join(tmp, 'workers-'));
    const config = irisTuneConfig(dir, (doc) => {
      doc.training = { epochs: 30, batchSize: 16 };
      doc.tune = { trials: 6, workers: 2, sampler: { type: 'tpe', seed: 0 } };
    });
    const location = join(dir, 'runs', 'kiln.db');
    // The default stale time: the first process is paused below, heartbeat thread included.
    const first = tune([config], '120000');
    const pid = first.child.pid!;
    let store: TrackStore | undefined;
    try {
      for (const end = Date.now() + 60_000; !store; await sleep(100)) {
        try {
          store = await openStore(location);
        } catch (e) {
          if (Date.now() > end) throw e;
        }
      }
      const s = store;
      const runPid = async (t: TrialRecord) =>
        t.runId ? (await s.getRun(t.runId))?.pid : undefined;
      // The second process loads kiln anew and may start after the first has run every trial,
      // so the first is paused (SIGSTOP) once its first trial runs, until the second has one.
      await waitForTrial(s, 'iris-t', async (t) => (await runPid(t)) === pid);
      await stopBetweenWrites(first.child, location);
      try {
        await waitForTrial(
          s,
          'iris-t',
          async (t) => {
            const p = await runPid(t);
            return p !== undefined && p !== pid;
          },
          120_000,
        );
      } finally {
        first.child.kill('SIGCONT');
      }
      const r = await first.done;
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /2 worker\(s\)/);
      assert.doesNotMatch(r.out, /worker 1 .*stopped/);
      for (let n = 0; n < 6; n++)
        assert.match(r.out, new RegExp(`trial ${n} \\(\\d/6\\) complete`));
      const trials = await studyTrials(s, 'iris-t');
      assert.deepEqual(
        trials.map((t) => t.number),
        [0, 1, 2, 3, 4, 5],
        'numbers are dense and unique, exactly tune.trials of them',
      );
      assert.ok(trials.every((t) => t.state === 'complete'));
      // One tracked run per trial, and the runs' pids show both processes ran trials.
      const runs = await s.listRuns({ filter: "tags.study = 'iris-t'" });
      assert.deepEqual(runs.map((run) => run.tags.trial).sort(), ['0', '1', '2', '3', '4', '5']);
      const pids = new Map<number, number>();
      for (const t of trials) {
        const p = (await runPid(t))!;
        pids.set(p, (pids.get(p) ?? 0) + 1);
      }
      assert.equal(pids.size, 2, `trials per pid: ${JSON.stringify([...pids])}`);
      assert.ok(pids.has(pid), 'the first process ran trials');
    } finally {
      first.child.kill('SIGCONT');
      first.child.kill('SIGKILL');
      await store?.close();
    }
  });

  it('Ctrl-C marks the running trial interrupted, and a rerun runs it again', async () => {
    const dir = mkdtempSync(join(tmp, 'sigint-'));
    const config = slowConfig(dir, null, 3);
    const location = join(dir, 'runs', 'kiln.db');
    const first = tune([config]);
    for (const end = Date.now() + 60_000; ; await sleep(100)) {
      try {
        await (await openStore(location)).close();
        break;
      } catch (e) {
        if (Date.now() > end) throw e;
      }
    }
    const store = await openStore(location);
    try {
      await waitForTrial(
        store,
        'iris-t',
        (t) => t.number === 1 && t.state === 'running' && t.intermediate.length < MID_TRIAL,
      );
      first.child.kill('SIGINT');
      const r = await first.done;
      assert.equal(r.code, 130);
      assert.match(r.err, /interrupted; run the same command to continue the study/);
      const trials = await studyTrials(store, 'iris-t');
      assert.deepEqual(
        trials.map((t) => t.state),
        ['complete', 'fail'],
      );
      assert.match(trials[1]!.error ?? '', /^interrupted/);
    } finally {
      await store.close();
    }
    const rerun = await tune([config, '--trials', '2']).done;
    assert.equal(rerun.code, 0, rerun.err);
    assert.match(rerun.out, /2 trials \(1 already run, continuing\)/);
    const after = await openStore(location);
    try {
      const trials = await studyTrials(after, 'iris-t');
      assert.deepEqual(
        trials.map((t) => t.state),
        ['complete', 'fail', 'complete'],
      );
    } finally {
      await after.close();
    }
  });
});
