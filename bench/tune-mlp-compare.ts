/**
 * The iris MLP tuned by kiln (bench/tune-mlp.ts: kiln model, k.tune default TPE) and by Optuna
 * (bench/tune_mlp_optuna.py: the same PyTorch MLP, split, space and budget, Optuna's default
 * TPE), one after the other; prints the median best validation loss and its accuracy over seeds
 * as a Markdown table. Optuna from $OPTUNA_PYTHON, else /work/venv/bin/python, else python3
 * (needs torch too); skipped with a note when missing.
 * Usage: tsx bench/tune-mlp-compare.ts [--trials 30] [--seeds 10] [--seed-start 0]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Result {
  version: string;
  best: number[];
  accuracy: number[];
}

const passArgs = process.argv.slice(2);

function runJson(cmd: string, args: string[]): Result | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0)
    return `${cmd} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Result;
}

function pickPython(): string | null {
  const candidates = [process.env.OPTUNA_PYTHON, '/work/venv/bin/python', 'python3'].filter(
    Boolean,
  ) as string[];
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    if (spawnSync(py, ['-c', 'import optuna, torch']).status === 0) return py;
  }
  return null;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const kiln = runJson(process.execPath, ['--import', 'tsx', 'bench/tune-mlp.ts', ...passArgs]);
if (typeof kiln === 'string') throw new Error(kiln);
const python = pickPython();
const optuna = python
  ? runJson(python, ['bench/tune_mlp_optuna.py', ...passArgs])
  : 'Optuna with PyTorch is not installed';
if (typeof optuna === 'string') console.log(`(Optuna side skipped: ${optuna})`);
const ref = typeof optuna === 'string' ? null : optuna;

console.log(
  '\n| tuner | median best validation loss | median validation accuracy of the best trial |',
);
console.log('|---|---:|---:|');
for (const [name, r] of [
  ['kiln TPE (kiln MLP)', kiln],
  [`Optuna TPE (PyTorch MLP; ${ref?.version ?? '-'})`, ref],
] as const) {
  if (!r) continue;
  console.log(
    `| ${name} | ${median(r.best).toFixed(4)} | ${(100 * median(r.accuracy)).toFixed(1)}% |`,
  );
}
if (ref) {
  const wins = kiln.best.filter((v, i) => v <= (ref.best[i] as number)).length;
  console.log(`\nseeds where kiln's best loss <= Optuna's: ${wins}/${kiln.best.length}`);
}
console.log(`\nraw: ${JSON.stringify({ kiln, optuna: ref })}`);
