/**
 * Live updates as server-sent events: while a run is running, the server polls the store and
 * tells the page when a metric grew or the status changed; the page then refetches its curves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api.js';
import type { DashboardSource } from './source.js';

/** The state a page compares: status and each metric's length. */
function snapshot(status: string, metrics: { key: string; count: number }[]): string {
  return JSON.stringify({ status, metrics });
}

/**
 * Streams `update` events for run `id` until the run ends (then one `end` event) or the client
 * goes away.
 *
 * @example
 * ```ts
 * await streamRunEvents(source, runId, req, res, 1000, openStreams);
 * ```
 */
export async function streamRunEvents(
  source: DashboardSource,
  id: string,
  req: IncomingMessage,
  res: ServerResponse,
  pollMs: number,
  streams: Set<ServerResponse>,
): Promise<void> {
  const first = await source.run(id);
  if (!first) throw new ApiError(404, `no run '${id}'`);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  streams.add(res);
  let last = '';
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    closed = true;
    if (timer) clearTimeout(timer);
    streams.delete(res);
  };
  req.on('close', stop);
  const tick = async () => {
    if (closed) return;
    try {
      const run = await source.run(id);
      if (!run) {
        res.write('event: end\ndata: {"status":"deleted"}\n\n');
        res.end();
        return stop();
      }
      const state = snapshot(run.status, await source.metricInfo(id));
      if (state !== last) {
        last = state;
        res.write(`event: update\ndata: ${state}\n\n`);
      }
      if (run.status !== 'running') {
        res.write(`event: end\ndata: ${JSON.stringify({ status: run.status })}\n\n`);
        res.end();
        return stop();
      }
    } catch (e) {
      res.write(`event: error\ndata: ${JSON.stringify({ error: String(e) })}\n\n`);
    }
    if (!closed) timer = setTimeout(tick, pollMs);
  };
  await tick();
}
