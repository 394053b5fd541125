/** Files of a run folder: listing them for the run page, and sending one (never one outside). */
import { lstat, readdir } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, join } from 'node:path';
import { ApiError } from './api.js';
import { contentType } from './assets.js';
import { openInside, PathRefused } from './security.js';

/** A file found in a run folder: its path relative to the folder, and size in bytes. */
export interface RunFile {
  path: string;
  size: number;
}

const IMAGE = /\.(svg|png|jpe?g|gif|webp)$/i;

/**
 * Whether a run-folder file is an image the page shows (confusion matrix, curves).
 *
 * @example
 * ```ts
 * isImage('plots/confusion-matrix.svg'); // true
 * ```
 */
export function isImage(path: string): boolean {
  return IMAGE.test(path);
}

/**
 * The regular files of a run folder, depth-first up to `maxDepth` levels and `limit` files.
 * Symlinks are not followed (and not listed): the page offers only what really lies inside.
 *
 * @example
 * ```ts
 * await listRunFiles('runs/mnist'); // [{ path: 'config.json', size: 812 }, ...]
 * ```
 */
export async function listRunFiles(dir: string, maxDepth = 3, limit = 500): Promise<RunFile[]> {
  const found: RunFile[] = [];
  async function walk(rel: string, depth: number): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(join(dir, rel))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (found.length >= limit) return;
      if (name.startsWith('.kiln-tmp')) continue;
      const path = rel ? `${rel}/${name}` : name;
      const info = await lstat(join(dir, path)).catch(() => undefined);
      if (!info || info.isSymbolicLink()) continue;
      if (info.isFile()) found.push({ path, size: info.size });
      else if (info.isDirectory() && depth < maxDepth) await walk(path, depth + 1);
    }
  }
  await walk('', 1);
  return found;
}

/**
 * Sends one file of a run folder: as a download, or inline when asked for an image. Every file
 * response carries a sandboxing CSP, so an SVG opened on its own runs no script.
 *
 * @example
 * ```ts
 * await sendRunFile(res, run.runDir, 'model.safetensors', false); // a download
 * ```
 */
export async function sendRunFile(
  res: ServerResponse,
  runDir: string,
  relative: string,
  inline: boolean,
): Promise<void> {
  let opened: Awaited<ReturnType<typeof openInside>>;
  try {
    opened = await openInside(runDir, relative);
  } catch (e) {
    if (e instanceof PathRefused) throw new ApiError(e.status, e.message);
    throw e;
  }
  const { handle, size } = opened;
  const asImage = inline && isImage(relative);
  const name = basename(relative).replace(/[^\w.-]/g, '_');
  res.writeHead(200, {
    'Content-Type': asImage ? contentType(relative) : 'application/octet-stream',
    'Content-Length': size,
    'Content-Disposition': asImage ? 'inline' : `attachment; filename="${name}"`,
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    'Cache-Control': 'no-cache',
  });
  const stream = handle.createReadStream();
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    res.on('close', resolve);
    stream.pipe(res);
  }).finally(() => handle.close().catch(() => undefined));
}
