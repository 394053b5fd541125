import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistributedError, INSTALL_HINT } from './errors.js';
import { isAvailable } from './process-group.js';

/** Where the processes of a job run, as torchrun's options. */
export interface LaunchOptions {
  /** Worker processes on this machine. */
  nprocPerNode: number;
  /** Machines in the job (default 1). */
  nnodes?: number;
  /** This machine's index, 0..nnodes-1 (default 0; node 0 hosts rank 0). */
  nodeRank?: number;
  /** Rank 0's address (default 127.0.0.1). */
  masterAddr?: string;
  /** Rank 0's rendezvous port (default 29500). */
  masterPort?: number;
  /** Seconds between asking the other workers to stop and killing them (default 5). */
  graceSeconds?: number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'bin', 'kiln.mjs'))) return dir;
    dir = dirname(dir);
  }
  throw new DistributedError('launcher: cannot find bin/kiln.mjs above the kiln sources');
}

function checkInt(value: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DistributedError(`--${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** The last meaningful line a worker wrote to stderr (its error), without the `kiln: ` prefix. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim());
  const line = lines.reverse().find((l) => l.length > 0 && !l.startsWith('at ')) ?? '';
  return line.replace(/^kiln: /, '');
}

/**
 * Runs `kiln <args>` in `nprocPerNode` worker processes, as torchrun: each gets RANK,
 * WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT and KILN_NUM_THREADS
 * (cores / processes unless set). Rank 0's output goes to this process's stdout. When a
 * worker fails, the others are stopped (SIGTERM, then SIGKILL after the grace period) and
 * the job fails with that worker's error; every worker is waited for, so none is left behind.
 * Resolves with the exit code: 0 when every worker succeeded.
 *
 * @example
 * ```ts
 * const code = await launch(['train', 'mnist.yaml'], { nprocPerNode: 2 }, console.error);
 * ```
 */
export async function launch(
  args: readonly string[],
  options: LaunchOptions,
  report: (line: string) => void,
): Promise<number> {
  if (!isAvailable()) throw new DistributedError(INSTALL_HINT);
  const { nprocPerNode, nnodes = 1, nodeRank = 0, graceSeconds = 5 } = options;
  const masterAddr = options.masterAddr ?? '127.0.0.1';
  const masterPort = options.masterPort ?? 29500;
  checkInt(nprocPerNode, 'nproc-per-node', 1, 1024);
  checkInt(nnodes, 'nnodes', 1, 65536);
  checkInt(nodeRank, 'node-rank', 0, nnodes - 1);
  checkInt(masterPort, 'master-port', 1, 65535);
  const worldSize = nnodes * nprocPerNode;
  const threads =
    process.env.KILN_NUM_THREADS ??
    String(Math.max(1, Math.floor(availableParallelism() / nprocPerNode)));
  const bin = join(packageRoot(), 'bin', 'kiln.mjs');
  const children: ChildProcess[] = [];
  const stderr: string[] = [];
  let failure: string | null = null;
  let killTimer: NodeJS.Timeout | null = null;

  const stopOthers = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    killTimer ??= setTimeout(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, graceSeconds * 1000);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    failure ??= `stopped by ${signal}`;
    stopOthers();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const exits = Array.from({ length: nprocPerNode }, (_, local) => {
    const rank = nodeRank * nprocPerNode + local;
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        ...process.env,
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(nprocPerNode),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
        KILN_NUM_THREADS: threads,
        KILN_DIST_WORKER: '1',
      },
      stdio: ['ignore', rank === 0 ? 'inherit' : 'ignore', 'pipe'],
    });
    children.push(child);
    stderr.push('');
    child.stderr?.on('data', (d: Buffer) => {
      // Keep the tail: the error a worker dies with is at the end.
      stderr[local] = (stderr[local]! + d.toString()).slice(-8192);
    });
    return new Promise<void>((resolve) => {
      child.on('close', (code, signal) => {
        if ((code !== 0 || signal !== null) && failure === null) {
          const why = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
          const line = lastLine(stderr[local]!);
          failure = `rank ${rank} (pid ${child.pid}) ${why}${line ? `: ${line}` : ''}`;
          stopOthers();
        }
        resolve();
      });
    });
  });
  await Promise.all(exits);
  if (killTimer) clearTimeout(killTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (failure !== null) {
    report(`kiln: ${failure}`);
    return 1;
  }
  const notes = lastLine(stderr[0] ?? '');
  if (notes) process.stderr.write(stderr[0]!);
  return 0;
}
