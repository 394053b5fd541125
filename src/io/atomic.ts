import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from '../tensor/errors.js';

/** Bytes to write: one buffer, a list of buffers written back to back, or UTF-8 text. @example `const d: k.io.FileData = [head, body];` */
export type FileData = Uint8Array | readonly Uint8Array[] | string;

/** A CheckpointError that keeps the underlying system error as `cause`. @internal */
export function ioError(message: string, cause: unknown): CheckpointError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const err = new CheckpointError(`${message}: ${detail}`);
  err.cause = cause;
  return err;
}

/** A random suffix for temporary names, so concurrent writers never share a temp file. @internal */
export function tempSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Flushes a directory's entries (the rename itself) to disk. Windows cannot open directories for
 * syncing and makes renames durable by itself, so failures there are ignored. @internal
 */
export async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files of `target` left by writers that crashed: only those whose writer process no
 * longer exists, so a concurrent writer's temp file is never touched. Best effort.
 */
async function sweepStaleTemps(dir: string, target: string): Promise<void> {
  const prefix = `.${basename(target)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) {
      await unlink(join(dir, name)).catch(() => {});
    }
  }
}

/**
 * Writes a file so that readers and crashes only ever see the old content or the complete new
 * content: the bytes go to a temporary file in the same directory (same file system, so the rename
 * is atomic), which is fsynced, renamed over `path`, and the directory is fsynced so the rename
 * survives power loss. Temp files of earlier writers that crashed are then removed. On failure the temporary file is removed and a `CheckpointError` naming
 * `path` is thrown; the old file, if any, is untouched.
 *
 * @example
 * ```ts
 * await k.io.writeFileAtomic('run/config.json', JSON.stringify(config));
 * ```
 */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.tmp-${tempSuffix()}`);
  const chunks: readonly Uint8Array[] =
    typeof data === 'string'
      ? [new TextEncoder().encode(data)]
      : data instanceof Uint8Array
        ? [data]
        : data;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx', 0o644);
    for (const chunk of chunks) {
      let done = 0;
      // A single write may be partial (large buffers, some file systems), so loop until done.
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        if (bytesWritten <= 0) throw new Error('write returned no progress');
        done += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, target);
  } catch (e) {
    await handle?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw ioError(`writeFileAtomic: cannot write ${path}`, e);
  }
  try {
    await syncDir(dir);
  } catch (e) {
    throw ioError(`writeFileAtomic: wrote ${path} but cannot sync its directory`, e);
  }
  await sweepStaleTemps(dir, target);
}
