/**
 * `tune.workers: N`: N - 1 more `kiln tune --worker` processes on this machine share the study
 * through its store, exactly as workers on other machines do; the first process shows the
 * progress of all of them and finishes the study.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// bin/kiln.mjs runs the built CLI, or the sources through tsx: right from src/ and dist/ alike.
const BIN = fileURLToPath(new URL('../../../bin/kiln.mjs', import.meta.url));

/** Worker processes started by this `kiln tune`. */
export interface TuneWorkers {
  /** Resolves when every worker has exited; failures are reported through `log`. */
  wait(): Promise<void>;
  /** Interrupts the workers (their running trials are marked interrupted). */
  stop(): void;
}

/** Starts `count` worker processes running `kiln tune <args> --worker`. */
export function startWorkers(
  count: number,
  args: readonly string[],
  log: (line: string) => void,
): TuneWorkers {
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [BIN, 'tune', ...args, '--worker'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, KILN_QUIET: '1' },
    });
    let err = '';
    child.stderr?.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    children.push(child);
    exits.push(
      new Promise((resolve) => {
        child.on('error', (e) => {
          log(`worker ${i + 1}: could not start: ${e.message}`);
          resolve();
        });
        child.on('exit', (code, signal) => {
          if (code !== 0 && code !== 130 && signal !== 'SIGINT')
            log(
              `worker ${i + 1} (pid ${child.pid}) stopped with ${signal ?? `exit code ${code}`}: ${err.trim().split('\n').at(-1) ?? ''}`,
            );
          resolve();
        });
      }),
    );
  }
  return {
    wait: async () => {
      await Promise.all(exits);
    },
    stop: () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
    },
  };
}
