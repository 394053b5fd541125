// GEMM throughput of the native backend on 1 and 2 threads, next to OpenBLAS measured in the
// same run (bench/native/openblas_sgemm.c, compiled here when libopenblas is installed).
// Run: npx tsx bench/gemm.ts [--f64]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { View } from '../src/backend/backend.js';
import { loadNative, type NativeBinding } from '../src/backend/native/loader.js';

type FloatDType = 'float32' | 'float64';
interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  ta: boolean; // A stored transposed ([K, M] row-major)
  tb: boolean; // B stored transposed ([N, K] row-major)
}

const sq = (s: number): Shape => ({ label: `${s}^3`, m: s, n: s, k: s, ta: false, tb: false });
const mlp = (batch: number): Shape[] => [
  { label: `fwd [${batch},784]x[784,128]`, m: batch, n: 128, k: 784, ta: false, tb: false },
  {
    label: `dW X^T.dY [784,${batch}]x[${batch},128]`,
    m: 784,
    n: 128,
    k: batch,
    ta: true,
    tb: false,
  },
  { label: `dX dY.W^T [${batch},128]x[128,784]`, m: batch, n: 784, k: 128, ta: false, tb: true },
];
const SHAPES: Shape[] = [128, 256, 512, 1024, 2048].map(sq).concat(mlp(32), mlp(128));
const THREADS = [1, 2];
/** Shapes whose 1T figure is set against the FMA probe re-run in the same rounds. */
const PROBED = ['1024^3', '2048^3'];

function matrix(dtype: FloatDType, rows: number, cols: number, transposed: boolean): View {
  const storage =
    dtype === 'float32' ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < storage.length; i++) storage[i] = Math.random() - 0.5;
  const strides = transposed ? [1, rows] : [cols, 1];
  return { storage, shape: [rows, cols], strides, offset: 0, dtype };
}

/** Best time of several runs after one warmup: at least 5 runs and about 0.25 s per shape. */
function bestSeconds(fn: () => void): number {
  fn();
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  for (let r = 0; r < 5 || (spent < 0.25 && r < 2000); r++) {
    const t0 = process.hrtime.bigint();
    fn();
    const t = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, t);
    spent += t;
  }
  return best;
}

function nativeGflops(nat: NativeBinding, dtype: FloatDType, s: Shape): number {
  const a = matrix(dtype, s.m, s.k, s.ta);
  const b = matrix(dtype, s.k, s.n, s.tb);
  const out = matrix(dtype, s.m, s.n, false);
  return (2 * s.m * s.n * s.k) / bestSeconds(() => nat.matmul(a, b, out)) / 1e9;
}

/** Compiles the OpenBLAS helper; returns its path, or the reason it is unavailable. */
function buildOpenblas(dir: string): { exe: string } | { reason: string } {
  const src = join(dirname(fileURLToPath(import.meta.url)), 'native', 'openblas_sgemm.c');
  const exe = join(dir, 'openblas_sgemm');
  try {
    execFileSync('cc', ['-O2', src, '-o', exe, '-lopenblas'], { stdio: 'pipe' });
    return { exe };
  } catch {
    return {
      reason: 'OpenBLAS not measured: `cc ... -lopenblas` failed (install libopenblas-dev)',
    };
  }
}

