// ROC-AUC, regression metrics and metricFromName against hand-computed cases and tiny inline
// reference computations (pair counting for AUC, two-pass sums for R2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  Accuracy,
  F1Score,
  METRIC_NAMES,
  MeanAbsoluteError,
  MeanSquaredError,
  metricFromName,
  R2Score,
  RocAuc,
  RootMeanSquaredError,
} from '../../src/train/metrics/index.js';
import { assertNear, assertStreams, feed } from './metrics-helpers.js';

/** AUC as the share of (positive, negative) pairs ranked right, ties counting one half. */
function pairAuc(scores: number[], ys: number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (ys[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (ys[j] !== 0) continue;
      sum += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      pairs++;
    }
  }
  return sum / pairs;
}

describe('RocAuc', () => {
  it("matches sklearn's documented example and a tie worked by hand", () => {
    const auc = new RocAuc();
    assert.equal(feed(auc, k.tensor([0.1, 0.4, 0.35, 0.8]), k.tensor([0, 0, 1, 1])), 0.75);
    // ranks: 0.2 -> 1 (neg), 0.5 / 0.5 -> 2.5 each (one pos, one neg), 0.9 -> 4 (pos)
    // (2.5 + 4 - 2*3/2) / (2*2) = 0.875
    assert.equal(feed(auc, k.tensor([0.5, 0.5, 0.2, 0.9]), k.tensor([0, 1, 0, 1])), 0.875);
    assert.equal(auc.name, 'roc_auc');
  });

  it('equals pair counting on many ties, streamed over uneven batches', () => {
    const n = 200;
    const scores: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const y = (i * 13) % 7 < 3 ? 1 : 0;
      ys.push(y);
      scores.push(Math.round(4 * Math.sin(i * 1.7) + 2 * y) / 2); // few distinct values
    }
    const value = assertStreams(
      () => new RocAuc(),
      k.tensor(scores, { dtype: 'float64' }).reshape([n, 1]),
      k.tensor(ys, { dtype: 'int32' }),
      [[1, 50, 3], [199], [17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17]],
    );
    assertNear(value, pairAuc(scores, ys), 1e-14);
  });

  it('keeps more than its initial buffer (growth path)', () => {
    const n = 5000;
    const scores = Array.from({ length: n }, (_, i) => Math.sin(i));
    const ys = scores.map((_, i) => ((i * 31) % 11 < 5 ? 1 : 0));
    const auc = new RocAuc();
    const value = feed(auc, k.tensor(scores, { dtype: 'float64' }), k.tensor(ys), [1500, 1500]);
    assertNear(value, pairAuc(scores, ys), 1e-12);
  });

  it('scores [N, 2] outputs by s1 - s0 and is invariant to the logit/probability scale', () => {
    const logits = [-2, 0.5, 1, -0.3, 3];
    const ys = [0, 1, 0, 0, 1];
    const expected = pairAuc(logits, ys); // hand: positives 0.5, 3 vs -2, 1, -0.3 -> 5/6
    assertNear(expected, 5 / 6, 1e-15);
    const auc = new RocAuc();
    const two = k.tensor(
      logits.map((z) => [0.25 * z, 1.25 * z]),
      { dtype: 'float64' },
    );
    assertNear(feed(auc, two, k.tensor(ys)), 5 / 6, 1e-15);
    const probs = k.tensor(logits, { dtype: 'float64' }).sigmoid();
    assertNear(feed(auc, probs, k.tensor(ys)), 5 / 6, 1e-15);
  });

  it('is NaN with one class only or before data, and rejects bad input', () => {
    const auc = new RocAuc();
    assert.ok(Number.isNaN(auc.compute()));
    assert.ok(Number.isNaN(feed(auc, k.tensor([0.2, 0.4]), k.tensor([1, 1]))));
    assert.throws(() => auc.update(k.zeros([2, 3]), k.tensor([0, 1])), k.ShapeError);
    assert.throws(() => auc.update(k.zeros([2]), k.tensor([0, 2])), k.ValueError);
    assert.throws(
      () => auc.update(k.tensor([0.1, Number.NaN]), k.tensor([0, 1])),
      (e: Error) => e instanceof k.ValueError && /NaN at sample 1/.test(e.message),
    );
    // the rejected batch left nothing behind
    assert.ok(Number.isNaN(auc.compute()));
  });
});

