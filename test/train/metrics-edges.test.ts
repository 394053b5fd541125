// Metric cases that mutation testing showed untested: the default average for more than two
// classes, which direction each metric improves in (checkpointing and early stopping read it),
// and ROC-AUC from two-column scores. Expected values checked with scikit-learn 1.2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  F1Score,
  METRIC_NAMES,
  metricFromName,
  Precision,
  Recall,
  RocAuc,
} from '../../src/train/metrics/index.js';

const labels = (xs: number[]) => k.tensor(xs, { dtype: 'int32' });
const oneHotScores = (preds: number[], classes: number) =>
  k.tensor(preds.map((p) => Array.from({ length: classes }, (_, c) => (c === p ? 1 : 0))));

describe('precision and recall with the default average', () => {
  // targets 0 0 0 1 2 2, predictions 0 0 1 1 2 0:
  // class 0: tp 2 fp 1 fn 1 (P 2/3, R 2/3); class 1: tp 1 fp 1 (P 1/2, R 1); class 2: tp 1 fn 1
  // (P 1, R 1/2). Macro: P = R = 13/18; micro 2/3; weighted P 3/4 (sklearn agrees).
  const target = labels([0, 0, 0, 1, 2, 2]);
  const output = oneHotScores([0, 0, 1, 1, 2, 0], 3);

  it('is macro for three classes, as average: "macro" gives', () => {
    for (const M of [Precision, Recall]) {
      const m = new M();
      m.update(output, target);
      assert.equal(m.average, 'macro');
      assert.ok(Math.abs(m.compute() - 13 / 18) < 1e-12, `${m.name}: ${m.compute()}`);
      const micro = new M({ average: 'micro' });
      micro.update(output, target);
      assert.ok(Math.abs(micro.compute() - 2 / 3) < 1e-12);
    }
  });

  it('is binary (class 1) for two classes', () => {
    // targets 1 1 0 0, predictions 1 1 1 0: class 1 has tp 2, fp 1 (P 2/3, R 1); macro would give P 5/6.
    const p = new Precision();
    const r = new Recall();
    const out = oneHotScores([1, 1, 1, 0], 2);
    const tgt = labels([1, 1, 0, 0]);
    p.update(out, tgt);
    r.update(out, tgt);
    assert.equal(p.average, 'binary');
    assert.ok(Math.abs(p.compute() - 2 / 3) < 1e-12, `precision ${p.compute()}`);
    assert.equal(r.compute(), 1);
  });
});

describe('higherIsBetter', () => {
  it('is true for scores and false for errors, for every metric name', () => {
    const higher = new Set([
      'accuracy',
      'top5_accuracy',
      'topk',
      'precision',
      'recall',
      'f1',
      'confusion_matrix',
      'roc_auc',
      'r2',
    ]);
    for (const name of METRIC_NAMES) {
      assert.equal(metricFromName(name).higherIsBetter, higher.has(name), name);
    }
    assert.equal(new Precision().higherIsBetter, true);
    assert.equal(new Recall().higherIsBetter, true);
    assert.equal(new F1Score().higherIsBetter, true);
    assert.equal(new RocAuc().higherIsBetter, true);
  });
});

describe('ROC-AUC from two-column scores', () => {
  it('orders samples by s1 - s0 (probabilities)', () => {
    // s1 - s0 = -0.8, 0.6, -0.2, 0.4; positives 0.6 and -0.2 beat 3 of 4 negatives: 0.75
    // (sklearn roc_auc_score([0,1,1,0], [0.1,0.8,0.4,0.7]) = 0.75).
    const auc = new RocAuc();
    auc.update(
      k.tensor([
        [0.9, 0.1],
        [0.2, 0.8],
        [0.6, 0.4],
        [0.3, 0.7],
      ]),
      labels([0, 1, 1, 0]),
    );
    assert.equal(auc.compute(), 0.75);
  });

  it('orders logits by their difference, not by the positive column alone', () => {
    // Column 1 alone ranks the negative first (3 > 1); the differences -2 < 1 rank it last.
    const auc = new RocAuc();
    auc.update(
      k.tensor([
        [5, 3],
        [0, 1],
      ]),
      labels([0, 1]),
    );
    assert.equal(auc.compute(), 1);
  });

  it('refuses three columns', () => {
    assert.throws(() => new RocAuc().update(k.zeros([2, 3]), labels([0, 1])), {
      name: 'ShapeError',
      message: /roc_auc: output must be binary scores \[N\], \[N,1\] or \[N,2\], got \[2,3\]/,
    });
  });
});
