import { launch } from '../distributed/launch.js';
import { KilnError } from '../tensor/errors.js';

const LAUNCH_FLAGS = ['nproc-per-node', 'nnodes', 'node-rank', 'master-addr', 'master-port'];

function intFlag(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n)) {
    throw new KilnError(`--${flag}: expected an integer, got '${String(value)}'`);
  }
  return n;
}

/** The command line a worker runs: this one without the launcher's flags. */
function workerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = LAUNCH_FLAGS.find((f) => arg === `--${f}` || arg.startsWith(`--${f}=`));
    if (flag === undefined) out.push(arg);
    else if (arg === `--${flag}`) i++;
  }
  return out;
}

/** Whether the command line asks for the launcher (any of its flags). */
export function wantsLaunch(values: Record<string, string | boolean | undefined>): boolean {
  return LAUNCH_FLAGS.some((f) => values[f] !== undefined);
}

/**
 * `kiln train <config> --nproc-per-node N [...]`: starts the workers (each a `kiln train`
 * without these flags) and returns the job's exit code.
 */
export async function launchWorkers(
  argv: readonly string[],
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  if (values['nproc-per-node'] === undefined) {
    const given = LAUNCH_FLAGS.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
    throw new KilnError(`${given.join(', ')} need --nproc-per-node`);
  }
  if (process.env.KILN_DIST_WORKER === '1') {
    throw new KilnError('--nproc-per-node: this process is already a worker of a distributed job');
  }
  const masterAddr = values['master-addr'];
  return launch(
    workerArgs(argv),
    {
      nprocPerNode: intFlag(values['nproc-per-node'], 'nproc-per-node')!,
      nnodes: intFlag(values.nnodes, 'nnodes'),
      nodeRank: intFlag(values['node-rank'], 'node-rank'),
      masterAddr: typeof masterAddr === 'string' ? masterAddr : undefined,
      masterPort: intFlag(values['master-port'], 'master-port'),
    },
    // A failed job's one line goes to stderr, as every CLI error.
    (line) => process.stderr.write(`${line}\n`),
  );
}
