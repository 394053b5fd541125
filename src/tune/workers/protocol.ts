import type { Distribution, ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../frozen-trial.js';
import type { TrialPatch } from '../storage.js';
import type { SearchSpace } from '../view.js';
import type { Presampled } from './presample.js';

/** Data a worker thread starts with. @internal */
export interface WorkerInit {
  module: string;
  exportName: string;
  /** [state, byteLength, started] then the reply bytes: the synchronous reply channel. */
  reply: SharedArrayBuffer;
}

/** Parent to worker. @internal */
export type ToWorker = {
  type: 'run';
  trial: FrozenTrial;
  space: SearchSpace;
  relative: Record<string, ParamValue>;
  /** Values drawn ahead for the suggest calls the trial is expected to make. */
  presampled: Presampled[];
};

/**
 * Worker to parent. A worker batches its trial's writes: they go with its next message (`writes`,
 * applied first, in order), or on their own after {@link WRITE_FLUSH_MS}. @internal
 */
export type FromWorker = (
  | { type: 'ready' }
  | { type: 'loadError'; message: string }
  | { type: 'write' }
  | { type: 'sample'; name: string; distribution: Distribution }
  | { type: 'shouldPrune' }
  | { type: 'done'; result: unknown }
  | { type: 'threw'; pruned: boolean; error: string }
) & { writes?: TrialPatch[] };

/**
 * Longest time a worker holds a trial's writes (reports, attributes) before posting them on their
 * own, so that pruners of other trials and the store see a long objective's progress. @internal
 */
export const WRITE_FLUSH_MS = 100;

/** Bytes reserved for one synchronous reply (a sampled value or a boolean, as JSON). @internal */
export const REPLY_BYTES = 1 << 16;
/**
 * Header of the shared channel: the reply's state (0 empty, 1 value, 2 error), the reply's length,
 * and {@link STARTED}. @internal
 */
export const HEADER_INTS = 3;
/**
 * Header slot the parent clears when it posts a trial and the worker sets to 1 when it takes it:
 * read after the worker died, it tells a trial the worker had started from one it never saw.
 * @internal
 */
export const STARTED = 2;

/** Writes a reply into the shared channel and wakes the waiting worker. @internal */
export function writeReply(buffer: SharedArrayBuffer, ok: boolean, payload: unknown): void {
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  const bytes = new TextEncoder().encode(JSON.stringify(payload ?? null));
  if (bytes.length > REPLY_BYTES) {
    const msg = new TextEncoder().encode(
      JSON.stringify(`reply of ${bytes.length} bytes is too large`),
    );
    new Uint8Array(buffer, HEADER_INTS * 4, msg.length).set(msg);
    Atomics.store(header, 1, msg.length);
    Atomics.store(header, 0, 2);
  } else {
    new Uint8Array(buffer, HEADER_INTS * 4, bytes.length).set(bytes);
    Atomics.store(header, 1, bytes.length);
    Atomics.store(header, 0, ok ? 1 : 2);
  }
  Atomics.notify(header, 0);
}
