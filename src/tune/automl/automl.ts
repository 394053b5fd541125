import { basename, extname } from 'node:path';
import { resolveConfigPaths, type TrainConfig, validateConfig } from '../../cli/config.js';
import type { DecisionRule } from '../../cli/decision.js';
import type { EnsembleManifest } from '../../cli/ensemble.js';
import { evalCommand } from '../../cli/inference.js';
import { defaultTableMetrics } from '../../cli/table-data.js';
import { trainCommand } from '../../cli/train.js';
import { readTable } from '../../data/table/read.js';
import { ConfigError } from '../../tensor/errors.js';
import { createStudy } from '../create.js';
import type { AttrValue, FrozenTrial } from '../frozen-trial.js';
import { MedianPruner } from '../pruners/percentile.js';
import { TPESampler } from '../samplers/tpe/sampler.js';
import { TrialPruned } from '../trial.js';
import { type ConfigBase, candidateTableOptions } from './config.js';
import { EnsembleScorer, selectEnsemble, type TrialPredictions } from './ensemble.js';
import { fitFold, trialDeadline } from './fit.js';
import { CV_MAX_ROWS, defaultFolds, FoldCache, searchFolds } from './folds.js';
import { type LeaderboardRow, leaderboard } from './leaderboard.js';
import {
  type AutomlOptions,
  checkAutomlOptions,
  DEFAULT_ENSEMBLE,
  searchMetric,
} from './options.js';
import { prepareSearch } from './profile.js';
import { type SavedEnsemble, saveEnsemble, trialConfig } from './refit.js';
import { writeAutomlFiles } from './report.js';
import { defaultTrials, safeBatchSize, suggestCandidate } from './space.js';
import { saveThreshold, TUNED_THRESHOLD_METRICS } from './threshold.js';

/**
 * What {@link automl} found and saved.
 *
 * @example
 * ```ts
 * const result: k.tune.AutomlResult = await k.tune.automl({ data: 'iris.csv', target: 'species', timeBudget: 30 });
 * result.runDir; // 'runs/automl-iris'
 * ```
 */
export interface AutomlResult {
  /** The run folder of the refit model (reloadable by `kiln predict` / `kiln eval`). */
  runDir: string;
  /** The `kiln train` config that reproduces the run (also saved as `<runDir>/automl.yaml`). */
  config: TrainConfig;
  task: 'classification' | 'regression';
  metric: string;
  /** The best trial's cross-validated (or validation) score. */
  bestValue: number;
  bestTrial: number;
  /** The saved run's scores on the held-out test rows (the ensemble's, when there is one). */
  test: Record<string, number> | null;
  /** The best trial's refit alone on the test rows (the same as `test` without an ensemble). */
  singleTest: Record<string, number> | null;
  /**
   * The saved ensemble (null when it is the best trial alone): its members and weights, and its
   * score on the validation rows next to the best trial's on the same rows.
   */
  ensemble: EnsembleManifest | null;
  /**
   * The decision threshold saved with the run (`decision.json`, binary classification with
   * `metric: 'f1'`), chosen on the search's validation predictions; null: the most probable class.
   */
  decision: DecisionRule | null;
  leaderboard: LeaderboardRow[];
  /** How candidates were scored, e.g. '5-fold cross-validation on 275 training rows'. */
  scheme: string;
  /** Trials by state. */
  trials: { complete: number; pruned: number; failed: number };
  /** Wall-clock seconds: the search, and everything (search, refit, files). */
  searchSeconds: number;
  seconds: number;
}

/** Share of the budget given to the search; the rest is for the refit and the files. */
const SEARCH_SHARE = 0.85;
/** Most of the budget the refits of extra ensemble members may take from the search. */
const ENSEMBLE_SHARE = 0.3;
/**
 * Most of the search's time one trial may take. Start-up draws can be very slow (a tiny
 * learning rate on wide layers trains every epoch of every fold before early stopping ends it,
 * and the pruner judges nothing before five trials completed): one such churn trial took 136 of
 * 255 s under load. Cut there, it leaves the time to other candidates.
 */
const TRIAL_SHARE = 0.12;

