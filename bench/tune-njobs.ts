/**
 * Trials per second of a single-threaded CPU-bound objective with nJobs = 1 and 2 worker threads
 * (the objective is test/tune/fixtures/objective.ts#spin, about 3e7 loop iterations, ~40 ms per
 * trial; `--long` runs spinLong, 4x as long). Both counts are measured the same way: from the
 * moment nJobs trials have completed (every worker has loaded and compiled the objective; start-up
 * excluded) to the last completion, counting the completions in between.
 * Usage: tsx bench/tune-njobs.ts [--trials 40] [--long]
 */
import { cpus } from 'node:os';
import * as k from '../src/index.js';

const i = process.argv.indexOf('--trials');
const nTrials = i >= 0 ? Number(process.argv[i + 1]) : 24;
const long = process.argv.includes('--long');
const module = new URL('../test/tune/fixtures/objective.ts', import.meta.url);

/** Steady completions per second, from the trials' own completion times. */
async function rate(nJobs: number): Promise<number> {
  const study = await k.tune.createStudy({ sampler: new k.tune.RandomSampler({ seed: 0 }) });
  const exportName = long ? 'spinLong' : 'spin';
  await study.optimize({ module, exportName }, { nTrials, nJobs });
  const ends = study
    .getTrials(['complete'])
    .map((t) => t.datetimeComplete as number)
    .sort((a, b) => a - b);
  if (ends.length !== nTrials)
    throw new Error(`only ${ends.length} of ${nTrials} trials completed`);
  const from = ends[nJobs - 1] as number;
  const to = ends[ends.length - 1] as number;
  return (ends.length - nJobs) / ((to - from) / 1000);
}

const one = await rate(1);
const two = await rate(2);
const what = long ? 'spinLong, about 160 ms' : 'spin, about 40 ms';
console.log(
  `cores: ${cpus().length}; ${nTrials} trials of a single-threaded CPU objective (${what})`,
);
console.log(`nJobs 1: ${one.toFixed(2)} trials/s`);
console.log(`nJobs 2: ${two.toFixed(2)} trials/s (${(two / one).toFixed(2)}x)`);
