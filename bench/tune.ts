/**
 * kiln's side of bench/tune-compare.ts: default TPE on the benchmark functions.
 * Prints one JSON object like bench/tune_optuna.py.
 * Usage: tsx bench/tune.ts --budgets 50,200 --seeds 10 [--seed-start 0] [--tpe JSON] --overhead 1000
 */
import * as k from '../src/index.js';
import { FUNCTIONS } from './tune_functions.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}

const budgets = arg('budgets', '50,200').split(',').map(Number);
const seeds = Number(arg('seeds', '10'));
const names = arg('functions', Object.keys(FUNCTIONS).join(',')).split(',');
const overheadTrials = Number(arg('overhead', '1000'));
const seedStart = Number(arg('seed-start', '0'));
// Extra TPESampler options as JSON, e.g. --tpe '{"startup":"random","nEiCandidates":24}'.
const tpe = JSON.parse(arg('tpe', '{}')) as k.tune.TPESamplerOptions;

const best: Record<string, Record<string, number[]>> = {};
for (const name of names) {
  const fn = FUNCTIONS[name]!;
  best[name] = {};
  for (const budget of budgets) {
    const vals: number[] = [];
    for (let seed = seedStart; seed < seedStart + seeds; seed++) {
      const study = await k.tune.createStudy({
        sampler: new k.tune.TPESampler({ ...tpe, seed }),
      });
      await study.optimize(fn, { nTrials: budget });
      vals.push(study.bestValue);
    }
    best[name][String(budget)] = vals;
  }
}
let overheadMs: number | null = null;
if (overheadTrials > 0) {
  const study = await k.tune.createStudy({
    sampler: new k.tune.TPESampler({ ...tpe, seed: 0 }),
  });
  await study.optimize(FUNCTIONS.hartmann6!, { nTrials: overheadTrials });
  const n = 50;
  const t0 = performance.now();
  await study.optimize(FUNCTIONS.hartmann6!, { nTrials: n });
  overheadMs = (performance.now() - t0) / n;
}
console.log(JSON.stringify({ version: 'kiln', best, overheadMs }));