describe('regression metrics', () => {
  // sklearn's documented examples
  const yTrue = k.tensor([3, -0.5, 2, 7], { dtype: 'float64' });
  const yPred = k.tensor([2.5, 0, 2, 8], { dtype: 'float64' });
  const mTrue = k.tensor(
    [
      [0.5, 1],
      [-1, 1],
      [7, -6],
    ],
    { dtype: 'float64' },
  );
  const mPred = k.tensor(
    [
      [0, 2],
      [-1, 2],
      [8, -5],
    ],
    { dtype: 'float64' },
  );

  it('MAE, MSE and RMSE of one output', () => {
    // residuals 0.5, -0.5, 0, -1
    assert.equal(feed(new MeanAbsoluteError(), yPred, yTrue), 2 / 4);
    assert.equal(feed(new MeanSquaredError(), yPred, yTrue), 1.5 / 4);
    assertNear(feed(new RootMeanSquaredError(), yPred, yTrue), Math.sqrt(0.375), 1e-15);
  });

  it('average per output uniformly; RMSE averages per-output roots as sklearn', () => {
    // column residuals: [0.5, 0, -1] and [-1, -1, -1]
    assert.equal(feed(new MeanAbsoluteError(), mPred, mTrue), (1.5 / 3 + 3 / 3) / 2); // 0.75
    assertNear(feed(new MeanSquaredError(), mPred, mTrue), (1.25 / 3 + 3 / 3) / 2, 1e-15);
    const rmse = (Math.sqrt(1.25 / 3) + 1) / 2; // sklearn doc: 0.822...
    assertNear(feed(new RootMeanSquaredError(), mPred, mTrue), rmse, 1e-15);
    assertNear(rmse, 0.8227, 1e-4);
  });

  it('R2 of one output and uniform over outputs', () => {
    // mean 2.875, SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875, SS_res 1.5
    assertNear(feed(new R2Score(), yPred, yTrue), 1 - 1.5 / 29.1875, 1e-15); // 0.9486...
    // column 1: mean 6.5/3, SS_tot = 38.1667, SS_res 1.25; column 2: mean -4/3, SS_tot 32.6667, 3
    const col1 = 1 - 1.25 / (0.25 + 1 + 49 - 6.5 ** 2 / 3);
    const col2 = 1 - 3 / (1 + 1 + 36 - 16 / 3);
    assertNear(feed(new R2Score(), mPred, mTrue), (col1 + col2) / 2, 1e-14); // sklearn: 0.936...
    assertNear((col1 + col2) / 2, 0.9368, 1e-4);
  });

  it('R2 of constant targets follows force_finite; fewer than 2 samples is NaN', () => {
    const r2 = new R2Score();
    assert.equal(feed(r2, k.tensor([2, 2, 2]), k.tensor([2, 2, 2])), 1);
    assert.equal(feed(r2, k.tensor([2, 2, 3]), k.tensor([2, 2, 2])), 0);
    assert.ok(Number.isNaN(feed(r2, k.tensor([1]), k.tensor([2]))));
    assert.ok(Number.isNaN(new MeanSquaredError().compute()));
  });

  it('R2 stays accurate when the targets mean is large next to their spread', () => {
    const n = 1000;
    const ys: number[] = [];
    const ps: number[] = [];
    for (let i = 0; i < n; i++) {
      ys.push(1e8 + Math.sin(i));
      ps.push(1e8 + Math.sin(i) + 0.1 * Math.cos(7 * i));
    }
    const mean = ys.reduce((a, b) => a + b, 0) / n;
    let ssTot = 0;
    let ssRes = 0;
    for (let i = 0; i < n; i++) {
      ssTot += (ys[i]! - mean) ** 2;
      ssRes += (ys[i]! - ps[i]!) ** 2;
    }
    const r2 = new R2Score();
    const got = feed(
      r2,
      k.tensor(ps, { dtype: 'float64' }),
      k.tensor(ys, { dtype: 'float64' }),
      [333, 333],
    );
    assertNear(got, 1 - ssRes / ssTot, 1e-9);
  });

  it('stream over uneven batches exactly, pair [N,1] with [N], and reset', () => {
    const n = 41;
    const out: number[][] = [];
    const tgt: number[][] = [];
    for (let i = 0; i < n; i++) {
      out.push([Math.sin(i), 10 + Math.cos(i), i / 7]);
      tgt.push([Math.sin(i + 0.3), 10 + Math.cos(1.1 * i), (i % 5) / 2]);
    }
    const o = k.tensor(out, { dtype: 'float64' });
    const t = k.tensor(tgt, { dtype: 'float64' });
    for (const make of [
      () => new MeanAbsoluteError(),
      () => new MeanSquaredError(),
      () => new RootMeanSquaredError(),
      () => new R2Score(),
    ]) {
      assertStreams(make, o, t, [[1, 1, 20], [40], [13, 0, 14]]);
      const column = o.narrow(1, 0, 1);
      const flat = t.narrow(1, 0, 1).reshape([n]);
      assert.equal(feed(make(), column, flat), feed(make(), column.reshape([n]), flat));
    }
  });

  it('rejects mismatched shapes and a change of output width', () => {
    assert.throws(
      () => new MeanSquaredError().update(k.zeros([4, 2]), k.zeros([4])),
      (e: Error) => e instanceof k.ShapeError && /\[4,2\].*\[4\]/.test(e.message),
    );
    assert.throws(() => new MeanAbsoluteError().update(k.zeros([4]), k.zeros([3])), k.ShapeError);
    const mse = new MeanSquaredError();
    mse.update(k.zeros([2, 3]), k.zeros([2, 3]));
    assert.throws(() => mse.update(k.zeros([2, 2]), k.zeros([2, 2])), k.ShapeError);
  });
});

