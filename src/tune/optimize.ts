import { ValueError } from '../tensor/errors.js';
import type { FrozenTrial } from './frozen-trial.js';
import type { Study } from './study.js';
import { type Trial, TrialPruned } from './trial.js';
import { runInWorkers } from './workers/pool.js';

/** An objective: takes a trial, returns the value to minimize or maximize. @example `const f: k.tune.ObjectiveFn = (t) => t.suggestFloat('x', 0, 1) ** 2;` */
export type ObjectiveFn = (trial: Trial) => number | Promise<number>;

/**
 * An objective exported by a module, so that worker threads can import it (`nJobs > 1`): the
 * module path or URL, and the export's name (default `objective`). The module must be importable
 * on its own: worker threads share no variables with the caller.
 *
 * @example
 * ```ts
 * await study.optimize({ module: new URL('./objective.js', import.meta.url) }, { nTrials: 40, nJobs: 2 });
 * ```
 */
export interface ObjectiveModule {
  module: string | URL;
  exportName?: string;
}

/** A function objective, or a module objective for worker threads. @example `study.optimize(fn)` */
export type Objective = ObjectiveFn | ObjectiveModule;

/** Called after each trial ends, with the study and the trial's final snapshot. @example `const cb: k.tune.StudyCallback = (s, t) => console.log(t.number, t.value);` */
export type StudyCallback = (study: Study, trial: FrozenTrial) => void | Promise<void>;

/**
 * Options of `study.optimize`, Optuna's in camelCase. With no `nTrials` and no `timeout`, trials
 * run until `study.stop()` (a GridSampler stops the study when its grid is exhausted).
 *
 * @example
 * ```ts
 * await study.optimize(objective, { nTrials: 100, timeout: 60, callbacks: [(s, t) => console.log(t.value)] });
 * ```
 */
export interface OptimizeOptions {
  /** Trials to run in this call. */
  nTrials?: number;
  /**
   * Trials the study may have in all, counting other processes' and earlier calls' (kiln's
   * addition, for shared and resumed studies): no trial starts once the study has this many.
   * Trials cut off by a dead process or an interrupt do not count, so they are run again. The
   * storage checks and creates atomically, so several processes never overshoot.
   */
  maxTrials?: number;
  /** Seconds after which no new trial starts. */
  timeout?: number;
  callbacks?: readonly StudyCallback[];
  /**
   * Trials run at once (default 1). A function objective runs them concurrently in this thread
   * (useful when it awaits I/O or child processes); a module objective runs them in worker threads.
   */
  nJobs?: number;
}

const KNOWN = new Set(['nTrials', 'maxTrials', 'timeout', 'callbacks', 'nJobs']);

function checkOptions(options: OptimizeOptions): void {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) {
      throw new ValueError(`optimize: unknown option '${key}' (expected ${[...KNOWN].join(', ')})`);
    }
  }
  const { nTrials, maxTrials, timeout, nJobs } = options;
  if (nTrials !== undefined && (!Number.isInteger(nTrials) || nTrials < 0)) {
    throw new ValueError(`optimize: nTrials must be a non-negative integer, got ${nTrials}`);
  }
  if (maxTrials !== undefined && (!Number.isInteger(maxTrials) || maxTrials < 0)) {
    throw new ValueError(`optimize: maxTrials must be a non-negative integer, got ${maxTrials}`);
  }
  if (timeout !== undefined && !(timeout > 0)) {
    throw new ValueError(`optimize: timeout must be a positive number of seconds, got ${timeout}`);
  }
  if (nJobs !== undefined && (!Number.isInteger(nJobs) || nJobs < 1)) {
    throw new ValueError(`optimize: nJobs must be a positive integer, got ${nJobs}`);
  }
}

/** Hands out trial slots to concurrent runners: counts started trials against the limits. @internal */
export class Budget {
  private started = 0;
  private readonly deadline: number;

  constructor(
    private readonly study: Study,
    private readonly nTrials: number | undefined,
    timeoutSeconds: number | undefined,
    private readonly maxTrials?: number,
  ) {
    this.deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
  }

  /** Takes one slot, or returns false when the study should start no more trials. */
  take(): boolean {
    if (this.study.isStopped) return false;
    if (this.nTrials !== undefined && this.started >= this.nTrials) return false;
    if (Date.now() >= this.deadline) return false;
    this.started++;
    return true;
  }

  /** Takes a slot and starts a trial in it; undefined when the study should start no more. */
  async next(): Promise<Trial | undefined> {
    if (!this.take()) return undefined;
    const trial = await this.study.askWithin(this.maxTrials);
    if (!trial) this.study.stop();
    return trial;
  }
}

/** What an objective's outcome means for the trial. @internal */
export function outcome(result: unknown): number | { state: 'pruned' | 'failed'; error?: string } {
  if (typeof result === 'number') return result;
  return {
    state: 'failed',
    error: `the objective returned ${JSON.stringify(result) ?? String(result)}, not a number`,
  };
}

/** The outcome of an objective that threw. @internal */
export function errorOutcome(err: unknown): { state: 'pruned' | 'failed'; error?: string } {
  if (err instanceof TrialPruned) return { state: 'pruned' };
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { state: 'failed', error: message };
}

async function runTrial(
  study: Study,
  trial: Trial,
  objective: ObjectiveFn,
  options: OptimizeOptions,
): Promise<void> {
  let result: ReturnType<typeof outcome>;
  try {
    result = outcome(await objective(trial));
  } catch (err) {
    result = errorOutcome(err);
  }
  const frozen = await study.tell(trial, result);
  for (const cb of options.callbacks ?? []) await cb(study, frozen);
}

/** The optimize loop behind `study.optimize`. @internal */
export async function runOptimize(
  study: Study,
  objective: Objective,
  options: OptimizeOptions,
): Promise<void> {
  checkOptions(options);
  const budget = new Budget(study, options.nTrials, options.timeout, options.maxTrials);
  const nJobs = options.nJobs ?? 1;
  if (typeof objective !== 'function') {
    if (
      !objective ||
      (typeof objective.module !== 'string' && !(objective.module instanceof URL))
    ) {
      throw new ValueError('optimize: objective must be a function or { module, exportName }');
    }
    await runInWorkers(study, objective, nJobs, budget, options.callbacks ?? []);
    return;
  }
  const runner = async (): Promise<void> => {
    for (let trial = await budget.next(); trial; trial = await budget.next())
      await runTrial(study, trial, objective, options);
  };
  await Promise.all(Array.from({ length: nJobs }, runner));
}
