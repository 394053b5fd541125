// Shared helpers of the dashboard tests: raw HTTP requests (paths sent exactly as written, so
// "../" reaches the server un-normalized) and a real SQLite store with a few logged runs.
import { request as httpRequest } from 'node:http';
import { openStore } from '../../src/track/open.js';
import type { TrackStore } from '../../src/track/types.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request to 127.0.0.1:port with the path as given (no URL normalization). */
export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A loss curve of `n` points and a few params, logged through the store as a run would. */
export async function logRun(
  store: TrackStore,
  name: string,
  options: { n: number; lr: number; runDir?: string; ownsRunDir?: boolean; end?: boolean },
): Promise<string> {
  const run = await store.createRun({
    experiment: 'ui-test',
    name,
    config: { optimizer: { type: 'Adam', lr: options.lr } },
    ...(options.runDir ? { runDir: options.runDir, ownsRunDir: options.ownsRunDir ?? false } : {}),
  });
  await store.logParams(run.id, { 'optimizer.lr': options.lr, 'optimizer.type': 'Adam' });
  const t0 = Date.now();
  const points = Array.from({ length: options.n }, (_, i) => ({
    key: 'loss',
    value: 1 / (1 + i * options.lr),
    step: i,
    epoch: null,
    time: t0 + i,
  }));
  for (let i = 0; i < points.length; i += 20_000)
    await store.logMetrics(run.id, points.slice(i, i + 20_000));
  if (options.end !== false) await store.endRun(run.id, 'finished');
  return run.id;
}

export { openStore };
