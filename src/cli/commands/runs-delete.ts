/** `kiln runs delete <run>...`: removes runs from the store, with their artifacts. */
import { createInterface } from 'node:readline/promises';
import { ConfigError } from '../../tensor/errors.js';
import { deleteRunFiles } from '../../track/delete-files.js';
import type { RunRecord } from '../../track/types.js';
import type { RunsContext } from './runs-context.js';
import { findRun } from './runs-context.js';

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
