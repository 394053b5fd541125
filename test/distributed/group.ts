// Starts real process groups for the distributed tests: N node processes (tsx) with torchrun's
// environment on a free port, their output, exit codes, and a hard deadline.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  pid: number;
}

/** Runs `node --import tsx <argv>` and resolves when it exits (killed at `deadlineMs`). */
export function runNode(
  argv: string[],
  env: Record<string, string>,
  deadlineMs: number,
  wrap: string[] = [],
): { pid: number; done: Promise<ProcResult>; stdout: () => string } {
  const cmd = wrap.length > 0 ? wrap[0]! : process.execPath;
  const args = [
    ...wrap.slice(1),
    ...(wrap.length > 0 ? [process.execPath] : []),
    '--import',
    'tsx',
    ...argv,
  ];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, KILN_QUIET: '1', KILN_NUM_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const done = new Promise<ProcResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err, pid: child.pid! });
    }),
  );
  return { pid: child.pid!, done, stdout: () => out };
}

/** Starts ranks 0..n-1 of `script` (a path under test/distributed) on 127.0.0.1. */
export async function runGroup(
  script: string,
  n: number,
  args: (rank: number) => string[],
  options: { deadlineMs?: number; env?: Record<string, string> } = {},
): Promise<ProcResult[]> {
  const port = await freePort();
  const runs = Array.from({ length: n }, (_, rank) =>
    runNode(
      [join('test', 'distributed', script), ...args(rank)],
      {
        RANK: String(rank),
        WORLD_SIZE: String(n),
        LOCAL_RANK: String(rank),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        ...options.env,
      },
      options.deadlineMs ?? 60_000,
    ),
  );
  return Promise.all(runs.map((r) => r.done));
}
