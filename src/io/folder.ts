import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from '../tensor/errors.js';
import { ioError, syncDir, tempSuffix } from './atomic.js';

/*
 * A checkpoint folder is replaced as a unit. The new folder is built beside the target as
 * `<dir>.tmp-<id>` (its manifest `checkpoint.json` written last), then:
 *   rename <dir> -> <dir>.old-<id>;  rename <dir>.tmp-<id> -> <dir>;  fsync parent;  rm old.
 * Node has no atomic directory exchange, so a crash between the two renames leaves no <dir>, but
 * both complete checkpoints are still on disk; `resolveCheckpointDir` then picks the newest
 * complete sibling. At every instant the old or the new checkpoint is complete somewhere.
 */

/** The manifest file of a checkpoint; its presence marks a folder as complete. */
export const MANIFEST = 'checkpoint.json';
/** The `format` field of the manifest, to tell kiln checkpoints from other folders. */
export const FORMAT_NAME = 'kiln-checkpoint';

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads and parses a manifest, or null when it is absent or not a kiln manifest. */
async function peekManifest(dir: string): Promise<{ created?: unknown } | null> {
  try {
    const json: unknown = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
    if (
      typeof json === 'object' &&
      json !== null &&
      (json as { format?: unknown }).format === FORMAT_NAME
    ) {
      return json as { created?: unknown };
    }
  } catch {
    // Unreadable or partial: not a candidate.
  }
  return null;
}

/** The sibling folders a crashed save can leave behind, complete or not. */
async function siblings(target: string): Promise<string[]> {
  const parent = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(`${base}.tmp-`) || n.startsWith(`${base}.old-`))
    .map((n) => join(parent, n));
}

/**
 * The folder to read a checkpoint from: `dir` itself, or, when a save crashed between its two
 * renames, the newest complete `<dir>.tmp-*` / `<dir>.old-*` sibling. Throws a `CheckpointError`
 * naming `dir` when there is none. @internal
 */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  const target = resolve(dir);
  if (await exists(target)) return target;
  let best: { path: string; created: string; tmp: boolean } | null = null;
  for (const path of await siblings(target)) {
    const manifest = await peekManifest(path);
    if (!manifest) continue;
    const created = typeof manifest.created === 'string' ? manifest.created : '';
    const tmp = basename(path).startsWith(`${basename(target)}.tmp-`);
    if (!best || created > best.created || (created === best.created && tmp && !best.tmp)) {
      best = { path, created, tmp };
    }
  }
  if (best) return best.path;
  throw new CheckpointError(`loadCheckpoint: checkpoint folder ${dir} does not exist`);
}

/**
 * Creates the staging folder for a new checkpoint of `dir`, after checking that `dir`, if it
 * exists, is a kiln checkpoint (so a wrong path never replaces an unrelated folder). @internal
 */
export async function prepareStaging(dir: string): Promise<string> {
  const target = resolve(dir);
  let stat: Awaited<ReturnType<typeof lstat>> | null = null;
  try {
    stat = await lstat(target);
  } catch {
    stat = null;
  }
  if (stat) {
    const empty = stat.isDirectory() && (await readdir(target)).length === 0;
    if (!stat.isDirectory() || (!empty && !(await peekManifest(target)))) {
      throw new CheckpointError(
        `saveCheckpoint: ${dir} exists and is not a kiln checkpoint folder; refusing to replace it`,
      );
    }
  }
  const staging = `${target}.tmp-${tempSuffix()}`;
  try {
    await mkdir(dirname(target), { recursive: true });
    await mkdir(staging);
  } catch (e) {
    throw ioError(`saveCheckpoint: cannot create ${staging}`, e);
  }
  return staging;
}

/**
 * Moves a complete staging folder into place as `dir`, replacing any old checkpoint, and removes
 * leftovers of earlier crashed saves (concurrent saves to one folder are not supported). @internal
 */
export async function commitStaging(staging: string, dir: string): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  await syncDir(staging);
  let old: string | null = null;
  try {
    if (await exists(target)) {
      old = `${target}.old-${tempSuffix()}`;
      await rename(target, old);
    }
    await rename(staging, target);
  } catch (e) {
    // Put the old checkpoint back if it was moved; the staging folder is discarded by the caller.
    if (old && !(await exists(target))) await rename(old, target).catch(() => {});
    throw ioError(`saveCheckpoint: cannot move the new checkpoint into ${dir}`, e);
  }
  try {
    await syncDir(parent);
  } catch (e) {
    throw ioError(`saveCheckpoint: cannot sync ${parent}`, e);
  }
  // The new checkpoint is durable; everything left beside it is superseded.
  for (const path of await siblings(target)) await rm(path, { recursive: true, force: true });
}
