/** `kiln ui`: the dashboard over the tracking store, until Ctrl-C. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../tensor/errors.js';
import { startDashboard } from '../../ui/server.js';
import { openDashboardSource } from '../../ui/store-source.js';

/** The help text of `kiln ui`. */
export const UI_HELP = `kiln ui [--port 8080] [--host 127.0.0.1] [--store PATH|URL] [--token T] [--allow-delete]

Serves the tracking dashboard: runs table, run pages with live curves, comparisons, studies.

Options:
  --port N          port to listen on (default 8080; 0 picks a free one)
  --host ADDR       address to listen on (default 127.0.0.1). Any other address requires a
                    token for every request: the one given, or a generated one that is printed
  --store S         SQLite file or postgresql:// URL (default: KILN_STORE, else runs/kiln.db)
  --token T         require this token (open the printed link, which carries it)
  --allow-delete    allow deleting runs from the page (with the token; read-only otherwise)`;

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  store: { type: 'string' },
  token: { type: 'string' },
  'allow-delete': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const;

/**
 * Runs `kiln ui` with its arguments (after the command name); resolves with the exit code once the
 * server stopped (SIGINT or SIGTERM, or `signal` aborted).
 *
 * @example
 * ```ts
 * await uiCommand(['--port', '0', '--store', 'runs/kiln.db']);
 * ```
 */
export async function uiCommand(
  argv: readonly string[],
  log: (s: string) => void = console.log,
  signal?: AbortSignal,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    log(UI_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new ConfigError(`kiln ui: unexpected argument '${positionals[0]}' (see kiln ui --help)`);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port: expected an integer in 0..65535, got '${values.port}'`);
  if (values.token !== undefined && values.token.length < 8)
    throw new ConfigError('--token: use at least 8 characters');
  const source = await openDashboardSource(values.store);
  let ui: Awaited<ReturnType<typeof startDashboard>>;
  try {
    ui = await startDashboard({
      source,
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(values.token ? { token: values.token } : {}),
      allowDelete: values['allow-delete'] === true,
    });
  } catch (e) {
    await source.close();
    const err = e as Error & { code?: string };
    if (err.code === 'EADDRINUSE')
      throw new ConfigError(`--port ${port}: the port is in use; pick another (or --port 0)`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      throw new ConfigError(`--host ${values.host}: not an address of this machine`);
    throw e;
  }
  log(`kiln ui: ${source.describe()}`);
  log(`open ${ui.url}`);
  if (ui.token && values.token === undefined) log(`token: ${ui.token}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await ui.close();
  return 0;
}
