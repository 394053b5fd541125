// A worker thread that runs trials of a module objective. Sampling stays in the parent: a trial
// arrives with values drawn ahead for the suggest calls it is expected to make; any other suggest
// call blocks this thread on a shared-memory reply (Atomics.wait) while the parent's sampler draws
// it. Writes (params, reports) are batched into the next message, or posted after WRITE_FLUSH_MS,
// or as the thread dies (process.exit, an uncaught exception), so that none is lost.
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { Distribution, ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen-trial.js';
import { applyPatch, type TrialPatch } from '../storage.js';
import { Trial, type TrialHost, TrialPruned } from '../trial.js';
import { type Presampled, takePresampled } from './presample.js';
import {
  type FromWorker,
  HEADER_INTS,
  STARTED,
  type ToWorker,
  type WorkerInit,
  WRITE_FLUSH_MS,
} from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const header = new Int32Array(init.reply, 0, HEADER_INTS);

let pending: TrialPatch[] = [];
let lastFlush = 0;
let flushTimer: ReturnType<typeof setTimeout> | null = null;

/** Posts a message with the writes not yet sent. */
function post(message: FromWorker): void {
  if (flushTimer !== null) clearTimeout(flushTimer);
  flushTimer = null;
  lastFlush = Date.now();
  if (pending.length === 0) {
    port.postMessage(message);
    return;
  }
  const writes = pending;
  pending = [];
  port.postMessage({ ...message, writes });
}

/** Queues a write; sends the queue at once when the last send is WRITE_FLUSH_MS old. */
function queueWrite(patch: TrialPatch): void {
  pending.push(patch);
  // A synchronous objective blocks the timer, so the age is also checked here.
  if (Date.now() - lastFlush >= WRITE_FLUSH_MS) post({ type: 'write' });
  else flushTimer ??= setTimeout(() => post({ type: 'write' }), WRITE_FLUSH_MS);
}

// A dying thread still posts what it batched; Node delivers it to the parent before the thread's
// 'exit' event, at which the parent fails the trial.
const flushPending = (): void => {
  if (pending.length > 0) post({ type: 'write' });
};
process.on('exit', flushPending);
process.on('uncaughtExceptionMonitor', flushPending);

function call(message: FromWorker): unknown {
  Atomics.store(header, 0, 0);
  post(message);
  Atomics.wait(header, 0, 0);
  const length = Atomics.load(header, 1);
  const bytes = new Uint8Array(init.reply, HEADER_INTS * 4, length).slice();
  const payload = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  if (Atomics.load(header, 0) === 2) throw new Error(String(payload));
  return payload;
}

class RemoteHost implements TrialHost {
  constructor(
    private current: FrozenTrial,
    private readonly presampled: readonly Presampled[],
  ) {}
  snapshot(): FrozenTrial {
    return this.current;
  }
  writeTrial(_trialId: number, _number: number, patch: TrialPatch): void {
    this.current = applyPatch(this.current, patch);
    queueWrite(patch);
  }
  sampleIndependent(_trial: FrozenTrial, name: string, distribution: Distribution): ParamValue {
    const ahead = takePresampled(this.presampled, this.current, name, distribution);
    if (ahead !== undefined) return ahead;
    return call({ type: 'sample', name, distribution }) as ParamValue;
  }
  shouldPrune(): boolean {
    return call({ type: 'shouldPrune' }) === true;
  }
}

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

async function load(): Promise<(trial: Trial) => unknown> {
  const spec = /^[a-z]+:/i.test(init.module) ? init.module : pathToFileURL(init.module).href;
  const mod = (await import(spec)) as Record<string, unknown>;
  const fn = mod[init.exportName];
  if (typeof fn !== 'function') {
    throw new Error(`module ${init.module} has no function export '${init.exportName}'`);
  }
  return fn as (trial: Trial) => unknown;
}

try {
  const objective = await load();
  port.on('message', async (msg: ToWorker) => {
    Atomics.store(header, STARTED, 1);
    lastFlush = Date.now();
    const host = new RemoteHost(msg.trial, msg.presampled);
    const trial = new Trial(host, msg.trial.trialId, msg.trial.number, msg.space, msg.relative);
    try {
      const result = objective(trial);
      // A synchronous objective's value goes out before any task it queued can end the thread.
      post({ type: 'done', result: isPromise(result) ? await result : result });
    } catch (err) {
      const pruned =
        err instanceof TrialPruned || (err instanceof Error && err.name === 'TrialPruned');
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      post({ type: 'threw', pruned, error });
    }
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'loadError', message: err instanceof Error ? err.message : String(err) });
}
