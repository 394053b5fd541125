// Classification metrics against hand-computed cases: accuracy (argmax, threshold, logits,
// top-k), confusion matrix, precision / recall / F1 with every average, streaming, reset, and
// the input checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  Accuracy,
  ConfusionMatrix,
  F1Score,
  Precision,
  Recall,
} from '../../src/train/metrics/index.js';
import { assertNear, assertStreams, feed } from './metrics-helpers.js';

const labels = (xs: number[]) => k.tensor(xs, { dtype: 'int32' });

describe('Accuracy', () => {
  it('takes the argmax of [N, C] scores, the first on ties', () => {
    // argmax rows: 0, 1, 0 (tie 1 = 1 -> first), 2; right: yes, no, yes, yes
    const logits = k.tensor([
      [2, 1, 0],
      [0, 3, 1],
      [1, 1, 0],
      [0, 0, 5],
    ]);
    const acc = new Accuracy();
    assert.equal(acc.name, 'accuracy');
    assert.equal(feed(acc, logits, labels([0, 2, 0, 2])), 3 / 4);
  });

  it('thresholds binary probabilities strictly above 0.5', () => {
    // predictions 0, 0 (0.5 is not above), 1, 1 against 0, 1, 1, 0
    const probs = k.tensor([0.2, 0.5, 0.7, 0.9]);
    assert.equal(feed(new Accuracy(), probs, k.tensor([0, 1, 1, 0])), 0.5);
    // [N, 1] outputs and a custom threshold: 0.2 -> 1, 0.5 -> 1, 0.7 -> 1, 0.9 -> 1
    assert.equal(
      feed(new Accuracy({ threshold: 0.1 }), probs.reshape([4, 1]), k.tensor([[0], [1], [1], [0]])),
      0.5,
    );
  });

  it('thresholds logits on the logit scale with fromLogits', () => {
    // 1e-30 is positive although sigmoid(1e-30) rounds to exactly 0.5
    const logits = k.tensor([-1, 1e-30, 0, 2], { dtype: 'float64' });
    assert.equal(feed(new Accuracy({ fromLogits: true }), logits, labels([0, 1, 0, 1])), 1);
    // threshold 0.9 -> logit ln 9 = 2.197: only 2 is not above, so the last sample is wrong
    assert.equal(
      feed(new Accuracy({ fromLogits: true, threshold: 0.9 }), logits, labels([0, 0, 0, 1])),
      3 / 4,
    );
  });

  it('rejects logits passed as probabilities', () => {
    assert.throws(
      () => new Accuracy().update(k.tensor([0.3, 1.7]), labels([0, 1])),
      (e: Error) => e instanceof k.ValueError && /1\.7.*fromLogits/.test(e.message),
    );
  });

  it('counts top-k hits, ranking by score then index', () => {
    const scores = k.tensor([
      [0.1, 0.5, 0.4], // true 2: only 0.5 above -> hit
      [0.3, 0.3, 0.3], // true 2: classes 0 and 1 tie and come first -> miss
      [0.3, 0.3, 0.3], // true 1: only class 0 first -> hit
      [0.6, 0.3, 0.1], // true 2: two above -> miss
    ]);
    const top2 = new Accuracy({ topK: 2 });
    assert.equal(top2.name, 'top2_accuracy');
    assert.equal(feed(top2, scores, labels([2, 2, 1, 2])), 2 / 4);
    // top-3 of 3 classes is always right; top-1 is the argmax, the first on ties: 1, 0, 0, 0
    assert.equal(feed(new Accuracy({ topK: 3 }), scores, labels([2, 2, 1, 2])), 1);
    assert.equal(feed(new Accuracy({ topK: 1 }), scores, labels([1, 0, 0, 0])), 1);
    assert.equal(new Accuracy({ topK: 5 }).name, 'top5_accuracy');
  });

  it('rejects a topK above the class count and a non-integer topK', () => {
    assert.throws(
      () => new Accuracy({ topK: 5 }).update(k.zeros([2, 3]), labels([0, 1])),
      (e: Error) => e instanceof k.ValueError && /topK=5.*3 classes/.test(e.message),
    );
    assert.throws(() => new Accuracy({ topK: 0 }), k.ValueError);
    assert.throws(() => new Accuracy({ topK: 1.5 }), k.ValueError);
  });

  it('streams over uneven batches, honours strided views and resets', () => {
    const n = 23;
    const rows: number[][] = [];
    const ys: number[] = [];
    let right = 0;
    for (let i = 0; i < n; i++) {
      const row = [Math.sin(i), Math.cos(3 * i), Math.sin(7 * i + 1), 0.1 * (i % 5)];
      rows.push(row);
      const y = (i * 7) % 4;
      ys.push(y);
      if (row.indexOf(Math.max(...row)) === y) right++;
    }
    // A transposed view: the metric must read it in logical order, not storage order.
    const colMajor = k.tensor(rows, { dtype: 'float64' }).transpose(0, 1).contiguous();
    const logits = colMajor.transpose(0, 1);
    assert.equal(logits.isContiguous(), false);
    const value = assertStreams(() => new Accuracy(), logits, labels(ys), [
      [5, 1, 10],
      [1, 1, 1, 1, 1, 1, 1],
      [22],
      [0, 3, 0, 8],
    ]);
    assert.equal(value, right / n);
    const acc = new Accuracy();
    acc.update(logits, labels(ys));
    acc.reset();
    assert.ok(Number.isNaN(acc.compute()), 'NaN after reset');
  });
});

