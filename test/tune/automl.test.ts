// k.tune.automl on real tables with tiny budgets (a trial cap and two folds): the run folder it
// writes reloads, its leaderboard lists every trial, the search never sees the test rows, and
// the search space's conditional parts follow the table. Options are checked up front.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRun } from '../../src/cli/inference.js';
import * as k from '../../src/index.js';
import { ConfigError } from '../../src/tensor/errors.js';
import { trialDeadline } from '../../src/tune/automl/fit.js';
import {
  CV_MAX_ROWS,
  CV3_MAX_ROWS,
  defaultFolds,
  searchFolds,
} from '../../src/tune/automl/folds.js';
import { parseDuration, searchMetric } from '../../src/tune/automl/options.js';
import {
  type Candidate,
  safeBatchSize,
  suggestCandidate,
  type TableProfile,
} from '../../src/tune/automl/space.js';

process.env.KILN_TRACK = '0';
const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'kiln-automl-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** scikit-learn's iris file (a metadata first line, label indices) as a table with a header. */
export function irisTable(dir: string): string {
  const [meta, ...rows] = readFileSync(join(ROOT, 'datasets', 'iris', 'iris.csv'), 'utf8')
    .trim()
    .split('\n');
  const names = meta!.split(',').slice(2);
  const lines = rows.map((r) => {
    const cells = r.split(',');
    return [...cells.slice(0, 4), names[Number(cells[4])]].join(',');
  });
  const path = join(dir, 'iris.csv');
  writeFileSync(
    path,
    `sepal_length,sepal_width,petal_length,petal_width,species\n${lines.join('\n')}\n`,
  );
  return path;
}

const silent = () => {};

