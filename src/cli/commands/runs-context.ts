/** What every `kiln runs` subcommand shares: its options, the store it reads, run lookup. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../tensor/errors.js';
import { isPostgresUrl, openStore, resolveStore } from '../../track/open.js';
import type { RunRecord, TrackStore } from '../../track/types.js';

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

export function parseRunsArgs(argv: readonly string[]) {
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
