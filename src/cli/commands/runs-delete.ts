/** `kiln runs delete <run>...`: removes runs from the store, with their artifacts. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError } from '../../tensor/errors.js';
import { artifactPath } from '../../track/artifacts.js';
import type { RunRecord, TrackStore } from '../../track/types.js';
import type { RunsContext } from './runs-context.js';
import { findRun } from './runs-context.js';

/** Whether removing `dir` would remove the cwd, the home folder or the root. */
function dangerous(dir: string): boolean {
  const d = resolve(dir);
  const cwd = process.cwd();
  return d === sep || d === homedir() || cwd === d || cwd.startsWith(d + sep);
}

/** Deletes a run's files: its whole folder when kiln created it, else only its recorded artifacts. */
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

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** Deletes runs after confirmation (or with --yes); exit code 0, or 1 when declined. */
export async function runsDelete({ store, values, args, log }: RunsContext): Promise<number> {
  if (args.length === 0) throw new ConfigError('kiln runs delete: give the runs to delete');
  const runs: RunRecord[] = [];
  for (const ref of args) runs.push(await findRun(store, ref));
  if (!values.yes) {
    if (!process.stdin.isTTY)
      throw new ConfigError(
        'kiln runs delete: not asking on a non-interactive input; pass --yes to delete',
      );
    for (const r of runs)
      log(
        `  ${r.id.slice(0, 8)} ${r.name} (${r.experiment}, ${r.status})${r.runDir ? ` ${r.runDir}` : ''}`,
      );
    if (
      !(await confirm(
        `delete ${runs.length} run${runs.length === 1 ? '' : 's'} and their files? [y/N] `,
      ))
    ) {
      log('nothing deleted');
      return 1;
    }
  }
  for (const r of runs) {
    const files = await deleteRunFiles(store, r);
    await store.deleteRun(r.id);
    log(`deleted ${r.id.slice(0, 8)} ${r.name} (${files})`);
  }
  return 0;
}
