// Ensembles of AutoML trials: greedy selection on validation predictions (starts from the best
// trial, never worse than it there, keeps to its size and refit budget, weights from counts), and
// a whole automl run on a noisy regression table whose saved ensemble reloads, predicts raw CSV
// rows in a real `kiln predict` process as the mean of its members, evaluates to the scores the
// run reported, is listed in the leaderboard, and comes out the same twice under one seed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readEnsemble } from '../../src/cli/ensemble.js';
import { loadRun } from '../../src/cli/inference.js';
import { readInputs } from '../../src/cli/inputs.js';
import * as k from '../../src/index.js';
import {
  EnsembleScorer,
  selectEnsemble,
  type TrialPredictions,
} from '../../src/tune/automl/ensemble.js';
import { runKiln } from '../cli/helpers.js';

process.env.KILN_TRACK = '0';
const tmp = mkdtempSync(join(tmpdir(), 'kiln-automl-ens-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const accuracy = { name: 'accuracy', key: 'accuracy', direction: 'maximize' as const };

/** Two-class probabilities [p0, p1] per row from the positive-class probabilities. */
function probs(p1: number[]): Float32Array {
  return Float32Array.from(p1.flatMap((p) => [1 - p, p]));
}

function trial(n: number, value: number, p1: number[], refitSeconds = 1): TrialPredictions {
  return { trial: n, value, pred: probs(p1), refitSeconds };
}

describe('ensemble selection', () => {
  // Six rows of class 1, 1, 1, 0, 0, 0. Trials 0-2 each err on a different row with a confident
  // wrong answer, so any two of them outvote the third's mistake.
  const truth = Int32Array.from([1, 1, 1, 0, 0, 0]);
  const a = trial(0, 5 / 6, [0.3, 0.9, 0.9, 0.1, 0.1, 0.1]);
  const b = trial(1, 5 / 6, [0.9, 0.4, 0.9, 0.1, 0.1, 0.1]);
  const c = trial(2, 5 / 6, [0.9, 0.9, 0.9, 0.6, 0.1, 0.1]);
  const weak = trial(3, 3 / 6, [0.4, 0.4, 0.4, 0.4, 0.4, 0.4]);
  const scorer = new EnsembleScorer(truth, 2, accuracy);

  it('starts from the best trial and adds the ones that fix its mistakes', () => {
    const e = selectEnsemble([weak, c, b, a], scorer, { size: 3 });
    assert.equal(e.single, 5 / 6);
    assert.equal(e.value, 1);
    assert.ok(
      e.members.some((m) => m.trial === 0),
      'the best trial (first by number among equals) is in',
    );
    assert.ok(!e.members.some((m) => m.trial === 3), 'the weak trial is left out');
    const total = e.members.reduce((s, m) => s + m.weight, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `weights sum to ${total}`);
    // Weights are pick counts over the steps kept.
    for (const m of e.members) assert.ok(Number.isInteger(Math.round(m.weight * e.iterations)));
  });

  it('keeps the best trial alone when nothing beats it', () => {
    const perfect = trial(7, 1, [0.9, 0.9, 0.9, 0.1, 0.1, 0.1]);
    const e = selectEnsemble([a, perfect, weak], scorer, { size: 4 });
    // Adding others can only tie on accuracy and lose on log loss: the best prefix is step 1.
    assert.deepEqual(e.members, [{ trial: 7, weight: 1 }]);
    assert.equal(e.value, 1);
  });

  it('keeps to its size, its refit budget and the first trial it is given', () => {
    const one = selectEnsemble([a, b, c], scorer, { size: 1 });
    assert.deepEqual(one.members, [{ trial: 0, weight: 1 }]);
    // b costs too much to refit: a and c must do.
    const cheap = selectEnsemble(
      [a, trial(1, 5 / 6, [0.9, 0.4, 0.9, 0.1, 0.1, 0.1], 50), c],
      scorer,
      {
        size: 3,
        cost: (t) => (t === 1 ? 50 : 1),
        budget: 10,
      },
    );
    assert.deepEqual(cheap.members.map((m) => m.trial).sort(), [0, 2]);
    const fromC = selectEnsemble([a, b, c], scorer, { size: 3, first: 2 });
    assert.ok(fromC.members.some((m) => m.trial === 2));
    assert.equal(fromC.single, scorer.score(c.pred).value);
  });

  it('averages regression values and scores them by RMSE', () => {
    const y = Float32Array.from([0, 1, 2, 3]);
    const rmse = { name: 'rmse', key: 'rmse', direction: 'minimize' as const };
    const s = new EnsembleScorer(y, 0, rmse);
    const high: TrialPredictions = {
      trial: 0,
      value: 1,
      pred: Float32Array.from([1, 2, 3, 4]),
      refitSeconds: 1,
    };
    const low: TrialPredictions = {
      trial: 1,
      value: 1,
      pred: Float32Array.from([-1, 0, 1, 2]),
      refitSeconds: 1,
    };
    const e = selectEnsemble([high, low], s, { size: 2 });
    assert.ok(e.value < 1e-6, `the two biases cancel: rmse ${e.value}`);
    assert.deepEqual(
      e.members.map((m) => m.weight),
      [0.5, 0.5],
    );
  });
});

/** One run folder's own model's predictions (original units) for a raw CSV. */
async function memberValues(dir: string, file: string): Promise<number[]> {
  const run = await loadRun(dir);
  const { x } = await readInputs(run, file);
  const out = k.noGrad(() => run.model.forward(x)).reshape([-1]);
  const t = run.record.preprocessing.target;
  const s = t ? k.data.Standardize.fromJSON(t) : null;
  return (out.toArray() as number[]).map((v) => (s ? v * s.std[0]! + s.mean[0]! : v));
}

/** A noisy regression table with a categorical column: averaging models pays there. */
function noisyTable(dir: string): string {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const lines = ['x1,x2,group,y'];
  for (let i = 0; i < 160; i++) {
    const x1 = rand() * 4 - 2;
    const x2 = rand() * 4 - 2;
    const g = ['a', 'b', 'c'][Math.floor(rand() * 3)]!;
    const y = Math.sin(2 * x1) + 0.5 * x2 * x2 + (g === 'b' ? 1 : 0) + (rand() - 0.5) * 1.5;
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${g},${y.toFixed(4)}`);
  }
  const path = join(dir, 'noisy.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('automl ensembles', () => {
  it('saves an ensemble that reloads, predicts raw rows, is listed and is the same twice', async () => {
    const data = noisyTable(tmp);
    const run = (name: string) =>
      k.tune.automl({
        data,
        target: 'y',
        timeBudget: 900,
        nTrials: 4,
        folds: 2,
        ensemble: 3,
        seed: 0,
        out: join(tmp, 'runs'),
        name,
        log: () => {},
      });
    const r = await run('first');
    assert.ok(r.ensemble, 'averaging noisy regressors beats the best alone on the validation rows');
    const manifest = readEnsemble(r.runDir)!;
    assert.deepEqual(manifest, r.ensemble);
    assert.ok(manifest.members.length >= 2 && manifest.members.length <= 3);
    assert.equal(manifest.members[0]!.dir, '.');
    assert.equal(manifest.members[0]!.trial, r.bestTrial);
    assert.ok(manifest.value <= manifest.single, 'never worse than the best alone (RMSE)');

    // The leaderboard gives each member its weight, and nobody else one.
    const csv = readFileSync(join(r.runDir, 'leaderboard.csv'), 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    const w = header.indexOf('ensemble_weight');
    const t = header.indexOf('trial');
    assert.ok(w > 0);
    const weights = new Map(
      csv.slice(1).map((l) => [Number(l.split(',')[t]), Number(l.split(',')[w])]),
    );
    for (const m of manifest.members) assert.ok(Math.abs(weights.get(m.trial)! - m.weight) < 1e-5);
    const listed = [...weights.values()].filter((v) => v > 0).length;
    assert.equal(listed, manifest.members.length);
    const report = readFileSync(join(r.runDir, 'report.md'), 'utf8');
    assert.match(report, /- ensemble \(ensemble\.json\): the mean of \d refit models' predictions/);
    assert.match(report, /best trial alone/);

    // A real process: eval reports the run's test scores, predict reads the raw CSV.
    const ev = await runKiln(['eval', r.runDir]);
    assert.equal(ev.code, 0, ev.err);
    assert.match(ev.out, new RegExp(`rmse ${(r.test?.rmse ?? Number.NaN).toFixed(4)}`));
    const p = await runKiln(['predict', r.runDir, data]);
    assert.equal(p.code, 0, p.err);
    const rows = p.out.trim().split('\n');
    assert.equal(rows[0], 'prediction');
    assert.equal(rows.length, 161);
    // The weighted mean of the members' own predictions (each loaded alone, in process).
    const own = await Promise.all(
      manifest.members.map((m) => memberValues(join(r.runDir, m.dir), data)),
    );
    for (const i of [0, 50, 159]) {
      const mean = manifest.members.reduce((s, m, j) => s + m.weight * own[j][i]!, 0);
      const got = Number(rows[i + 1]);
      assert.ok(Math.abs(got - mean) < 1e-3 * (1 + Math.abs(mean)), `row ${i}: ${got} vs ${mean}`);
    }
    const ex = await runKiln(['export', r.runDir]);
    assert.equal(ex.code, 1);
    assert.match(ex.err, /is an ensemble of \d models/);

    const again = await run('second');
    assert.deepEqual(again.ensemble, r.ensemble);
    assert.deepEqual(again.test, r.test);
  });
});