describe('k.tune.automl', () => {
  it('searches iris, refits a reloadable run and lists every trial', async () => {
    const data = irisTable(tmp);
    const r = await k.tune.automl({
      data,
      target: 'species',
      timeBudget: 60,
      nTrials: 2,
      folds: 2,
      out: join(tmp, 'runs'),
      log: silent,
    });
    assert.equal(r.task, 'classification');
    assert.equal(r.metric, 'accuracy');
    assert.equal(r.scheme, '2-fold cross-validation on 120 training rows');
    const total = r.trials.complete + r.trials.pruned + r.trials.failed;
    assert.equal(total, 2);
    assert.ok(r.trials.complete >= 1);
    // The leaderboard has one row per trial (CSV: header + rows), the best first.
    assert.deepEqual(r.leaderboard.map((row) => row.trial).sort(), [0, 1]);
    assert.equal(r.leaderboard[0]!.trial, r.bestTrial);
    assert.equal(r.leaderboard[0]!.value, r.bestValue);
    const csv = readFileSync(join(r.runDir, 'leaderboard.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 3);
    assert.match(csv[0]!, /^rank,trial,state,accuracy,/);
    // The refit is a normal run: it reloads and predicts the right classes from raw rows.
    const run = await loadRun(r.runDir);
    assert.deepEqual(run.record.classes, ['setosa', 'versicolor', 'virginica']);
    const accuracy = r.test?.accuracy ?? 0;
    assert.ok(accuracy >= 0.8, `test accuracy ${accuracy}`);
    const report = readFileSync(join(r.runDir, 'report.md'), 'utf8');
    assert.match(report, /## AutoML/);
    assert.match(report, /- trials: 2 \(/);
    assert.match(report, /budget: 60s; search \d/);
    // The YAML is a kiln train config of the winner.
    const yaml = readFileSync(join(r.runDir, 'automl.yaml'), 'utf8');
    assert.match(yaml, /target: species/);
    assert.equal(r.config.training.epochs, r.leaderboard[0]!.epochs);
  });

  it('refuses bad options with errors that name them', async () => {
    const data = join(ROOT, 'datasets', 'realworld', 'penguins.csv');
    const fails = async (options: object, pattern: RegExp) =>
      assert.rejects(
        k.tune.automl(options as k.tune.AutomlOptions),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message),
      );
    await fails({ data, target: 'species', budget: 5 }, /unknown option 'budget'/);
    await fails({ data, target: 'nope' }, /"nope" is not a column of .*penguins\.csv/);
    await fails({ data, target: 'species', task: 'ranking' }, /task must be auto/);
    await fails({ data, target: 'species', metric: 'rmse' }, /rmse is a regression metric/);
    await fails({ data, target: 'species', metric: 'auc' }, /needs two classes; the target has 3/);
    await fails({ data, target: 'species', timeBudget: -1 }, /timeBudget/);
    await fails({ data, target: 'species', folds: 1.5 }, /folds must be a positive integer/);
  });
});

describe('automl pieces', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('5m'), 300);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('1m30s'), 90);
    for (const bad of ['', '5x', 'm', '0', '-3m'])
      assert.throws(() => parseDuration(bad), /expected a duration/);
  });

  it('picks the default metric of the task', () => {
    assert.deepEqual(searchMetric(undefined, 'regression', 0), {
      name: 'rmse',
      key: 'rmse',
      direction: 'minimize',
    });
    assert.equal(searchMetric('auc', 'classification', 2).key, 'roc_auc');
    assert.equal(searchMetric('logloss', 'classification', 3).direction, 'minimize');
  });

  it('folds split only the training rows: CV partitions them, holdout keeps a fifth', () => {
    const trainRows = Array.from({ length: 100 }, (_, i) => 2 * i); // odd rows are "test"
    const labels = Int32Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const folds = searchFolds(trainRows, labels, 5, true, 0);
    assert.equal(folds.length, 5);
    const seen = folds.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b);
    assert.deepEqual(seen, trainRows);
    for (const f of folds) {
      assert.equal(f.train.length + f.test.length, 100);
      // Stratified: half of the training rows are class 1 (rows divisible by 4), in each part too.
      const ones = Array.from(f.test).filter((r) => labels[r] === 1).length;
      assert.equal(ones, 10);
    }
    // Three folds also partition every training row (each trains on two thirds of them).
    const three = searchFolds(trainRows, labels, 3, true, 0);
    assert.equal(three.length, 3);
    assert.deepEqual(
      three.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b),
      trainRows,
    );
    for (const f of three) assert.ok(f.test.length >= 33 && f.test.length <= 34);
    const holdout = searchFolds(trainRows, labels, 1, false, 0);
    assert.equal(holdout.length, 1);
    assert.equal(holdout[0]!.test.length, 20);
    assert.ok(Array.from(holdout[0]!.train).every((r) => r % 2 === 0));
  });

  it('scores small tables by 5 folds, mid-sized ones by 3, large ones on one split', () => {
    assert.equal(defaultFolds(150), 5);
    assert.equal(defaultFolds(CV_MAX_ROWS), 5);
    assert.equal(defaultFolds(CV_MAX_ROWS + 1), 3);
    assert.equal(defaultFolds(CV3_MAX_ROWS), 3);
    assert.equal(defaultFolds(CV3_MAX_ROWS + 1), 1);
  });

  it('cuts a trial at its share of the search, or at the search end when that comes first', () => {
    const own = trialDeadline(2000, 1500, 0.12);
    assert.equal(own.deadline, 1500);
    assert.match(own.deadlineReason, /the most one trial may take \(12% of the search\)/);
    const end = trialDeadline(1000, 1500, 0.12);
    assert.equal(end.deadline, 1000);
    assert.match(end.deadlineReason, /time budget ran out/);
  });

  it('suggests preprocessing choices only where the table has them', async () => {
    const plain: TableProfile = {
      task: 'regression',
      numClasses: 0,
      rows: 800,
      categorical: [],
      highCardinality: [],
      hasMissing: false,
      numeric: 0,
    };
    const rich: TableProfile = {
      task: 'classification',
      numClasses: 2,
      rows: 4000,
      categorical: ['state', 'area'],
      highCardinality: ['state'],
      hasMissing: true,
      numeric: 15,
    };
    const study = await k.tune.createStudy({ sampler: new k.tune.RandomSampler({ seed: 1 }) });
    const seen: Record<string, unknown>[] = [];
    const candidates: Candidate[] = [];
    await study.optimize(
      (trial) => {
        candidates.push(suggestCandidate(trial, trial.number % 2 ? rich : plain));
        seen.push({ ...trial.params });
        return 0;
      },
      { nTrials: 20 },
    );
    for (const [i, params] of seen.entries()) {
      const keys = Object.keys(params);
      const isRich = i % 2 === 1;
      const conditional = [
        'maxCategories',
        'highCardinality',
        'missingIndicator',
        'classWeights',
        'numericBins',
      ];
      for (const key of conditional)
        assert.equal(keys.includes(key), isRich, `${key} in trial ${i}`);
      assert.equal(keys.includes('loss'), !isRich);
      const c = candidates[i]!;
      assert.equal(c.layers.at(-1)!.outFeatures, isRich ? 2 : 1);
      assert.equal(
        c.layers.filter((l) => l.type === 'Linear').length,
        (params.layers as number) + 1,
      );
      assert.deepEqual(c.drop, params.highCardinality === 'drop' ? ['state'] : []);
      // Embedded: the index column goes to a CategoryEmbedding in front of the MLP, with a
      // vector for every kept level and one for the rest.
      const embedded = params.highCardinality === 'embed';
      assert.deepEqual(c.embed, embedded ? ['state'] : []);
      assert.equal(keys.includes('embedDim'), embedded);
      if (embedded)
        assert.deepEqual(c.layers[0], {
          type: 'CategoryEmbedding',
          numEmbeddings: [(params.maxCategories as number) + 1],
          embeddingDim: params.embedDim,
        });
      else assert.notEqual(c.layers[0]!.type, 'CategoryEmbedding');
    }
    assert.ok(
      seen.some((p) => p.highCardinality === 'embed'),
      'the search tries embeddings',
    );
  });

  it('grows a BatchNorm batch size that would leave a batch of one', () => {
    const c = { batchSize: 32, layers: [{ type: 'BatchNorm1d' }] } as unknown as Candidate;
    assert.equal(safeBatchSize(c, [65, 90]), 33);
    assert.equal(safeBatchSize(c, [65, 100]), 34);
    assert.equal(safeBatchSize({ ...c, layers: [] }, [65]), 32);
  });
});
