// Shared helpers of the CLI tests: in-process runs of `main` with captured output, real
// subprocesses through bin/kiln.mjs, and small generated IDX datasets.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'kiln.mjs');
/** The environment of kiln subprocesses: quiet about a native addon that is not built. */
export const CHILD_ENV = { ...process.env, KILN_QUIET: '1' };

export interface CliResult {
  code: number;
  /** `log` lines and text written to stdout (progress bars, predictions). */
  out: string;
  err: string;
}

/**
 * Runs `main(argv)` in this process, capturing its log lines, stdout and stderr. Only string
 * writes are captured: the test runner's own binary reports pass through untouched.
 */
export async function runMain(argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (sink: string[], original: typeof process.stdout.write) =>
    function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk === 'string') {
        sink.push(chunk);
        return true;
      }
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
  process.stdout.write = capture(out, stdoutWrite);
  process.stderr.write = capture(err, stderrWrite);
  let code: number;
  try {
    code = await main(argv, (line) => void out.push(`${line}\n`));
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  return { code, out: out.join(''), err: err.join('') };
}

/** Runs `node bin/kiln.mjs ...args` and resolves with its exit code and output. */
export function runKiln(
  args: string[],
  options: { cwd?: string } = {},
): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: CHILD_ENV,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, out, err }));
  });
}

/** Writes an uncompressed IDX file of uint8 values. */
export function writeIdx(path: string, shape: number[], data: Uint8Array): void {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(0x0800 + shape.length, 0);
  for (const [i, d] of shape.entries()) header.writeUInt32BE(d, 4 + 4 * i);
  writeFileSync(path, Buffer.concat([header, data]));
}

/** A deterministic pseudo-random stream (mulberry32), independent of kiln's generators. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes a learnable image-classification set in IDX files: `n` noisy `size`x`size` images whose
 * class (0..classes-1) is marked by a bright row. Returns the four file paths.
 */
export function writeIdxDataset(
  dir: string,
  options: { train: number; test: number; size?: number; classes?: number; seed?: number },
): { train: string; trainLabels: string; test: string; testLabels: string } {
  const size = options.size ?? 8;
  const classes = options.classes ?? 4;
  const rand = mulberry32(options.seed ?? 1);
  const make = (n: number, prefix: string) => {
    const images = new Uint8Array(n * size * size);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(rand() * classes);
      labels[i] = c;
      for (let p = 0; p < size * size; p++) {
        const row = Math.floor(p / size);
        const bright = row === c * 2 && rand() < 0.4;
        images[i * size * size + p] = bright
          ? 100 + Math.floor(rand() * 150)
          : Math.floor(rand() * 170);
      }
    }
    const imagesPath = join(dir, `${prefix}-images-idx3-ubyte`);
    const labelsPath = join(dir, `${prefix}-labels-idx1-ubyte`);
    writeIdx(imagesPath, [n, size, size], images);
    writeIdx(labelsPath, [n], labels);
    return [imagesPath, labelsPath] as const;
  };
  const [train, trainLabels] = make(options.train, 'train');
  const [test, testLabels] = make(options.test, 't10k');
  return { train, trainLabels, test, testLabels };
}

/** The one line a user error prints: `kiln: ...`, no stack trace. */
export function assertOneLine(err: string): string {
  const lines = err.split('\n');
  if (lines.length !== 2 || lines[1] !== '' || !lines[0]!.startsWith('kiln: ')) {
    throw new Error(`expected exactly one 'kiln: ...' line on stderr, got ${JSON.stringify(err)}`);
  }
  if (/\n\s+at /.test(err) || /\.ts:\d+/.test(err))
    throw new Error(`stderr has a stack trace: ${err}`);
  return lines[0]!;
}
