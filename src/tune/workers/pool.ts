import type { Worker } from 'node:worker_threads';
import { ValueError } from '../../tensor/errors.js';
import type { Distribution } from '../distributions.js';
import type { Budget, ObjectiveModule, StudyCallback } from '../optimize.js';
import type { Study } from '../study.js';
import type { Trial } from '../trial.js';
import { predictOrder, presample } from './presample.js';
import {
  type FromWorker,
  HEADER_INTS,
  REPLY_BYTES,
  STARTED,
  type ToWorker,
  type WorkerInit,
  writeReply,
} from './protocol.js';
import { spawnWorker } from './spawn.js';

type Outcome = number | { state: 'pruned' | 'failed'; error?: string };

/** The suggest calls the next trial is expected to make (those of the latest finished trial). */
interface Prediction {
  order: [string, Distribution][];
}

function modulePath(objective: ObjectiveModule): string {
  const m = objective.module;
  return m instanceof URL ? m.href : m;
}

/** One worker thread and the trial it is running. */
class Slot {
  private readonly reply = new SharedArrayBuffer(HEADER_INTS * 4 + REPLY_BYTES);
  private readonly header = new Int32Array(this.reply, 0, HEADER_INTS);
  private worker: Worker;
  private ready: Promise<void>;
  /** Ends the running trial: with its outcome, or null when its worker died before starting it. */
  private finish: ((o: Outcome | null) => void) | null = null;
  private trial: Trial | null = null;
  private abandon: ((err: Error) => void) | null = null;
  private stopping = false;
  /** Whether the current worker has died (its 'error' or 'exit' came). */
  private dead = false;

  constructor(
    private readonly study: Study,
    private readonly objective: ObjectiveModule,
    private readonly prediction: Prediction,
  ) {
    [this.worker, this.ready] = this.spawn();
  }