/**
 * AutoML for tables: searches preprocessing and MLP choices with TPE under a wall-clock budget,
 * scoring each candidate by k-fold cross-validation (small tables) or a validation split (large
 * ones), refits the best on all training rows as a normal `kiln train` run (tested on the
 * held-out split), and writes the trial leaderboard and a reproducing YAML config into the run.
 *
 * @example
 * ```ts
 * const result = await k.tune.automl({
 *   data: 'datasets/realworld/penguins.csv', target: 'species', timeBudget: 120, seed: 0,
 * });
 * console.log(result.test);  // { loss, accuracy, f1 } on the held-out rows
 * // kiln predict <result.runDir> new-penguins.csv
 * ```
 */
export async function automl(options: AutomlOptions): Promise<AutomlResult> {
  const started = Date.now();
  checkAutomlOptions(options);
  const log = options.log ?? ((line: string) => console.log(line));
  const budget = options.timeBudget ?? 300;
  const seed = options.seed ?? 0;
  const stem = basename(options.data, extname(options.data)).replace(/[^\w.-]/g, '_');
  const name = options.name ?? `automl-${stem}`;
  const table = await readTable(options.data);
  const prepared = await prepareSearch(
    table,
    {
      path: options.data,
      target: options.target,
      name,
      seed,
      out: options.out ?? 'runs',
      testSize: options.testSize ?? 0.2,
    },
    options.task ?? 'auto',
  );
  const { profile, trainRows } = prepared;
  const base: ConfigBase = {
    path: options.data,
    target: options.target,
    task: profile.task,
    name,
    seed,
    out: options.out ?? 'runs',
    testSize: options.testSize ?? 0.2,
  };
  const metric = searchMetric(options.metric, profile.task, profile.numClasses);
  const k = options.folds ?? defaultFolds(trainRows.length);
  const folds = searchFolds(
    trainRows,
    prepared.labels,
    k,
    profile.task === 'classification',
    seed + 1,
  );
  const cache = new FoldCache(table, folds);
  // Epochs are judged where the validation rows are many (a holdout, or the first fold above
  // CV_MAX_ROWS rows): a slow candidate that trails is dropped within its first fold instead
  // of training every fold to the end (one such churn trial took 88 of 255 s of search).
  const byEpoch = k === 1 || trainRows.length > CV_MAX_ROWS;
  const scheme =
    k === 1
      ? `one validation split (${folds[0]!.test.length} of ${trainRows.length} training rows)`
      : `${k}-fold cross-validation on ${trainRows.length} training rows`;
  const metrics = defaultTableMetrics(profile.task, Math.max(profile.numClasses, 2));
  if (metric.key !== 'loss' && !metrics.includes(metric.key)) metrics.push(metric.key);
  log(
    `automl: ${table.name}, ${profile.task}${prepared.classes ? ` of ${prepared.classes.length} classes` : ''}, ${trainRows.length} training and ${prepared.testRows.length} test rows; ${metric.name} by ${scheme}; budget ${budget}s`,
  );

  const ensembleSize = options.ensemble ?? DEFAULT_ENSEMBLE;
  const predictions = new Map<number, TrialPredictions>();
  const rowsOf = folds.flatMap((f) => [...f.test]);
  const scorer = new EnsembleScorer(
    profile.task === 'classification'
      ? Int32Array.from(rowsOf, (r) => prepared.labels[r]!)
      : Float32Array.from(rowsOf, (r) => prepared.labels[r]!),
    profile.task === 'classification' ? profile.numClasses : 0,
    metric,
  );
  // The search ends early enough to refit the best trial, and the likely extra ensemble members
  // (the next best trials, by their measured speed), within the budget.
  const searchEnd = () => {
    const ranked = [...predictions.values()].sort((a, b) =>
      metric.direction === 'maximize' ? b.value - a.value : a.value - b.value,
    );
    const extra = ranked.slice(1, ensembleSize).reduce((s, p) => s + p.refitSeconds, 0);
    return started + budget * (SEARCH_SHARE - Math.min(ENSEMBLE_SHARE, extra / budget)) * 1000;
  };
  const study = await createStudy({
    name: `${name}-${Date.now()}`,
    direction: metric.direction,
    sampler: new TPESampler({ seed, nStartupTrials: 8 }),
    // Cross-validation on a small table reports after each fold, a validation split (or the
    // first fold of a larger table) after each epoch: a candidate whose first folds (or epochs)
    // trail the median of earlier trials is dropped.
    pruner: new MedianPruner({ nStartupTrials: 5, nWarmupSteps: byEpoch ? 10 : 1 }),
    ...(options.store ? { store: options.store } : {}),
  });
  for (const params of defaultTrials(profile)) await study.enqueueTrial(params);
  const trainSizes = [...cache.trainSizes(), trainRows.length];
  await study.optimize(
    async (trial) => {
      const c = suggestCandidate(trial, profile);
      const batchSize = safeBatchSize(c, trainSizes);
      trial.setUserAttr('candidate', c as unknown as AttrValue);
      trial.setUserAttr('batchSize', batchSize);
      const pruneByEpoch = (epoch: number, logs: Record<string, number>) => {
        const value = logs[`val_${metric.key}`];
        if (value === undefined || !Number.isFinite(value)) return;
        trial.report(value, epoch);
        if (trial.shouldPrune())
          throw new TrialPruned(`pruned at epoch ${epoch + 1}: ${metric.name} ${value.toFixed(4)}`);
      };
      const trialEnd = Date.now() + budget * SEARCH_SHARE * TRIAL_SHARE * 1000;
      const sums: Record<string, number> = {};
      let epochs = 0;
      let speed = 0;
      const parts: Float32Array[] = [];
      for (let f = 0; f < cache.size; f++) {
        const data = cache.get(candidateTableOptions(c, base), c.standardizeTarget, f);
        const r = await fitFold(c, data, {
          metrics,
          batchSize,
          seed: seed + trial.number,
          // A trial may run a little past the search's end, not into the ensemble's refits,
          // and no longer than its share of the search.
          ...trialDeadline(
            searchEnd() + (ensembleSize > 1 ? 0 : budget * 0.05 * 1000),
            trialEnd,
            TRIAL_SHARE,
          ),
          ...(byEpoch && f === 0 ? { onEpoch: pruneByEpoch } : {}),
        }).catch((e: unknown) => {
          if (e instanceof TrialPruned) trial.setUserAttr('note', e.message);
          throw e;
        });
        for (const [key, v] of Object.entries(r.scores)) sums[key] = (sums[key] ?? 0) + v;
        epochs += r.bestEpochs;
        parts.push(r.pred);
        speed += r.secondsPerRowEpoch / cache.size;
        const mean = sums[metric.key]! / (f + 1);
        if (!Number.isFinite(mean)) throw new Error(`${metric.name} is ${mean} on fold ${f + 1}`);
        if (byEpoch) continue;
        trial.report(mean, f);
        if (f < cache.size - 1 && trial.shouldPrune()) {
          trial.setUserAttr(
            'note',
            `pruned after fold ${f + 1}: ${metric.name} ${mean.toFixed(4)}`,
          );
          throw new TrialPruned(`pruned after fold ${f + 1}`);
        }
      }
      const n = cache.size;
      trial.setUserAttr(
        'scores',
        Object.fromEntries(Object.entries(sums).map(([key, v]) => [key, v / n])),
      );
      const refitEpochs = Math.max(1, Math.round(epochs / n));
      trial.setUserAttr('epochs', refitEpochs);
      const value = sums[metric.key]! / n;
      const pred = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) {
        pred.set(p, at);
        at += p.length;
      }
      predictions.set(trial.number, {
        trial: trial.number,
        value,
        pred,
        refitSeconds: speed * trainRows.length * refitEpochs,
      });
      return value;
    },
    {
      timeout: Math.max(1, (searchEnd() - Date.now()) / 1000),
      ...(options.nTrials ? { nTrials: options.nTrials } : {}),
      callbacks: [
        (s, t) => {
          log(trialLine(t, s.trials, metric.name, metric.direction));
          if (Date.now() >= searchEnd()) s.stop();
        },
      ],
    },
  );
  const searchSeconds = (Date.now() - started) / 1000;
  const done = study.getTrials(['complete']);
  if (done.length === 0) {
    const failed = study.getTrials(['failed'])[0];
    throw new ConfigError(
      `automl: no trial completed within the ${budget}s budget${failed?.error ? ` (first failure: ${failed.error})` : ''}; give a longer time budget`,
    );
  }
  const best = study.bestTrial;
  const epochs = best.userAttrs.epochs as number;
  const raw = trialConfig(best, base);
  const config = validateConfig(raw, 'automl');
  log(
    `best: trial ${best.number}, ${metric.name} ${best.value!.toFixed(4)}; refitting on ${trainRows.length} rows for ${epochs} epochs`,
  );
  const result = await trainCommand(resolveConfigPaths(config), {
    resume: false,
    log,
    ...(options.store ? { store: options.store } : {}),
  });
  let saved: SavedEnsemble | null = null;
  if (ensembleSize > 1 && done.length > 1) {
    // What is left of the budget after the best trial's refit, for the other members' refits.
    const left = (started + budget * 0.98 * 1000 - Date.now()) / 1000;
    const pool = done.map((t) => predictions.get(t.number)!).filter((p) => p !== undefined);
    const selection = selectEnsemble(pool, scorer, {
      size: ensembleSize,
      first: best.number,
      cost: (t) => predictions.get(t)!.refitSeconds,
      budget: left,
    });
    if (selection.members.length > 1) {
      log(
        `ensemble of ${selection.members.length} trials (${selection.members.map((m) => `${m.trial}: ${m.weight.toFixed(2)}`).join(', ')}): ${metric.name} ${selection.value.toFixed(4)} on the validation rows, best trial alone ${selection.single.toFixed(4)}`,
      );
      saved = await saveEnsemble(result.runDir, best.number, selection, done, base, {
        metric: metric.name,
        store: options.store,
        log,
      });
    } else {
      log(`ensemble: no combination beats trial ${best.number} alone on the validation rows`);
    }
  }
  let test = saved ? saved.test : result.test;
  let decision: DecisionRule | null = null;
  if (profile.numClasses === 2 && TUNED_THRESHOLD_METRICS.includes(metric.name)) {
    // The saved model's own validation predictions: the ensemble's weighted mean, or the best trial's.
    const members = (saved?.manifest.members ?? [{ trial: best.number, weight: 1 }])
      .filter((m) => m.weight > 0)
      .map((m) => ({ pred: predictions.get(m.trial)!.pred, weight: m.weight }));
    decision = await saveThreshold(result.runDir, members, scorer.truth, {
      metric: metric.name,
      positive: prepared.classes?.[1] ?? '1',
    });
    if (decision) {
      log(
        `decision threshold: ${decision.positive} when p(${decision.positive}) > ${decision.threshold}: ${metric.name} ${decision.value.toFixed(4)} on the validation rows, ${decision.atHalf.toFixed(4)} at 0.5`,
      );
      test = await evalCommand(result.runDir, { log: () => {} });
    } else {
      log(`decision threshold: 0.5 scores best on the validation rows; none saved`);
    }
  }
  const board = leaderboard(study, saved?.manifest ?? null);
  const count = (state: string) => study.trials.filter((t) => t.state === state).length;
  const trials = { complete: count('complete'), pruned: count('pruned'), failed: count('failed') };
  await study.close();
  const summary: AutomlResult = {
    runDir: result.runDir,
    config,
    task: profile.task,
    metric: metric.name,
    bestValue: best.value!,
    bestTrial: best.number,
    test,
    singleTest: result.test,
    ensemble: saved?.manifest ?? null,
    decision,
    leaderboard: board,
    scheme,
    trials,
    searchSeconds,
    seconds: 0,
  };
  summary.seconds = (Date.now() - started) / 1000;
  await writeAutomlFiles(summary, raw, { budget, direction: metric.direction, data: options.data });
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

function trialLine(
  t: FrozenTrial,
  all: readonly FrozenTrial[],
  metric: string,
  direction: 'minimize' | 'maximize',
): string {
  const done = all.filter((x) => x.state === 'complete' && x.value !== null);
  const values = done.map((x) => x.value!);
  const best = values.length
    ? direction === 'maximize'
      ? Math.max(...values)
      : Math.min(...values)
    : null;
  const seconds =
    t.datetimeStart !== null && t.datetimeComplete !== null
      ? ((t.datetimeComplete - t.datetimeStart) / 1000).toFixed(1)
      : '?';
  const what =
    t.state === 'complete'
      ? `${metric} ${t.value!.toFixed(4)}`
      : t.state === 'failed'
        ? `failed: ${t.error}`
        : 'pruned';
  return `trial ${t.number} (${seconds}s): ${what}${best !== null ? `; best ${best.toFixed(4)}` : ''}`;
}
