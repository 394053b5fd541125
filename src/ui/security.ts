/**
 * The dashboard's guards: who may ask (token), what a page may run (Content-Security-Policy), and
 * which files may be read (nothing outside a run folder, whatever the path or its symlinks say).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, sep } from 'node:path';

/**
 * The only sources a dashboard page may use: its own scripts and styles, no inline code, no eval,
 * no other origin, no framing.
 *
 * @example
 * ```ts
 * res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
 * ```
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers sent with every response.
 *
 * @example
 * ```ts
 * setSecurityHeaders(res); // before writeHead
 * ```
 */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
}

/**
 * Whether `host` is a loopback address, where no token is required.
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true; isLoopback('0.0.0.0') is false
 * ```
 */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}

/**
 * A fresh random token: 32 bytes, URL-safe.
 *
 * @example
 * ```ts
 * const token = generateToken(); // 43 URL-safe characters
 * ```
 */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Compares two secrets in constant time (hashing first, so lengths do not leak either).
 *
 * @example
 * ```ts
 * sameSecret(given, token); // false for any other string
 * ```
 */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The name of the cookie that carries the token once a page was opened with `?token=`.
 *
 * @example
 * ```ts
 * res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict`);
 * ```
 */
export const TOKEN_COOKIE = 'kiln_token';

/**
 * The token a request presents: `Authorization: Bearer`, the `X-Kiln-Token` header, the cookie
 * set by the server, or `?token=` on the URL (how the printed link opens the page).
 *
 * @example
 * ```ts
 * presentedToken(req, new URL(req.url!, 'http://x')); // from header, query or cookie
 * ```
 */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-kiln-token'];
  if (typeof header === 'string') return header;
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * A token sent in a header: only a script of the page's own origin can set one (a custom header
 * needs a CORS preflight, which this server never grants), so deletes ask for it and never
 * trust the cookie a browser would attach to a forged cross-site request.
 *
 * @example
 * ```ts
 * if (headerToken(req) !== token) throw new ApiError(403, 'token required');
 * ```
 */
export function headerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-kiln-token'];
  return typeof header === 'string' ? header : undefined;
}

/**
 * Whether the Host header names this server. Guards a loopback server against DNS rebinding (a
 * foreign page whose domain resolves to 127.0.0.1 sends its own name as Host).
 *
 * @example
 * ```ts
 * hostAllowed('evil.example:8080', '127.0.0.1'); // false
 * ```
 */
export function hostAllowed(hostHeader: string | undefined, bound: string): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[')
    ? hostHeader.slice(1, hostHeader.indexOf(']'))
    : hostHeader.replace(/:\d+$/, '');
  if (!isLoopback(bound)) return true;
  return isLoopback(name.toLowerCase());
}

/**
 * Why a file request was refused: the client gets 403 or 404, never the file.
 *
 * @example
 * ```ts
 * await openInside(runDir, '../x').catch((e: PathRefused) => e.status); // 403
 * ```
 */
export class PathRefused extends Error {
  constructor(
    message: string,
    readonly status: 403 | 404,
  ) {
    super(message);
    this.name = 'PathRefused';
  }
}

/**
 * Opens a regular file under `root` for reading. Refuses absolute paths, `..` segments, NUL
 * bytes, and any path whose real location (all symlinks resolved) is outside the real `root`;
 * the resolved file is then opened with O_NOFOLLOW, so a symlink swapped in after the check is
 * not followed either.
 *
 * @example
 * ```ts
 * const { handle, size } = await openInside('/runs/mnist', 'plots/loss.svg');
 * ```
 */
export async function openInside(
  root: string,
  relative: string,
): Promise<{ handle: FileHandle; size: number; path: string }> {
  if (relative.includes('\0')) throw new PathRefused('path contains a NUL byte', 403);
  if (isAbsolute(relative) || /^[a-zA-Z]:/.test(relative))
    throw new PathRefused('absolute paths are refused', 403);
  const parts = relative.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) throw new PathRefused('".." in a path is refused', 403);
  let realRoot: string;
  let real: string;
  try {
    realRoot = await realpath(root);
    real = await realpath(`${realRoot}${sep}${parts.filter((p) => p && p !== '.').join(sep)}`);
  } catch {
    throw new PathRefused(`no such file: ${relative}`, 404);
  }
  if (!real.startsWith(realRoot + sep))
    throw new PathRefused('the path leads outside the run folder', 403);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    throw new PathRefused(`cannot open ${relative}`, 404);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new PathRefused(`not a file: ${relative}`, 404);
  }
  return { handle, size: stat.size, path: real };
}
