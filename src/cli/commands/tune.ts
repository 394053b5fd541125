/** `kiln tune <config>`: a hyperparameter search over a `kiln train` config, in a stored study. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setBackend } from '../../backend/registry.js';
import { ConfigError, KilnError } from '../../tensor/errors.js';
import { openStore, resolveStore } from '../../track/open.js';
import { applyParams, suggestConfigParams } from '../../tune/config-search.js';
import { createStudy } from '../../tune/create.js';
import { countsTowardBudget } from '../../tune/storage.js';
import type { Study } from '../../tune/study.js';
import { TrackStorage } from '../../tune/track-storage.js';
import type { Trial } from '../../tune/trial.js';
import { resolveConfigPaths, validateConfig } from '../config.js';
import type { PreparedData } from '../data.js';
import {
  loadTuneConfig,
  makePruner,
  makeSampler,
  strategyNames,
  type TuneConfig,
} from './tune-config.js';
import { finishStudy } from './tune-final.js';
import { TuneProgress } from './tune-progress.js';
import { openStudyWithSpace } from './tune-space.js';
import { MetricNotLogged, trainTrial } from './tune-trial.js';
import { startWorkers, type TuneWorkers } from './tune-workers.js';

export const TUNE_HELP = `kiln tune <config.yaml> [options]

Tunes the hyperparameters of a kiln train config. The config is a training config plus
  search:   config paths and their ranges, e.g.
              optimizer.lr: { float: [1.0e-4, 1.0e-1], log: true }
              model.0.outFeatures: { int: [16, 512], log: true }
              optimizer.type: { categorical: [Adam, AdamW, SGD] }
  tune:     trials, timeout, metric, direction, sampler, pruner, workers, study, store
            (see docs/config.md). Each trial trains on the training split and is scored on
            the validation split (0.2 of it when the config has none).

The study lives in the tracking store; running the same command again continues it (trials
already run count toward tune.trials). Several kiln tune processes, here or on other machines
pointed at one postgresql:// store, share the study. At the end kiln tune writes
<output.dir>/<study>/{best.yaml,final.yaml,trials.csv}, prints the parameter importance and
retrains the best config on train + validation, reporting its test metrics.

Options:
  --trials N      override tune.trials
  --timeout T     override tune.timeout (seconds, or 90s, 10m, 2h)
  --workers N     override tune.workers (processes on this machine)
  --study NAME    override tune.study
  --store S       override tune.store (SQLite file or postgresql:// URL)
  --limit N       use only the first N training samples (quick searches)
  --worker        only run trials (another process shows progress and finishes the study)
  --allow-search-change
                  continue a study whose search: section changed (refused otherwise: the old
                  trials would mislead the sampler); the new space is recorded
  --backend js|native, --verbose, -h/--help`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  backend: { type: 'string' },
  trials: { type: 'string' },
  timeout: { type: 'string' },
  workers: { type: 'string' },
  study: { type: 'string' },
  store: { type: 'string' },
  limit: { type: 'string' },
  worker: { type: 'boolean' },
  'allow-search-change': { type: 'boolean' },
} as const;

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`--${flag}: expected a positive integer, got '${v}'`);
  return n;
}

function applyOptions(config: TuneConfig, values: Record<string, string | boolean | undefined>) {
  const t = config.tune;
  t.trials = positiveInt(values.trials as string | undefined, 'trials') ?? t.trials;
  t.workers = positiveInt(values.workers as string | undefined, 'workers') ?? t.workers;
  if (typeof values.study === 'string') t.study = values.study;
  if (typeof values.store === 'string') t.store = values.store;
  if (typeof values.timeout === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(values.timeout);
    if (!m)
      throw new ConfigError(`--timeout: expected seconds or 90s, 10m, 2h, got '${values.timeout}'`);
    t.timeout = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  }
  const limit = positiveInt(values.limit as string | undefined, 'limit');
  if (limit !== undefined) {
    config.raw = { ...config.raw, data: { ...(config.raw.data as object), limit } };
    config.base = validateConfig(config.raw, `${config.file} (--limit)`);
  }
}

/** Waits until no trial of the study runs in another process (dead ones go stale and fail). */
async function waitForOthers(study: Study, log: (line: string) => void): Promise<void> {
  let said = false;
  for (;;) {
    await study.refresh();
    const running = study.getTrials(['running']).length;
    if (running === 0) return;
    if (!said) log(`waiting for ${running} trial(s) still running in other processes`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Runs `kiln tune` with its own arguments (after `tune`); returns the exit code. */
export async function tuneCommand(
  argv: readonly string[],
  log: (s: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    log(TUNE_HELP);
    return 0;
  }
  if (positionals.length !== 1)
    throw new ConfigError(
      positionals.length === 0
        ? 'kiln tune: missing the config file (see kiln tune --help)'
        : `kiln tune: one config file expected, got ${positionals.join(' ')}`,
    );
  if (values.backend) setBackend(values.backend);
  const isWorker = values.worker === true;
  const config = await loadTuneConfig(positionals[0]!);
  applyOptions(config, values);
  const { tune } = config;
  const outputDir = resolve(config.base.output.dir);
  const location = resolveStore(tune.store, outputDir);
  const trackStore = await openStore(location);
  const storage = new TrackStorage(trackStore, true, location);
  try {
    await openStudyWithSpace(trackStore, {
      name: tune.study,
      direction: tune.direction,
      space: config.space,
      file: config.file,
      allowChange: values['allow-search-change'] === true,
      log: isWorker ? () => undefined : log,
    });
  } catch (e) {
    await storage.close();
    throw e;
  }
  let study: Study;
  try {
    study = await createStudy({
      name: tune.study,
      direction: tune.direction,
      sampler: makeSampler(config),
      pruner: makePruner(config),
      store: storage,
      loadIfExists: true,
    });
  } catch (e) {
    await storage.close();
    if (e instanceof KilnError) e.message = `${config.file}: tune.study: ${e.message}`;
    throw e;
  }
  const progress = isWorker
    ? null
    : new TuneProgress(storage, study.studyId, {
        target: tune.trials,
        metric: tune.metric,
        direction: tune.direction,
        timeout: tune.timeout,
        log,
      });
  const before = (await progress?.begin()) ?? [];
  if (!isWorker) {
    const done = before.filter((t) => countsTowardBudget(t) && t.state !== 'running').length;
    const { sampler, pruner } = strategyNames(config);
    if (config.addedValidation)
      log(
        `note: ${config.file} has no split.validation; trials are scored on 0.2 of the training split`,
      );
    log(
      `study ${study.name} in ${trackStore.location}: ${tune.trials} trials${done ? ` (${done} already run, continuing)` : ''}, ${tune.metric} (${tune.direction}), sampler ${sampler}, pruner ${pruner}, ${tune.workers} worker(s)`,
    );
  }
  const workers: TuneWorkers | null =
    !isWorker && tune.workers > 1 ? startWorkers(tune.workers - 1, argv, log) : null;

  let current: Trial | null = null;
  let fatal: unknown = null;
  const ctx = {
    study,
    metric: tune.metric,
    store: process.env.KILN_TRACK === '0' ? null : trackStore,
    dataCache: new Map<string, PreparedData>(),
  };
  const objective = async (trial: Trial): Promise<number> => {
    current = trial;
    try {
      const params = suggestConfigParams(trial, config.space);
      const candidate = validateConfig(
        applyParams(config.raw, params),
        `${config.file} (trial ${trial.number})`,
      );
      return await trainTrial(resolveConfigPaths(candidate), trial, ctx);
    } catch (e) {
      if (e instanceof MetricNotLogged) {
        fatal ??= e;
        study.stop();
      }
      throw e;
    } finally {
      current = null;
    }
  };
  // Ctrl-C: the running trial is marked interrupted (so it is run again), workers stop too.
  const onInterrupt = () => {
    workers?.stop();
    const trial = current as Trial | null;
    const mark = trial
      ? trackStore.updateTrial(trial.trialId, {
          state: 'fail',
          error: 'interrupted (Ctrl-C); the trial runs again when the study continues',
          endTime: Date.now(),
        })
      : Promise.resolve();
    void mark.finally(() => {
      if (!isWorker)
        process.stderr.write('\nkiln: interrupted; run the same command to continue the study\n');
      process.exit(130);
    });
  };
  process.once('SIGINT', onInterrupt);
  try {
    const started = Date.now();
    const cutOff = async () => {
      await study.refresh();
      return study.trials.filter((t) => !countsTowardBudget(t)).length;
    };
    for (;;) {
      const cutBefore = await cutOff();
      const timeLeft =
        tune.timeout === undefined ? undefined : tune.timeout - (Date.now() - started) / 1000;
      if (timeLeft !== undefined && timeLeft <= 0) break;
      await study.optimize(objective, {
        maxTrials: tune.trials,
        ...(timeLeft !== undefined ? { timeout: timeLeft } : {}),
        callbacks: [() => progress?.poll()],
      });
      if (fatal) throw fatal;
      await workers?.wait();
      if (isWorker) break;
      await waitForOthers(study, log);
      // Trials of processes that died while this one waited no longer count: run them again.
      const counted = study.trials.filter(countsTowardBudget).length;
      if (counted >= tune.trials || (await cutOff()) === cutBefore) break;
    }
    if (isWorker) return 0;
    await progress?.end();
    await finishStudy(study, config, {
      store: location,
      log,
      studyDir: resolve(outputDir, study.name),
    });
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    workers?.stop();
    await progress?.end();
    await study.close();
  }
}
