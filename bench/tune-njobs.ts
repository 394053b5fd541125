/**
 * Trials per second of a single-threaded CPU-bound objective with nJobs = 1 and 2 worker threads
 * (the objective is test/tune/fixtures/objective.ts#spin, about 3e7 loop iterations per trial).
 * Usage: tsx bench/tune-njobs.ts [--trials 24]
 */
import { cpus } from 'node:os';
import * as k from '../src/index.js';

const i = process.argv.indexOf('--trials');
const nTrials = i >= 0 ? Number(process.argv[i + 1]) : 24;
const module = new URL('../test/tune/fixtures/objective.ts', import.meta.url);

/** Trials per second from the trials' own start and end times (worker start-up excluded). */
async function rate(nJobs: number): Promise<number> {
  const study = await k.tune.createStudy({ sampler: new k.tune.RandomSampler({ seed: 0 }) });
  await study.optimize({ module, exportName: 'spin' }, { nTrials, nJobs });
  const done = study.getTrials(['complete']);
  // Skip each worker's first trial, which includes compiling the objective.
  const timed = done.slice(nJobs);
  const start = Math.min(...timed.map((t) => t.datetimeStart as number));
  const end = Math.max(...timed.map((t) => t.datetimeComplete as number));
  return timed.length / ((end - start) / 1000);
}

const one = await rate(1);
const two = await rate(2);
console.log(`cores: ${cpus().length}; ${nTrials} trials of a single-threaded CPU objective`);
console.log(`nJobs 1: ${one.toFixed(2)} trials/s`);
console.log(`nJobs 2: ${two.toFixed(2)} trials/s (${(two / one).toFixed(2)}x)`);