describe('ConfusionMatrix', () => {
  // true 0 1 2 2 1 0 / predicted 0 2 2 1 1 0
  const logits = k.tensor([
    [9, 0, 0],
    [0, 0, 9],
    [0, 0, 9],
    [0, 9, 0],
    [0, 9, 0],
    [9, 0, 0],
  ]);
  const truth = labels([0, 1, 2, 2, 1, 0]);

  it('puts true classes in rows and predictions in columns, as sklearn', () => {
    const cm = new ConfusionMatrix({ numClasses: 3 });
    assert.equal(feed(cm, logits, truth), 4 / 6);
    assert.deepEqual(cm.matrix(), [
      [2, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ]);
  });

  it('streams, resets and is all zeros with a declared class count before data', () => {
    assertStreams(() => new ConfusionMatrix(), logits, truth, [[1, 2], [4]]);
    const cm = new ConfusionMatrix({ numClasses: 2 });
    assert.deepEqual(cm.matrix(), [
      [0, 0],
      [0, 0],
    ]);
    cm.update(k.tensor([0.9, 0.2, 0.6]), k.tensor([1, 1, 0]));
    assert.deepEqual(cm.matrix(), [
      [0, 1],
      [1, 1],
    ]);
    cm.reset();
    assert.deepEqual(cm.matrix(), [
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('Precision, Recall, F1Score', () => {
  // sklearn's documented example: y_true [0 1 2 0 1 2], y_pred [0 2 1 0 0 1].
  // class 0: tp 2, fp 1, fn 0 -> P 2/3, R 1, F1 4/5; classes 1, 2: tp 0 -> all 0.
  const onehot = (cls: number[]) => k.oneHot(labels(cls), 3).to('float32');
  const out = onehot([0, 2, 1, 0, 0, 1]);
  const y = labels([0, 1, 2, 0, 1, 2]);
  const cases: [string, number, number, number][] = [
    // average, precision, recall, f1
    ['macro', 2 / 9, 1 / 3, 0.8 / 3],
    ['micro', 2 / 6, 2 / 6, 2 / 6],
    ['weighted', 2 / 9, 1 / 3, 0.8 / 3],
  ];
  for (const [average, p, r, f] of cases) {
    it(`matches sklearn's example with average '${average}'`, () => {
      const options = { average: average as 'macro' };
      assertNear(feed(new Precision(options), out, y), p, 1e-15, 'precision');
      assertNear(feed(new Recall(options), out, y), r, 1e-15, 'recall');
      assertNear(feed(new F1Score(options), out, y), f, 1e-15, 'f1');
    });
  }

  it('leaves out of the macro average a class never seen in targets or predictions', () => {
    const wide = k.cat([out, k.full([6, 1], -1)], 1);
    const p = new Precision({ average: 'macro', numClasses: 4 });
    assertNear(feed(p, wide, y), 2 / 9, 1e-15);
    // Predicted but never true: counted (precision 0), as sklearn's unique_labels(y_true, y_pred)
    const predicts3 = onehot([0, 2, 1, 0, 0, 1]).narrow(0, 0, 5);
    const wider = k.cat([k.cat([predicts3, k.zeros([5, 1])], 1), k.tensor([[0, 0, 0, 1]])], 0);
    assertNear(feed(p, wider, y), 2 / 3 / 4, 1e-15);
  });

  it('scores the positive class with average binary (the default for 2 classes)', () => {
    // true 0 1 1 0 1 1, probabilities -> predictions 0 1 0 1 1 0
    // class 1: tp 2, fp 1, fn 2 -> P 2/3, R 1/2, F1 4/7; class 0: tp 1, fp 2, fn 1
    const probs = k.tensor([0.1, 0.8, 0.4, 0.6, 0.9, 0.2]);
    const truth = k.tensor([0, 1, 1, 0, 1, 1]);
    assertNear(feed(new Precision(), probs, truth), 2 / 3, 1e-15);
    assertNear(feed(new Recall(), probs, truth), 1 / 2, 1e-15);
    assertNear(feed(new F1Score({ average: 'binary' }), probs, truth), 4 / 7, 1e-15);
    const neg = { positiveClass: 0 };
    assertNear(feed(new Precision(neg), probs, truth), 1 / 3, 1e-15);
    assertNear(feed(new Recall(neg), probs, truth), 1 / 2, 1e-15);
    assertNear(feed(new F1Score(neg), probs, truth), 2 / 5, 1e-15);
    // The same predictions as two-column scores give the same numbers.
    const twoCol = k.stack([probs.neg().add(1), probs], 1);
    assertNear(feed(new F1Score(), twoCol, truth), 4 / 7, 1e-15);
    assert.equal(new F1Score().name, 'f1');
  });

  it('gives 0 where the denominator is 0 (zero_division=0) and NaN before data', () => {
    const p = new Precision();
    assert.ok(Number.isNaN(p.compute()));
    // nothing predicted positive: precision 0/0 -> 0, recall 0/2 = 0, f1 0
    const probs = k.tensor([0.1, 0.2, 0.3]);
    const truth = k.tensor([1, 1, 0]);
    assert.equal(feed(p, probs, truth), 0);
    assert.equal(feed(new Recall(), probs, truth), 0);
    assert.equal(feed(new F1Score(), probs, truth), 0);
  });

  it('streams over uneven batches exactly and exposes its confusion matrix', () => {
    const n = 31;
    const rows: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      rows.push([Math.sin(i), Math.cos(2 * i), Math.sin(5 * i + 2)]);
      ys.push((i * i) % 3);
    }
    const logits = k.tensor(rows, { dtype: 'float64' });
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      for (const make of [
        () => new Precision({ average }),
        () => new Recall({ average }),
        () => new F1Score({ average }),
      ]) {
        assertStreams(make, logits, labels(ys), [[7, 7, 7], [1, 29], [30]]);
      }
    }
    const f1 = new F1Score();
    f1.update(logits, labels(ys));
    const m = f1.matrix();
    assert.equal(
      m.flat().reduce((a, b) => a + b, 0),
      n,
    );
  });

  it('validates options', () => {
    assert.throws(
      // @ts-expect-error: an average outside the union, as a config file might hold
      () => new Precision({ average: 'samples' }),
      (e: Error) =>
        e instanceof k.ConfigError && /samples.*binary, macro, micro, weighted/.test(e.message),
    );
    assert.throws(
      () => new Recall({ numClasses: 3, positiveClass: 3 }),
      (e: Error) => e instanceof k.ValueError && /positiveClass 3.*numClasses=3/.test(e.message),
    );
    assert.throws(() => new F1Score({ numClasses: 1 }), k.ValueError);
    assert.throws(
      () => new F1Score({ positiveClass: 4 }).update(k.zeros([2, 3]), labels([0, 1])),
      k.ValueError,
    );
  });
});

describe('input checks', () => {
  it('rejects a different number of samples in output and target', () => {
    assert.throws(
      () => new Accuracy().update(k.zeros([4, 3]), labels([0, 1, 2])),
      (e: Error) => e instanceof k.ShapeError && /\[4,3\].*\[3\].*4 != 3/.test(e.message),
    );
  });

  it('rejects class indices out of range, naming the value and numClasses', () => {
    for (const m of [new Accuracy(), new F1Score(), new ConfusionMatrix()]) {
      assert.throws(
        () => m.update(k.zeros([2, 3]), labels([0, 3])),
        (e: Error) => e instanceof k.ValueError && /target 3 .*numClasses=3/.test(e.message),
      );
    }
    assert.throws(() => new Accuracy().update(k.zeros([2, 3]), labels([-1, 0])), k.ValueError);
    assert.throws(
      () => new Accuracy().update(k.zeros([2, 3]), k.tensor([0.5, 1])),
      (e: Error) => e instanceof k.ValueError && /0\.5/.test(e.message),
    );
    // binary outputs take 0/1 targets only
    assert.throws(() => new Accuracy().update(k.zeros([2]), k.tensor([0, 2])), k.ValueError);
  });

  it('rejects bad shapes and a class count that changes or disagrees', () => {
    assert.throws(() => new Accuracy().update(k.zeros([2, 3, 4]), labels([0, 1])), k.ShapeError);
    assert.throws(() => new Accuracy().update(k.zeros([2, 3]), k.zeros([2, 3])), k.ShapeError);
    assert.throws(
      () => new Accuracy({ numClasses: 4 }).update(k.zeros([2, 3]), labels([0, 1])),
      (e: Error) => e instanceof k.ShapeError && /3 classes.*numClasses = 4/.test(e.message),
    );
    const acc = new Accuracy();
    acc.update(k.zeros([2, 3]), labels([0, 1]));
    assert.throws(() => acc.update(k.zeros([2, 4]), labels([0, 1])), k.ShapeError);
  });
});