/** Builds bench/native/fma_peak.c; returns its path, or the reason it is unavailable. */
function buildFmaPeak(dir: string): { exe: string } | { reason: string } {
  const src = join(dirname(fileURLToPath(import.meta.url)), 'native', 'fma_peak.c');
  const exe = join(dir, 'fma_peak');
  try {
    execFileSync('cc', ['-O3', '-pthread', src, '-o', exe], { stdio: 'pipe' });
    return { exe };
  } catch (e) {
    return { reason: `FMA peak not measured: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Runs the probe: [isa, GFLOP/s on 1 thread, on `threads` threads]; `wall` times it in wall-clock time. */
function fmaPeak(exe: string, threads: number, wall: boolean): [string, number, number] {
  const args = [String(threads), ...(wall ? ['--wall'] : [])];
  const [isa = '', one = '0', two = '0'] = execFileSync(exe, args, { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  return [isa, Number(one), Number(two)];
}

function openblasGflops(exe: string, dtype: FloatDType, threads: number, s: Shape): number {
  const args = [`${s.m}x${s.n}x${s.k}${s.ta ? 'At' : ''}${s.tb ? 'Bt' : ''}`];
  if (dtype === 'float64') args.unshift('-d');
  const text = execFileSync(exe, args, {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
  });
  return Number(text.trim().split(/\s+/)[5]);
}

function callOverheadNs(nat: NativeBinding): number {
  const one = (): View => ({
    storage: new Float32Array([1]),
    shape: [1, 1],
    strides: [1, 1],
    offset: 0,
    dtype: 'float32',
  });
  const [a, b, o] = [one(), one(), one()];
  const n = 200_000;
  let best = Number.POSITIVE_INFINITY;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) nat.matmul(a, b, o);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

function main(): void {
  const { binding: nat, error } = loadNative();
  if (nat === null) {
    console.log(`bench/gemm: ${error}`);
    return;
  }
  const dtype: FloatDType = process.argv.includes('--f64') ? 'float64' : 'float32';
  const threadsBefore = nat.getNumThreads();
  console.log(
    `kiln native ${dtype === 'float32' ? 'SGEMM' : 'DGEMM'}: kernels ${nat.gemmKernel()}, CPU ${nat.cpuFeatures()}`,
  );
  const load = loadavg()[0]!;
  if (load > 0.5) {
    console.log(
      `note: load average ${load.toFixed(1)} on ${availableParallelism()} cores; other jobs skew the figures (2T most)`,
    );
  }
  console.log(`1x1x1 matmul call: ${callOverheadNs(nat).toFixed(0)} ns`);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
  const ob = buildOpenblas(dir);
  if ('reason' in ob) console.log(ob.reason);
  const probe = buildFmaPeak(dir);
  const peak = 'exe' in probe ? fmaPeak(probe.exe, 2, false) : probe.reason;
  if (typeof peak === 'string') console.log(peak);
  else
    console.log(
      `measured FMA peak (${peak[0]} float32, bench/native/fma_peak.c, thread CPU time): ${peak[1].toFixed(1)} GFLOP/s on 1 thread, ${peak[2].toFixed(1)} on 2`,
    );
  // The 1T share is also taken against the probe re-run inside the same alternating rounds as
  // the GEMM and timed on its clock (wall time): a probe run once at the start, in thread CPU
  // time, sees neither the clock changes of the rounds that follow nor time the hypervisor takes.
  const roundPeak = new Map<string, number>();
  const kilnAt = new Map<string, number>();
  const cols: string[] = [];
  const table = new Map<string, string[]>(SHAPES.map((s) => [s.label, []]));
  try {
    for (const t of THREADS) {
      nat.setNumThreads(t);
      cols.push(`kiln ${t}T`, `OpenBLAS ${t}T`, 'ratio');
      for (const s of SHAPES) {
        // Alternate the two, best of three rounds each, so a burst of load elsewhere on the
        // machine cannot favour one side.
        let g = 0;
        let ref = 'exe' in ob ? 0 : Number.NaN;
        const probed = 'exe' in probe && t === 1 && dtype === 'float32' && PROBED.includes(s.label);
        let p = 0;
        for (let round = 0; round < 3; round++) {
          if (probed) p = Math.max(p, fmaPeak(probe.exe, 1, true)[1]);
          g = Math.max(g, nativeGflops(nat, dtype, s));
          if ('exe' in ob) ref = Math.max(ref, openblasGflops(ob.exe, dtype, t, s));
        }
        if (probed) roundPeak.set(s.label, p);
        table.get(s.label)!.push(g.toFixed(1), ref.toFixed(1), (g / ref).toFixed(2));
        kilnAt.set(`${s.label} ${t}`, g);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  nat.setNumThreads(threadsBefore);
  const w0 = Math.max(...SHAPES.map((s) => s.label.length));
  console.log(
    `\nGFLOP/s (best of >= 5 runs)\n${'shape'.padEnd(w0)}  ${cols.map((c) => c.padStart(12)).join('')}`,
  );
  for (const s of SHAPES) {
    console.log(
      `${s.label.padEnd(w0)}  ${table
        .get(s.label)!
        .map((c) => c.padStart(12))
        .join('')}`,
    );
  }
  if (typeof peak !== 'string' && dtype === 'float32') {
    const oneThread = (label: string) => kilnAt.get(`${label} 1`)!;
    const share = (label: string) => (oneThread(label) / peak[1]).toFixed(2);
    const inRounds = (label: string) => {
      const p = roundPeak.get(label)!;
      return `${(oneThread(label) / p).toFixed(2)} (probe ${p.toFixed(1)})`;
    };
    const scale = kilnAt.get('2048^3 2')! / kilnAt.get('2048^3 1')!;
    console.log(
      `kiln 1T share of the FMA peak measured in the same rounds (wall time): 1024^3 ${inRounds('1024^3')}, 2048^3 ${inRounds('2048^3')}`,
    );
    console.log(
      `kiln 1T share of the thread-CPU-time probe run at the start: 1024^3 ${share('1024^3')}, 2048^3 ${share('2048^3')}; 2T/1T at 2048^3: ${scale.toFixed(2)}x`,
    );
  }
}

main();
