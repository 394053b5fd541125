/** `kiln runs`: list, show, compare, delete and export tracked runs. */
import { ConfigError } from '../../tensor/errors.js';
import { runsCompare } from './runs-compare.js';
import { openExistingStore, parseRunsArgs } from './runs-context.js';
import { runsDelete } from './runs-delete.js';
import { runsExport } from './runs-export.js';
import { runsList } from './runs-list.js';
import { runsShow } from './runs-show.js';

/** The help text of `kiln runs`. */
export const RUNS_HELP = `kiln runs [list] [--filter EXPR] [--sort FIELD] [--desc] [--experiment NAME] [--columns A,B] [--limit N] [--json]
kiln runs show <run> [--json]
kiln runs compare <run> <run> [<run>...] [--json]
kiln runs delete <run>... [--yes]
kiln runs export [<run>...] --format tensorboard|csv [--out DIR] [--filter EXPR] [--experiment NAME]

Tracked runs (every kiln train run is tracked). A <run> is its id, a unique id prefix (6+
characters) or its name.

  --store S         SQLite file or postgresql:// URL (default: KILN_STORE, else runs/kiln.db)
  --filter EXPR     e.g. "metrics.val_accuracy > 0.9 and params.optimizer.lr < 0.01": and, or,
                    not, parentheses, = != < <= > >= contains, 'strings', numbers; fields
                    params.<key>, metrics.<key> (final value), tags.<key>, id, name, experiment,
                    status, start_time, end_time, duration (s), seed, host, git_commit
  --sort FIELD      any field as in --filter (add --desc, or write FIELD:desc)
  --columns A,B     extra columns: fields as in --filter (default: up to 4 common metrics)
  --json            machine-readable output
  --yes             delete without asking
  --format F        export format: tensorboard (event files for tensorboard --logdir) or csv
  --out DIR         export folder (default: runs-export)`;

const SUBCOMMANDS = {
  list: runsList,
  show: runsShow,
  compare: runsCompare,
  delete: runsDelete,
  export: runsExport,
};

/**
 * Runs `kiln runs` with its arguments (after `runs`) and returns the exit code.
 *
 * @example
 * ```ts
 * await runsCommand(['--filter', 'metrics.val_accuracy > 0.9', '--json']);
 * ```
 */
export async function runsCommand(
  argv: readonly string[],
  log: (s: string) => void = console.log,
): Promise<number> {
  const { values, positionals } = parseRunsArgs(argv);
  if (values.help) {
    log(RUNS_HELP);
    return 0;
  }
  const [first, ...rest] = positionals;
  const name = first ?? 'list';
  if (!(name in SUBCOMMANDS))
    throw new ConfigError(
      `kiln runs: unknown subcommand '${name}'; expected list, show, compare, delete or export (see kiln runs --help)`,
    );
  const store = await openExistingStore(values.store);
  try {
    return await SUBCOMMANDS[name as keyof typeof SUBCOMMANDS]({ store, values, args: rest, log });
  } finally {
    await store.close();
  }
}