describe('metricFromName', () => {
  it('builds every known metric with its name', () => {
    const names: Record<string, string> = {
      accuracy: 'accuracy',
      top5_accuracy: 'top5_accuracy',
      topk: 'top5_accuracy',
      precision: 'precision',
      recall: 'recall',
      f1: 'f1',
      confusion_matrix: 'confusion_matrix',
      roc_auc: 'roc_auc',
      mae: 'mae',
      mse: 'mse',
      rmse: 'rmse',
      r2: 'r2',
    };
    assert.deepEqual([...METRIC_NAMES].sort(), Object.keys(names).sort());
    for (const [key, name] of Object.entries(names)) assert.equal(metricFromName(key).name, name);
    assert.equal(metricFromName('topk', { topK: 3 }).name, 'top3_accuracy');
    assert.equal(metricFromName('top10_accuracy').name, 'top10_accuracy');
    assert.equal(metricFromName(' Accuracy ').name, 'accuracy');
    assert.ok(metricFromName('f1', { average: 'macro' }) instanceof F1Score);
    assert.ok(metricFromName('accuracy', { topK: 5 }) instanceof Accuracy);
    assert.equal(metricFromName('accuracy', { topK: 5 }).name, 'accuracy');
  });

  it('passes options through', () => {
    const f1 = metricFromName('f1', { average: 'micro' });
    // micro F1 of single-label data is the accuracy: 2 of 3 right
    const logits = k.tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 0],
    ]);
    assertNear(feed(f1, logits, k.tensor([0, 1, 2], { dtype: 'int32' })), 2 / 3, 1e-15);
    assert.throws(
      () => metricFromName('accuracy', { numClasses: 4 }).update(logits, k.tensor([0, 1, 2])),
      { name: 'ShapeError', message: /output \[3,3\] has 3 classes but numClasses = 4/ },
    );
  });

  it('suggests the closest name and lists the known ones', () => {
    assert.throws(
      () => metricFromName('acuracy'),
      (e: Error) =>
        e instanceof k.ConfigError &&
        e.message.startsWith(
          "unknown metric 'acuracy'; did you mean 'accuracy'? (known: accuracy,",
        ) &&
        e.message.includes('roc_auc') &&
        e.message.endsWith('r2)'),
    );
    assert.throws(() => metricFromName('acucracy'), /did you mean 'accuracy'/);
    assert.throws(() => metricFromName('rocauc'), /did you mean 'roc_auc'/);
    assert.throws(() => metricFromName('f1_score'), /did you mean 'f1'\?/);
    assert.throws(
      () => metricFromName('perplexity'),
      (e: Error) => e instanceof k.ConfigError && !e.message.includes('did you mean'),
    );
    assert.throws(() => metricFromName('constructor'), k.ConfigError);
  });
});
