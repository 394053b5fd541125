/**
 * `kiln ui`'s HTTP server (node:http): the page's assets, the JSON API, live updates as
 * server-sent events, and file downloads from run folders, behind the guards of security.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, compactRuns, curve, parseCurveQuery, SeriesCache } from './api.js';
import { loadAssets } from './assets.js';
import { streamRunEvents } from './events.js';
import { sendRunFile } from './files.js';
import { runPage } from './run-detail.js';
import {
  generateToken,
  headerToken,
  hostAllowed,
  isLoopback,
  presentedToken,
  sameSecret,
  setSecurityHeaders,
  TOKEN_COOKIE,
} from './security.js';
import type { DashboardSource } from './source.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  source: DashboardSource;
  /** Address to listen on (default 127.0.0.1). Any non-loopback address requires a token. */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** The access token; generated when one is required and none is given. */
  token?: string;
  /** Allow `DELETE /api/runs/:id` for requests carrying the token in a header. */
  allowDelete?: boolean;
  /** How often live pages are told about new points, in ms (default 1000). */
  pollMs?: number;
}

/** A running dashboard. */
export interface Dashboard {
  /** The address to open, with `?token=` when one is required. */
  url: string;
  /** The token, when one is in force. */
  token: string | undefined;
  server: Server;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

function decodeSegments(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new ApiError(400, 'malformed percent-encoding in the path');
  }
}

/**
 * Starts the dashboard server and resolves once it listens.
 *
 * @example
 * ```ts
 * const ui = await startDashboard({ source: await openDashboardSource('runs/kiln.db'), port: 0 });
 * console.log(ui.url); // http://127.0.0.1:41234/
 * await ui.close();
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const needsToken =
    !isLoopback(host) || options.token !== undefined || options.allowDelete === true;
  const token = needsToken ? (options.token ?? generateToken()) : undefined;
  const source = options.source;
  const assets = loadAssets();
  const cache = new SeriesCache(source);
  const pollMs = options.pollMs ?? 1000;
  const streams = new Set<ServerResponse>();

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, parts: string[]) {
    const [, resource, id, sub, ...rest] = parts;
    if (req.method === 'DELETE') {
      if (resource !== 'runs' || !id || sub !== undefined) throw new ApiError(404, 'not found');
      if (!options.allowDelete)
        throw new ApiError(403, 'this dashboard is read-only (start it with --allow-delete)');
      const given = headerToken(req);
      if (!token || !given || !sameSecret(given, token))
        throw new ApiError(403, 'deleting needs the token in the X-Kiln-Token header');
      await source.deleteRun(id);
      cache.forget(id);
      return sendJson(res, 200, { deleted: id });
    }
    if (resource === 'info' && !id)
      return sendJson(res, 200, {
        store: source.describe(),
        canDelete: options.allowDelete === true,
        studies: (await source.studies()).length > 0,
      });
    if (resource === 'experiments' && !id) return sendJson(res, 200, await source.experiments());
    if (resource === 'studies' && !id) return sendJson(res, 200, await source.studies());
    if (resource === 'studies' && sub === undefined) {
      const study = await source.study(id!);
      if (!study) throw new ApiError(404, `no study '${id}'`);
      return sendJson(res, 200, study);
    }
    if (resource !== 'runs') throw new ApiError(404, `no API resource '${resource ?? ''}'`);
    if (!id) {
      const experiment = url.searchParams.get('experiment') || undefined;
      const filter = url.searchParams.get('filter') || undefined;
      const rows = await source.runs({
        ...(experiment ? { experiment } : {}),
        ...(filter ? { filter } : {}),
      });
      return sendJson(res, 200, compactRuns(rows));
    }
    if (sub === undefined) {
      const detail = await runPage(source, id);
      if (!detail) throw new ApiError(404, `no run '${id}'`);
      return sendJson(res, 200, detail);
    }
    if (sub === 'metrics' && rest.length === 0)
      return sendJson(res, 200, await source.metricInfo(id));
    if (sub === 'metrics' && rest.length === 1) {
      const query = parseCurveQuery(url.searchParams);
      return sendJson(res, 200, curve(rest[0]!, await cache.get(id, rest[0]!), query));
    }
    if (sub === 'events' && rest.length === 0)
      return streamRunEvents(source, id, req, res, pollMs, streams);
    if (sub === 'files' && rest.length > 0) {
      const run = await source.run(id);
      if (!run?.runDir) throw new ApiError(404, `run '${id}' has no run folder`);
      return sendRunFile(res, run.runDir, rest.join('/'), url.searchParams.get('inline') === '1');
    }
    throw new ApiError(404, 'not found');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    if (!hostAllowed(req.headers.host, host)) return sendJson(res, 403, { error: 'bad Host' });
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (token) {
      const given = presentedToken(req, url);
      if (!given || !sameSecret(given, token))
        return sendJson(res, 401, { error: 'a valid token is required (?token=...)' });
      if (url.searchParams.has('token'))
        res.setHeader(
          'Set-Cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE')
      return sendJson(res, 405, { error: `method ${req.method} is not allowed` });
    const parts = decodeSegments(url.pathname);
    if (parts[0] === 'api') return api(req, res, url, parts);
    if (req.method === 'DELETE') return sendJson(res, 405, { error: 'method DELETE not allowed' });
    const asset = assets.get(url.pathname);
    if (!asset) return sendJson(res, 404, { error: `no page ${url.pathname}` });
    res.writeHead(200, {
      'Content-Type': asset.type,
      'Content-Length': asset.body.length,
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof ApiError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (res.headersSent) res.end();
      else
        sendJson(res, status, { error: status === 500 ? `internal error: ${message}` : message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = `http://${shown}:${address.port}/`;
  return {
    url: token ? `${base}?token=${token}` : base,
    token,
    server,
    async close() {
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await source.close();
    },
  };
}
