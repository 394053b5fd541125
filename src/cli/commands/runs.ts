/** `kiln runs`: list, show, compare, delete and export tracked runs. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../tensor/errors.js';
import { isPostgresUrl, openStore, resolveStore } from '../../track/open.js';
import type { RunRecord, TrackStore } from '../../track/types.js';
import { runsCompare } from './runs-compare.js';
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

const OPTIONS = {
  store: { type: 'string' },
  filter: { type: 'string' },
  sort: { type: 'string' },
  desc: { type: 'boolean' },
  experiment: { type: 'string' },
  columns: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const;

/** Parsed options of `kiln runs`. */
export type RunsOptions = ReturnType<typeof parseRunsArgs>['values'];

function parseRunsArgs(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
}

/** What each subcommand gets. */
export interface RunsContext {
  store: TrackStore;
  values: RunsOptions;
  args: string[];
  log: (s: string) => void;
}

/** Opens the store for reading: a SQLite file must already exist (a typo must not create one). */
export async function openExistingStore(spec: string | undefined): Promise<TrackStore> {
  const where = resolveStore(spec);
  if (!isPostgresUrl(where) && !existsSync(where))
    throw new ConfigError(
      `no tracking store at ${where}: train with kiln train first, or pass --store (a SQLite file or postgresql:// URL)`,
    );
  return openStore(where);
}

/** A run by reference, or a clear error naming it. */
export async function findRun(store: TrackStore, ref: string): Promise<RunRecord> {
  const run = await store.getRun(ref);
  if (!run) throw new ConfigError(`no run '${ref}' in ${store.location} (see kiln runs)`);
  return run;
}

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
