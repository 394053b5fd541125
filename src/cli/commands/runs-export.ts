/** `kiln runs export`: runs' metrics as TensorBoard event files or CSV. */
import { ConfigError } from '../../tensor/errors.js';
import { type ExportFormat, exportRuns } from '../../track/export.js';
import type { RunSummary } from '../../track/types.js';
import type { RunsContext } from './runs-context.js';
import { findRun } from './runs-context.js';

/** Exports the given runs (or those the filter or experiment select, or all); exit code 0. */
export async function runsExport({ store, values, args, log }: RunsContext): Promise<number> {
  const format = values.format;
  if (format !== 'tensorboard' && format !== 'csv')
    throw new ConfigError(
      format === undefined
        ? 'kiln runs export: --format tensorboard|csv is required'
        : `--format: expected tensorboard or csv, got '${format}'`,
    );
  let runs: RunSummary[];
  if (args.length > 0) {
    if (values.filter || values.experiment)
      throw new ConfigError('kiln runs export: give runs or --filter/--experiment, not both');
    runs = [];
    for (const ref of args) runs.push((await store.getRunSummary((await findRun(store, ref)).id))!);
  } else {
    runs = await store.listRuns({
      ...(values.experiment ? { experiment: values.experiment } : {}),
      ...(values.filter !== undefined ? { filter: values.filter } : {}),
      orderBy: 'start_time',
    });
  }
  const out = values.out ?? 'runs-export';
  const files = await exportRuns(store, runs, { format: format as ExportFormat, out });
  log(
    `exported ${runs.length} run${runs.length === 1 ? '' : 's'} to ${out} (${files.length} files)`,
  );
  if (format === 'tensorboard') log(`view with: tensorboard --logdir ${out}`);
  return 0;
}
