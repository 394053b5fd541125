import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './workers/spawn.js';

/** Data the heartbeat thread starts with. @internal */
export interface HeartbeatInit {
  /** Where the thread opens the store: a SQLite path or a postgresql:// URL (password included). */
  location: string;
  intervalMs: number;
}

/** Caller to heartbeat thread. @internal */
export type HeartbeatMessage =
  | { type: 'add'; trialId: number }
  | { type: 'remove'; trialId: number }
  | { type: 'stop' };

/**
 * Heartbeats of a study's running trials from a thread of their own, with its own connection to
 * the store, so that they go on while the calling thread runs a synchronous objective (which
 * stops that thread's timers and promises for as long as it runs). The contract: a trial is alive
 * while its process is; a process that dies stops beating, and after the store's stale time its
 * trials are failed by whichever process reads the study next. An objective that hangs keeps its
 * trial running, as with Optuna's heartbeat thread. The thread does not keep the process alive.
 * @internal
 */
export class HeartbeatThread {
  private readonly worker: Worker;
  private error: string | null = null;
  /** Resolves once the thread has opened the store (rejects when it cannot). */
  readonly ready: Promise<void>;

  constructor(location: string, intervalMs: number) {
    const init: HeartbeatInit = { location, intervalMs };
    this.worker = spawnWorker('heartbeat-entry', init);
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (msg: { type: string; message?: string }) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'error') this.error ??= msg.message ?? 'heartbeat failed';
      });
      this.worker.on('error', (err) => {
        this.error ??= err.message;
        reject(err);
      });
      this.worker.on('exit', (code) => {
        this.error ??= `heartbeat thread exited with code ${code}`;
        reject(new Error(this.error));
      });
    });
    // Held until ready (a caller awaiting it must not see the process exit), then let go.
    this.ready.then(
      () => this.worker.unref(),
      () => {},
    );
  }

  /** The first error the thread met (a store it cannot open or write), else null. */
  get failure(): string | null {
    return this.error;
  }

  add(trialId: number): void {
    this.worker.postMessage({ type: 'add', trialId } satisfies HeartbeatMessage);
  }

  remove(trialId: number): void {
    this.worker.postMessage({ type: 'remove', trialId } satisfies HeartbeatMessage);
  }

  /** Closes the thread's store connection and ends the thread. */
  async stop(): Promise<void> {
    if (this.worker.threadId < 0) return;
    this.worker.ref();
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (msg: { type: string }) => {
        if (msg.type === 'stopped') resolve();
      });
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage({ type: 'stop' } satisfies HeartbeatMessage);
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await closed;
    clearTimeout(timeout);
    await this.worker.terminate();
  }
}
