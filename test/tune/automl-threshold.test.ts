// Decision thresholds of binary AutoML runs: chosen for F1 on validation predictions (smoothed,
// ties to 0.5), saved as decision.json by `kiln automl --metric f1` in a real process, applied by
// real `kiln predict` and `kiln eval` processes (eval agrees with the run's reported test scores,
// ROC-AUC unchanged), stated in report.md; a malformed or misplaced file is one clear error.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DECISION_FILE, readDecision, thresholded } from '../../src/cli/decision.js';
import * as k from '../../src/index.js';
import {
  chooseThreshold,
  positiveProbabilities,
  saveThreshold,
} from '../../src/tune/automl/threshold.js';
import { assertOneLine, mulberry32, runKiln } from '../cli/helpers.js';

process.env.KILN_TRACK = '0';
const tmp = mkdtempSync(join(tmpdir(), 'kiln-automl-threshold-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A rare, noisy positive class (about one row in five): F1 is best below 0.5 there. */
function rareTable(dir: string): string {
  const rand = mulberry32(11);
  const lines = ['x1,x2,plan,churn'];
  for (let i = 0; i < 400; i++) {
    const x1 = rand() * 4 - 2;
    const x2 = rand() * 4 - 2;
    const plan = rand() < 0.3 ? 'gold' : 'basic';
    const z = 2 * x1 + (plan === 'gold' ? 1 : 0) - 2.5 + 0.5 * x2;
    const yes = rand() < 1 / (1 + Math.exp(-z));
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${plan},${yes ? 'yes' : 'no'}`);
  }
  const path = join(dir, 'rare.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Two-class probabilities [p0, p1] per row. */
function probs(p1: number[]): Float32Array {
  return Float32Array.from(p1.flatMap((p) => [1 - p, p]));
}

function scores(line: string): Record<string, number> {
  return Object.fromEntries(
    [...line.matchAll(/([a-z_0-9]+) (-?[\d.]+)/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}

describe('decision thresholds', () => {
  it('picks the F1-best threshold of a smoothed grid, and 0.5 on ties', () => {
    // Positives score 0.3-0.45: at 0.5 none is found, below 0.3 negatives come in.
    const p1 = [0.3, 0.35, 0.4, 0.45, 0.1, 0.12, 0.15, 0.2, 0.05, 0.08];
    const y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const c = chooseThreshold(p1, y);
    assert.ok(c.threshold >= 0.2 && c.threshold < 0.3, String(c.threshold));
    assert.equal(c.value, 1);
    assert.equal(c.atHalf, 0);
    // Separated at any threshold in 0.1..0.9: the one closest to 0.5 wins.
    assert.equal(chooseThreshold([0.9, 0.95, 0.1, 0.05], [1, 1, 0, 0]).threshold, 0.5);
    assert.throws(() => chooseThreshold([0.5], [1, 0]), /1 probabilities for 2 labels/);
  });

  it('saves a threshold only where it beats 0.5 as is, not just on average', async () => {
    // Smoothing prefers 0.49 here, but as is 0.49 scores below 0.5 (a negative at 0.495).
    const spike = [0.435, 0.555, 0.495, 0.515, 0.445, 0.415];
    const spikeY = [0, 0, 0, 1, 0, 0];
    const c = chooseThreshold(spike, spikeY);
    assert.ok(c.threshold !== 0.5 && c.value < c.atHalf, JSON.stringify(c));
    const dir = mkdtempSync(join(tmp, 'save-'));
    const info = { metric: 'f1', positive: 'yes' };
    assert.equal(await saveThreshold(dir, [{ pred: probs(spike), weight: 1 }], spikeY, info), null);
    assert.equal(existsSync(join(dir, DECISION_FILE)), false);
    // Positives at 0.3-0.45: a lower threshold finds them all; the file says so.
    const low = [0.3, 0.35, 0.4, 0.45, 0.1, 0.12, 0.15, 0.2];
    const lowY = [1, 1, 1, 1, 0, 0, 0, 0];
    const rule = await saveThreshold(dir, [{ pred: probs(low), weight: 1 }], lowY, info);
    assert.ok(rule && rule.threshold < 0.3 && rule.value === 1 && rule.atHalf === 0);
    assert.deepEqual(readDecision(dir, 2), rule);
  });

  it('weights the members as predict does, and shifts scores to the thresholded argmax', () => {
    const a = Float32Array.from([0.8, 0.2, 0.4, 0.6]);
    const b = Float32Array.from([0.2, 0.8, 0.6, 0.4]);
    const p = positiveProbabilities([
      { pred: a, weight: 3 },
      { pred: b, weight: 1 },
    ]);
    assert.ok(Math.abs(p[0]! - 0.35) < 1e-6 && Math.abs(p[1]! - 0.55) < 1e-6);
    const probs = k.tensor(Float32Array.from([0.8, 0.2, 0.65, 0.35, 0.3, 0.7]), { shape: [3, 2] });
    const shifted = thresholded(probs.log(), 0.3);
    assert.deepEqual(shifted.argmax(1).toArray(), [0, 1, 1]);
  });

  it('kiln automl --metric f1 saves a threshold that predict and eval apply', async () => {
    const data = rareTable(tmp);
    const out = join(tmp, 'runs');
    const r = await runKiln([
      'automl',
      data,
      '--target',
      'churn',
      '--metric',
      'f1',
      '--trials',
      '2',
      '--folds',
      '2',
      '--ensemble',
      '1',
      '--time-budget',
      '10m',
      '--out',
      out,
      '--name',
      'rare',
    ]);
    assert.equal(r.code, 0, r.err);
    const runDir = join(out, 'rare');
    const rule = readDecision(runDir, 2);
    assert.ok(rule, `no ${DECISION_FILE}:\n${r.out}`);
    assert.equal(rule.positive, 'yes');
    assert.equal(rule.metric, 'f1');
    // --folds 2 is a true 2-fold split: the threshold is chosen on the out-of-fold predictions
    // of every one of the 320 training rows.
    assert.equal(rule.rows, 320);
    assert.ok(rule.value >= rule.atHalf, 'chosen because it scores at least as well there');
    assert.match(r.out, new RegExp(`decision threshold: yes when p\\(yes\\) > ${rule.threshold}`));
    // The summary's test line (the last: the refit logs its own, at 0.5, before it).
    const testLine = r.out
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('test: '));
    const alone = r.out.split('\n').find((l) => l.startsWith('test (trial '));
    assert.ok(testLine && alone, r.out);
    assert.match(testLine, new RegExp(`\\(decision threshold ${rule.threshold}\\)$`));
    assert.match(alone, /threshold 0\.5\)/);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    assert.match(report, /- decision threshold \(decision\.json\): predict yes when p\(yes\) > /);

    // eval: the run's reported test scores, and the line saying which threshold it applied.
    const ev = await runKiln(['eval', runDir]);
    assert.equal(ev.code, 0, ev.err);
    const evalScores = scores(ev.out.split('\n')[0]!);
    const reported = scores(testLine);
    for (const key of ['accuracy', 'f1', 'roc_auc'])
      assert.equal(evalScores[key]!.toFixed(4), reported[key]!.toFixed(4), key);
    assert.match(ev.out, /decision threshold: yes when p\(yes\) > [\d.]+ \(decision\.json/);
    // ROC-AUC ranks: the same as the model alone at 0.5 (a single model, no ensemble).
    assert.equal(reported.roc_auc!.toFixed(4), scores(alone).roc_auc!.toFixed(4));

    // predict: yes exactly when p(yes) exceeds the threshold, not 0.5.
    const p = await runKiln(['predict', runDir, data]);
    assert.equal(p.code, 0, p.err);
    const rows = p.out.trim().split('\n');
    assert.equal(rows[0], 'prediction,p_no,p_yes');
    let between = 0;
    for (const row of rows.slice(1)) {
      const [label, , pYes] = row.split(',');
      assert.equal(label, Number(pYes) > rule.threshold ? 'yes' : 'no', row);
      const q = Number(pYes);
      if ((q > rule.threshold && q <= 0.5) || (q <= rule.threshold && q > 0.5)) between++;
    }
    assert.ok(between > 0, 'some rows decided differently than at 0.5');

    // The exported graph outputs class scores: export says which threshold to apply.
    const ex = await runKiln(['export', runDir, '-o', join(tmp, 'rare.onnx')]);
    assert.equal(ex.code, 0, ex.err);
    assert.match(ex.out, /note: this run predicts yes when p\(yes\) > [\d.]+ \(decision\.json\)/);

    // A malformed file, or one on a multi-class run, is one line naming the file.
    writeFileSync(join(runDir, DECISION_FILE), '{"type":"decision","version":1,"threshold":2}');
    const bad = await runKiln(['predict', runDir, data]);
    assert.equal(bad.code, 1);
    assert.match(assertOneLine(bad.err), /decision\.json: threshold must be a number in \(0, 1\)/);
    assert.throws(
      () => readDecision(runDir, 3),
      /decision\.json: threshold must be a number in \(0, 1\), got 2/,
    );
    writeFileSync(
      join(runDir, DECISION_FILE),
      JSON.stringify({ ...rule, threshold: 0.4 }, null, 2),
    );
    assert.throws(
      () => readDecision(runDir, 3),
      /needs a binary classifier; this run has 3 classes/,
    );
  });

  it('keeps the most probable class for other metrics', async () => {
    const r = await k.tune.automl({
      data: rareTable(tmp),
      target: 'churn',
      metric: 'auc',
      nTrials: 1,
      folds: 2,
      ensemble: 1,
      timeBudget: 600,
      out: join(tmp, 'runs'),
      name: 'rare-auc',
      log: () => {},
    });
    assert.equal(r.decision, null);
    assert.equal(readDecision(r.runDir, 2), null);
  });
});