  private spawn(): [Worker, Promise<void>] {
    const init: WorkerInit = {
      module: modulePath(this.objective),
      exportName: this.objective.exportName ?? 'objective',
      reply: this.reply,
    };
    const worker = spawnWorker('entry', init);
    const ready = new Promise<void>((resolve, reject) => {
      this.abandon = reject;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'loadError') {
          reject(new ValueError(`optimize: cannot load the objective: ${msg.message}`));
        } else if (worker === this.worker) this.onMessage(msg);
      });
      // A dying worker posts the writes it still batches. Node delivers all of a worker's
      // messages before its 'exit' (not always before its 'error', which comes first), so the
      // trial ends at 'exit', with all that its objective wrote. Events of a replaced worker are
      // not about the current trial.
      let crash: Error | null = null;
      worker.on('error', (err) => {
        crash ??= err;
      });
      worker.on('exit', (code) => {
        if (worker !== this.worker) return;
        this.dead = true;
        if (this.stopping) return;
        reject(
          crash ??
            new ValueError(`optimize: worker thread exited with code ${code} before starting`),
        );
        this.died(
          crash ? `uncaught ${crash.name}: ${crash.message}` : `it exited with code ${code}`,
        );
      });
    });
    ready.catch(() => {});
    return [worker, ready];
  }

  /**
   * Ends the running trial, if any, after the death of its worker: as failed when the worker had
   * started it, else with null (the trial is run again on a new worker).
   */
  private died(how: string): void {
    const trial = this.trial;
    if (!trial) return;
    if (Atomics.load(this.header, STARTED) === 0) this.end(null);
    else
      this.end({
        state: 'failed',
        error: `worker thread died running trial ${trial.number}: ${how}`,
      });
  }

  private onMessage(msg: FromWorker): void {
    const trial = this.trial;
    if (!trial) return;
    for (const patch of msg.writes ?? []) this.study.writeTrial(trial.trialId, trial.number, patch);
    switch (msg.type) {
      case 'sample':
        this.answer(() =>
          this.study.sampleIndependent(
            this.study.snapshot(trial.number),
            msg.name,
            msg.distribution,
          ),
        );
        break;
      case 'shouldPrune':
        this.answer(() => this.study.shouldPrune(this.study.snapshot(trial.number)));
        break;
      case 'done':
        this.end(typeof msg.result === 'number' ? msg.result : failedResult(msg.result));
        break;
      case 'threw':
        this.end(msg.pruned ? { state: 'pruned' } : { state: 'failed', error: msg.error });
        break;
    }
  }

  private answer(compute: () => unknown): void {
    try {
      writeReply(this.reply, true, compute());
    } catch (err) {
      writeReply(this.reply, false, err instanceof Error ? err.message : String(err));
    }
  }

  private end(outcome: Outcome | null): void {
    const finish = this.finish;
    this.finish = null;
    this.trial = null;
    finish?.(outcome);
  }

  private respawnIfDead(): void {
    if (!this.dead || this.stopping) return;
    this.dead = false;
    [this.worker, this.ready] = this.spawn();
  }

  /**
   * Runs one trial in the worker. A worker that dies is replaced; its trial fails when it had
   * started, and otherwise (a worker that died of the previous trial's leftovers, such as a stray
   * timer, before it took this one) runs once more on the new worker.
   */
  async run(trial: Trial): Promise<Outcome> {
    const frozen = this.study.snapshot(trial.number);
    const { space, relative } = trial.relativeDraw();
    const presampled = presample(this.study, frozen, this.prediction.order, space, relative);
    const message: ToWorker = { type: 'run', trial: frozen, space, relative, presampled };
    for (let attempt = 0; ; attempt++) {
      this.respawnIfDead();
      await this.ready;
      const outcome = new Promise<Outcome | null>((resolve) => {
        this.finish = resolve;
      });
      this.trial = trial;
      Atomics.store(this.header, STARTED, 0);
      this.worker.postMessage(message);
      const result = await outcome;
      this.respawnIfDead();
      if (result !== null) return result;
      if (attempt > 0) {
        return {
          state: 'failed',
          error: `worker thread died twice before starting trial ${trial.number}`,
        };
      }
    }
  }

  /** Stops the worker; a trial it was running ends as failed. */
  async terminate(): Promise<void> {
    // Listeners stay: terminate() itself waits on the 'exit' event.
    this.stopping = true;
    this.abandon?.(new ValueError('optimize stopped before this worker started'));
    this.end({ state: 'failed', error: 'optimize stopped before the trial finished' });
    await this.worker.terminate();
  }
}

function failedResult(result: unknown): Outcome {
  return {
    state: 'failed',
    error: `the objective returned ${JSON.stringify(result) ?? String(result)}, not a number`,
  };
}

/**
 * Runs trials of a module objective in `nJobs` worker threads. Asking, sampling, pruning decisions
 * and telling all happen here in the calling thread; workers only run the objective.
 * @internal
 */
export async function runInWorkers(
  study: Study,
  objective: ObjectiveModule,
  nJobs: number,
  budget: Budget,
  callbacks: readonly StudyCallback[],
): Promise<void> {
  const prediction: Prediction = { order: predictOrder(study) };
  const slots = Array.from({ length: nJobs }, () => new Slot(study, objective, prediction));
  let failure: unknown = null;
  const stopAll = () => Promise.all(slots.map((s) => s.terminate()));
  const results = await Promise.allSettled(
    slots.map(async (slot) => {
      while (failure === null) {
        const trial = await budget.next();
        if (!trial) break;
        let result: Outcome;
        try {
          result = await slot.run(trial);
        } catch (err) {
          await study.tell(trial, { state: 'failed', error: String(err) });
          // One worker that cannot start stops the others; their running trials end as failed.
          failure ??= err;
          await stopAll();
          throw err;
        }
        const frozen = await study.tell(trial, result);
        const names = Object.keys(frozen.distributions);
        if (names.length > 0) prediction.order = names.map((n) => [n, frozen.distributions[n]!]);
        for (const cb of callbacks) await cb(study, frozen);
      }
    }),
  );
  await stopAll();
  if (failure !== null) throw failure;
  const rejected = results.find((r) => r.status === 'rejected');
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
}
