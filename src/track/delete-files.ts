/** Removing a deleted run's files, shared by `kiln runs delete` and the dashboard. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve, sep } from 'node:path';
import { artifactPath } from './artifacts.js';
import type { RunRecord, TrackStore } from './types.js';

/** Whether removing `dir` would remove the cwd, the home folder or the root. */
function dangerous(dir: string): boolean {
  const d = resolve(dir);
  const cwd = process.cwd();
  return d === sep || d === homedir() || cwd === d || cwd.startsWith(d + sep);
}

/**
 * Deletes a run's files: its whole folder when kiln created it (never the cwd, home or root), else
 * only its recorded artifacts. Returns what it removed, for the user.
 *
 * @example
 * ```ts
 * const run = await store.deleteRun(id);
 * if (run) console.log(`removed ${await deleteRunFiles(store, run)}`);
 * ```
 */
export async function deleteRunFiles(store: TrackStore, run: RunRecord): Promise<string> {
  if (!run.runDir || !existsSync(run.runDir)) return 'no files';
  if ((await store.ownsRunDir(run.id)) && !dangerous(run.runDir)) {
    await rm(run.runDir, { recursive: true, force: true });
    return `folder ${run.runDir}`;
  }
  const artifacts = await store.listArtifacts(run.id);
  let removed = 0;
  for (const a of artifacts) {
    const path = await artifactPath(run.runDir, a.path).catch(() => null);
    if (path) {
      await rm(path, { force: true });
      removed++;
    }
  }
  return `${removed} artifact file${removed === 1 ? '' : 's'}`;
}
