/**
 * Where the time of an nJobs run goes. Per trial, over the steady part of the run (after every
 * worker's first trial): wall time of a worker's suggest call (a round trip to the calling thread
 * unless the value was drawn ahead), wall gap between a worker's trials (its result going back, the
 * next trial coming), and CPU time of each thread of the process from
 * /proc/self/task/<tid>/schedstat (Linux; exact over the window, not per phase: the kernel updates
 * it at ticks and switches). CPU time holds on a loaded machine; the wall gaps do not.
 * `--export idle` runs an objective that does no work (the machinery's own cost).
 * Usage: tsx bench/tune-njobs-phases.ts [--trials 40] [--jobs 1,2] [--rounds 1] [--export spinTimed]
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as k from '../src/index.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : dflt;
};
const nTrials = Number(arg('--trials', '40'));
const jobsList = arg('--jobs', '1,2').split(',').map(Number);
const exportName = arg('--export', 'spinTimed');
const module = new URL('../test/tune/fixtures/objective.ts', import.meta.url);

/** What spinTimed records (epoch milliseconds). */
type Phase = { thread: number; enter: number; suggested: number; exit: number };

/** CPU nanoseconds of each thread of this process. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(tid, Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

const ms = (ns: number) => (ns / 1e6).toFixed(3);

async function run(nJobs: number): Promise<void> {
  const study = await k.tune.createStudy({ sampler: new k.tune.RandomSampler({ seed: 0 }) });
  const told = new Map<number, number>();
  let before = threadCpu();
  let after = before;
  await study.optimize(
    { module, exportName },
    {
      nTrials,
      nJobs,
      callbacks: [
        (_s, t) => {
          told.set(t.number, performance.timeOrigin + performance.now());
          if (told.size === nJobs) before = threadCpu();
          if (told.size === nTrials) after = threadCpu();
        },
      ],
    },
  );
  const steady = nTrials - nJobs;
  const tells = [...told.values()].sort((a, b) => a - b);
  const wall = (tells[nTrials - 1]! - tells[nJobs - 1]!) / steady;
  let total = 0;
  const perThread: string[] = [];
  for (const [tid, cpu] of after) {
    const used = cpu - (before.get(tid) ?? 0);
    total += used;
    if (used > 0)
      perThread.push(`${tid === String(process.pid) ? 'main' : tid} ${ms(used / steady)}`);
  }
  let line = `nJobs ${nJobs}, ${exportName}: ${(1000 / wall).toFixed(2)} trials/s; per trial: process cpu ${ms(total / steady)} ms (${perThread.join(', ')})`;
  const done = study.getTrials(['complete']);
  if (done[0]?.userAttrs.phase) {
    const byThread = new Map<number, Phase[]>();
    for (const t of done) {
      const p = t.userAttrs.phase as Phase;
      byThread.set(p.thread, [...(byThread.get(p.thread) ?? []), p]);
    }
    let gap = 0;
    let suggest = 0;
    let n = 0;
    for (const list of byThread.values()) {
      for (let i = 1; i < list.length; i++) {
        gap += list[i]!.enter - list[i - 1]!.exit;
        suggest += list[i]!.suggested - list[i]!.enter;
        n++;
      }
    }
    const back = done
      .slice(nJobs)
      .map((t) => told.get(t.number)! - (t.userAttrs.phase as Phase).exit);
    line +=
      `; wall: suggest ${(suggest / n).toFixed(3)} ms, gap between a worker's trials ` +
      `${(gap / n).toFixed(3)} ms, objective end to tell done ${(back.reduce((a, b) => a + b, 0) / back.length).toFixed(3)} ms`;
  }
  console.log(line);
}

for (let r = 0; r < Number(arg('--rounds', '1')); r++) for (const j of jobsList) await run(j);
