/** `kiln automl`: searches a model for a table under a time budget and saves the refit run. */
import { parseArgs } from 'node:util';
import { setBackend } from '../../backend/registry.js';
import { ConfigError } from '../../tensor/errors.js';
import { automl } from '../../tune/automl/automl.js';
import type { AutomlOptions } from '../../tune/automl/options.js';
import { DEFAULT_ENSEMBLE, parseDuration } from '../../tune/automl/options.js';
import { AUTOML_FILES } from '../../tune/automl/report.js';

/** The help text of `kiln automl`. */
export const AUTOML_HELP = `kiln automl <data.csv> --target <column> [options]

Searches preprocessing and MLP choices for a table (TPE, under a wall-clock budget), scoring
each candidate by 5-fold (up to 2,000 training rows) or 3-fold (up to 10,000) cross-validation
or one validation split, then refits the best on all training rows as a normal run folder,
tested on held-out rows.
The run folder also holds ${AUTOML_FILES.config} (a kiln train config that reproduces the run)
and ${AUTOML_FILES.leaderboard} (every trial); report.md gets an AutoML section. Unless
--ensemble 1, up to N trials are chosen greedily by their validation predictions (Caruana et
al., 2004), refit into members/ and averaged (ensemble.json); eval and predict use them all.

Searched: one-hot cap and high-cardinality columns (one-hot or left out), missing indicators,
layers, width, activation, normalization, dropout, optimizer (Adam/AdamW), learning rate,
weight decay, cosine or constant schedule, batch size, epoch budget with early stopping,
balanced class weights (classification) or MSE/Huber loss (regression). With --metric f1 on
a binary target, the decision threshold on the positive class's probability is chosen on the
validation predictions and saved (decision.json); eval and predict apply it.

Options:
  --target COL        the column to predict (required)
  --task T            auto (default: from the target column), classification or regression
  --time-budget D     wall-clock budget for search and refit: 90s, 5m, 1h (default 5m)
  --metric M          accuracy (default), f1, auc, logloss; rmse (default), mae, r2
  --trials N          stop after N trials even with time left
  --folds N           cross-validation folds (1: one validation split)
  --out DIR           folder of run folders (default runs)
  --name NAME         run name (default automl-<file name>)
  --seed N            seed of the split, folds, sampler and training (default 0)
  --store S           tracking store (SQLite file or postgresql:// URL) for the study and run
  --ensemble N        most models in the saved ensemble (default ${DEFAULT_ENSEMBLE}; 1: the best alone)

Example:
  kiln automl datasets/realworld/penguins.csv --target species --time-budget 2m
  kiln predict runs/automl-penguins datasets/realworld/penguins.csv`;

const OPTIONS = {
  target: { type: 'string' },
  task: { type: 'string' },
  'time-budget': { type: 'string' },
  metric: { type: 'string' },
  trials: { type: 'string' },
  folds: { type: 'string' },
  out: { type: 'string', short: 'o' },
  name: { type: 'string' },
  seed: { type: 'string' },
  store: { type: 'string' },
  ensemble: { type: 'string' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const;

function integer(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`--${flag}: expected an integer >= ${min}, got '${value}'`);
  return n;
}

/**
 * Runs `kiln automl` with its arguments (after the command name) and returns the exit code.
 *
 * @example
 * ```ts
 * await automlCommand(['data.csv', '--target', 'y', '--time-budget', '30s']);
 * ```
 */
export async function automlCommand(
  argv: readonly string[],
  log: (s: string) => void = console.log,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    log(AUTOML_HELP);
    return 0;
  }
  if (positionals.length === 0)
    throw new ConfigError('kiln automl: missing the data file (see kiln automl --help)');
  if (positionals.length > 1)
    throw new ConfigError(
      `kiln automl: unexpected argument '${positionals[1]}' (see kiln automl --help)`,
    );
  if (!values.target)
    throw new ConfigError('kiln automl: --target <column> is required (see kiln automl --help)');
  const task = values.task ?? 'auto';
  if (task !== 'auto' && task !== 'classification' && task !== 'regression')
    throw new ConfigError(`--task: expected auto, classification or regression, got '${task}'`);
  if (values.backend) setBackend(values.backend);
  const options: AutomlOptions = {
    data: positionals[0]!,
    target: values.target,
    task,
    timeBudget: parseDuration(values['time-budget'] ?? '5m'),
    log,
  };
  if (values.metric) options.metric = values.metric;
  const trials = integer(values.trials, 'trials', 1);
  if (trials !== undefined) options.nTrials = trials;
  const folds = integer(values.folds, 'folds', 1);
  if (folds !== undefined) options.folds = folds;
  const seed = integer(values.seed, 'seed', 0);
  if (seed !== undefined) options.seed = seed;
  if (values.out) options.out = values.out;
  if (values.name) options.name = values.name;
  if (values.store) options.store = values.store;
  const ensemble = integer(values.ensemble, 'ensemble', 1);
  if (ensemble !== undefined) options.ensemble = ensemble;
  const r = await automl(options);
  const total = r.trials.complete + r.trials.pruned + r.trials.failed;
  log(
    `automl: ${total} trials (${r.trials.complete} complete, ${r.trials.pruned} pruned, ${r.trials.failed} failed) in ${r.searchSeconds.toFixed(0)}s of search, ${r.seconds.toFixed(0)}s in all; best trial ${r.bestTrial}: ${r.metric} ${r.bestValue.toFixed(4)} (${r.scheme})`,
  );
  const scores = (t: Record<string, number>) =>
    Object.entries(t)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join('  ');
  if ((r.ensemble || r.decision) && r.singleTest)
    log(
      `test (trial ${r.bestTrial} alone${r.decision ? ', threshold 0.5' : ''}): ${scores(r.singleTest)}`,
    );
  if (r.test)
    log(
      `test${r.ensemble ? ` (ensemble of ${r.ensemble.members.length})` : ''}: ${scores(r.test)}${r.decision ? ` (decision threshold ${r.decision.threshold})` : ''}`,
    );
  log(`run saved to ${r.runDir} (reproduce: kiln train ${r.runDir}/${AUTOML_FILES.config})`);
  return 0;
}
