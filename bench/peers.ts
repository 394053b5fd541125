/**
 * Side-by-side training and inference benchmarks of kiln and PyTorch on batches streamed from a
 * dataset (as an epoch reads them), shared by bench/mlp.ts and bench/cnn.ts. Every contender is
 * a runner that answers "train B S" / "warmup B" / "infer B S" with seconds: kiln in this
 * process, each PyTorch (every python with torch found, at 1 and 2 threads) in a persistent
 * worker (bench/torch_worker.py), so rounds alternate between them without start-up costs and
 * each keeps its best round.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { settle } from './util.js';

/** One contender: answers a command with seconds (or MiB for `rss`). */
export interface Runner {
  readonly name: string;
  ask(command: string): Promise<number>;
  close(): void;
}

/** Pythons to try: `KILN_BENCH_PYTHONS` (colon-separated) or the Debian one and /work/venv. */
function pythonCandidates(): string[] {
  const listed = process.env.KILN_BENCH_PYTHONS;
  if (listed) return listed.split(':').filter(Boolean);
  return ['/usr/bin/python3', '/work/venv/bin/python'].filter((p) => existsSync(p));
}

/** Each python with an importable torch, once per torch version: [python, version]. */
export function torchPythons(): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const p of pythonCandidates()) {
    const r = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    const version = r.status === 0 ? r.stdout.trim() : '';
    if (!version || seen.has(version)) continue;
    seen.add(version);
    out.push([p, version]);
  }
  return out;
}

/** Starts a PyTorch worker for `model` on `threads` threads over a dataset of `samples`. */
export async function startTorch(
  python: string,
  version: string,
  model: 'mlp' | 'cnn',
  threads: number,
  samples: number,
): Promise<Runner> {
  const child = spawn(python, ['bench/torch_worker.py', model, String(threads), String(samples)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`PyTorch worker (${python}) exited`);
    return r.value;
  };
  const ready = await next();
  if (!ready.startsWith('ready')) throw new Error(`PyTorch worker: ${ready}`);
  return {
    name: `PyTorch ${version.split('+')[0]} ${threads}T`,
    async ask(command: string): Promise<number> {
      child.stdin.write(`${command}\n`);
      return Number(await next());
    },
    close: () => child.stdin.end(),
  };
}

/**
 * Runs `command` on every runner, `rounds` times in alternation, and returns each runner's
 * smallest answer (its best round).
 */
export async function bestOfRounds(
  runners: readonly Runner[],
  command: string,
  rounds: number,
): Promise<number[]> {
  const best = runners.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < rounds; r++) {
    for (const [i, runner] of runners.entries()) {
      await settle();
      best[i] = Math.min(best[i]!, await runner.ask(command));
    }
  }
  return best;
}

/** PyTorch thread counts to run: `KILN_BENCH_TORCH_THREADS` (e.g. `1`) or 1 and 2. */
function torchThreads(): number[] {
  const listed = process.env.KILN_BENCH_TORCH_THREADS;
  return listed ? listed.split(',').map(Number) : [1, 2];
}

/** Warms every runner up with one pass over its dataset, reporting progress on stderr. */
export async function warmUp(runners: readonly Runner[], batch: number): Promise<void> {
  for (const r of runners) {
    process.stderr.write(`  (warm-up pass: ${r.name}, batch ${batch})\n`);
    await r.ask(`warmup ${batch}`);
  }
}

/** Starts kiln's own runner plus a PyTorch worker per torch found and thread count. */
export async function contenders(
  kiln: Runner,
  model: 'mlp' | 'cnn',
  samples: number,
  threads: readonly number[] = torchThreads(),
): Promise<Runner[]> {
  const runners = [kiln];
  for (const [python, version] of torchPythons()) {
    for (const t of threads) {
      try {
        runners.push(await startTorch(python, version, model, t, samples));
      } catch (e) {
        console.log(`  PyTorch ${version} ${t}T: unavailable (${(e as Error).message})`);
      }
    }
  }
  return runners;
}

/** One table line: name, samples/s, and kiln's ratio to it. */
export function line(name: string, samplesPerSecond: number, kilnRate?: number): string {
  const ratio = kilnRate === undefined ? '' : `  kiln ${(kilnRate / samplesPerSecond).toFixed(2)}x`;
  return `  ${name.padEnd(24)} ${samplesPerSecond.toFixed(0).padStart(8)} samples/s${ratio}`;
}

/** What kiln's runner does for the commands of a round (steps on streamed batches). */
export interface LocalWork {
  train(batch: number, steps: number): void;
  infer(batch: number, steps: number): void;
}

/** A runner in this process: sets kiln's thread count, then times the work a command names. */
export function localRunner(
  name: string,
  threads: number,
  samples: number,
  work: LocalWork,
  setThreads: (n: number) => void,
): Runner {
  return {
    name,
    async ask(command: string): Promise<number> {
      const [cmd, a = '0', b = '0'] = command.split(' ');
      const batch = Number(a);
      setThreads(threads);
      const start = performance.now();
      if (cmd === 'train') work.train(batch, Number(b));
      else if (cmd === 'warmup') work.train(batch, Math.floor(samples / batch));
      else if (cmd === 'infer') work.infer(batch, Number(b));
      else if (cmd === 'rss') return process.resourceUsage().maxRSS / 1024;
      else throw new Error(`unknown command ${command}`);
      return (performance.now() - start) / 1000;
    },
    close: () => {},
  };
}
