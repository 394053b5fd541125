import { Worker } from 'node:worker_threads';

// Worker entries sit beside this file: .ts when run from source (tsx), .js when built.
const fromSource = import.meta.url.endsWith('.ts');

/**
 * Starts a worker thread on the entry module `name` of this folder ('entry', 'heartbeat-entry').
 * @internal
 */
export function spawnWorker(name: string, workerData: unknown): Worker {
  const entryUrl = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, import.meta.url);
  return fromSource
    ? // Running from TypeScript sources (tests, tsx): loader hooks are not inherited by worker
      // threads on Node 20, so the worker registers tsx itself before importing the entry.
      new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(entryUrl.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(entryUrl, { workerData });
}
