import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../tensor/errors.js';

/** Files of a run folder. */
export const RUN_FILES = {
  config: 'config.json',
  model: 'model.json',
  weights: 'model.safetensors',
  metrics: 'metrics.csv',
  report: 'report.md',
  checkpoints: 'checkpoints',
  /** Tables: the data rows of each split (train, validation, test), for baselines. */
  split: 'split.json',
  resumes: 'resumes.json',
  /** The tracked run of this folder (store and run id), so `--resume` continues it. */
  tracking: 'tracking.json',
} as const;

/** Whether a run folder holds a resumable checkpoint. */
export function hasLastCheckpoint(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.checkpoints, 'last', 'checkpoint.json'));
}

/**
 * Picks the run folder: `<out>/<name>` for a new run (or `<name>-2`, `-3`... when taken); with
 * `resume`, the newest such folder that has a checkpoint to continue from.
 */
export async function chooseRunDir(out: string, name: string, resume: boolean): Promise<string> {
  await mkdir(out, { recursive: true });
  const entries = await readdir(out);
  const ours = entries
    .filter((e) => e === name || new RegExp(`^${name.replace(/[.]/g, '\\.')}-(\\d+)$`).test(e))
    .map((e) => ({ dir: join(out, e), n: e === name ? 1 : Number(e.slice(name.length + 1)) }))
    .sort((a, b) => b.n - a.n);
  if (resume) {
    const found = ours.find((r) => hasLastCheckpoint(r.dir));
    if (!found)
      throw new ConfigError(`--resume: no run of '${name}' with a checkpoint under ${out}/`);
    return found.dir;
  }
  const next = ours.length === 0 ? 1 : ours[0]!.n + 1;
  const dir = join(out, next === 1 ? name : `${name}-${next}`);
  await mkdir(dir, { recursive: true });
  return dir;
}
