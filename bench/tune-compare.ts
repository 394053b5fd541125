/**
 * kiln's TPE side by side with Optuna's on standard test functions: median best value over seeds
 * at each budget, and the time per trial once a study holds 1,000 trials. Runs bench/tune.ts and
 * bench/tune_optuna.py (with $OPTUNA_PYTHON, else /work/venv/bin/python, else python3; skipped
 * with a note when Optuna is missing) one after the other, and prints a Markdown table.
 * Usage: tsx bench/tune-compare.ts [--budgets 50,200] [--seeds 10] [--overhead 1000]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Result {
  version: string;
  best: Record<string, Record<string, number[]>>;
  overheadMs: number | null;
}

const passArgs = process.argv.slice(2);

function runJson(cmd: string, args: string[]): Result | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0)
    return `${cmd} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  const line = r.stdout.trim().split('\n').pop() as string;
  return JSON.parse(line) as Result;
}

function pickPython(): string | null {
  const candidates = [process.env.OPTUNA_PYTHON, '/work/venv/bin/python', 'python3'].filter(
    Boolean,
  ) as string[];
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import optuna'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

const kiln = runJson(process.execPath, ['--import', 'tsx', 'bench/tune.ts', ...passArgs]);
if (typeof kiln === 'string') throw new Error(kiln);
const python = pickPython();
const optuna = python
  ? runJson(python, ['bench/tune_optuna.py', ...passArgs])
  : 'Optuna is not installed';
if (typeof optuna === 'string') console.log(`(Optuna side skipped: ${optuna})`);

const ref = typeof optuna === 'string' ? null : optuna;
console.log(
  `\n| function | trials | kiln TPE median best | Optuna ${ref?.version ?? '-'} TPE median best | seeds where kiln <= Optuna |`,
);
console.log('|---|---:|---:|---:|---:|');
for (const [fn, byBudget] of Object.entries(kiln.best)) {
  for (const [budget, vals] of Object.entries(byBudget)) {
    const theirs = ref?.best[fn]?.[budget];
    const wins = theirs ? vals.filter((v, i) => v <= (theirs[i] as number)).length : 0;
    console.log(
      `| ${fn} | ${budget} | ${fmt(median(vals))} | ${theirs ? fmt(median(theirs)) : '-'} | ${theirs ? `${wins}/${vals.length}` : '-'} |`,
    );
  }
}
if (kiln.overheadMs !== null) {
  const theirs = ref?.overheadMs;
  console.log(
    `\nTime per trial (Hartmann-6, default TPE) once the study holds 1,000 trials: kiln ${kiln.overheadMs.toFixed(1)} ms` +
      (theirs
        ? `, Optuna ${theirs.toFixed(1)} ms (${(theirs / kiln.overheadMs).toFixed(1)}x)`
        : ''),
  );
}
console.log(`\nraw: ${JSON.stringify({ kiln, optuna: ref })}`);
