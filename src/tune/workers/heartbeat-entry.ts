// The heartbeat thread of a study (see ../heartbeat.ts): opens its own connection to the study's
// store and records a heartbeat for each running trial every `intervalMs`, whatever the calling
// thread is doing (a synchronous objective blocks that thread's timers for as long as it runs).
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../track/open.js';
import type { HeartbeatInit, HeartbeatMessage } from '../heartbeat.js';

const init = workerData as HeartbeatInit;
const port = parentPort!;
const running = new Set<number>();
const store = await openStore(init.location);
let failed = false;

async function beat(ids: Iterable<number>): Promise<void> {
  const now = Date.now();
  try {
    for (const id of ids) await store.trialHeartbeat(id, now);
  } catch (err) {
    // Reported once; the caller's own heartbeat at the next trial start rethrows the store's error.
    if (!failed) port.postMessage({ type: 'error', message: (err as Error).message });
    failed = true;
  }
}

const timer = setInterval(() => void beat(running), init.intervalMs);
port.on('message', (msg: HeartbeatMessage) => {
  if (msg.type === 'add') {
    running.add(msg.trialId);
    void beat([msg.trialId]);
  } else if (msg.type === 'remove') {
    running.delete(msg.trialId);
  } else {
    clearInterval(timer);
    void store.close().finally(() => port.postMessage({ type: 'stopped' }));
  }
});
port.postMessage({ type: 'ready' });
