// Cross-check of every metric against numpy re-implementations of scikit-learn's definitions
// (test/fixtures/make_metric_refs.py; sklearn itself is not installed here), on a few hundred
// samples with ties, an absent class and a large-mean regression target, fed in one batch and
// in uneven batches.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  Accuracy,
  type Average,
  ConfusionMatrix,
  F1Score,
  MeanAbsoluteError,
  MeanSquaredError,
  type Metric,
  Precision,
  R2Score,
  Recall,
  RocAuc,
  RootMeanSquaredError,
} from '../../src/train/metrics/index.js';
import { assertNear, assertStreams, feed } from './metrics-helpers.js';

type Triple = [number, number, number];
interface Refs {
  multiclass: {
    logits: number[][];
    target: number[];
    accuracy: number;
    top2_accuracy: number;
    confusion_matrix: number[][];
    macro: Triple;
    micro: Triple;
    weighted: Triple;
  };
  binary: {
    logits: number[];
    target: number[];
    accuracy: number;
    binary: Triple;
    binary_pos0: Triple;
    roc_auc: number;
  };
  regression: {
    output: number[][];
    target: number[][];
    multi: Record<string, number>;
    single: Record<string, number>;
  };
}

const refs = JSON.parse(
  readFileSync(new URL('../fixtures/metric-refs.json', import.meta.url), 'utf8'),
) as Refs;
const SPLITS = [
  [1, 64, 7],
  [90, 2, 3],
  [13, 13, 13, 13, 13, 13, 13],
];
const TOL = 1e-12;

/** Checks `make()` against `expected` on one batch and on uneven batches (exactly equal). */
function check(make: () => Metric, output: k.Tensor, target: k.Tensor, expected: number) {
  const value = assertStreams(make, output, target, SPLITS);
  assertNear(value, expected, TOL, make().name);
}

describe('metrics against numpy references of sklearn', () => {
  const mc = refs.multiclass;
  const logits = k.tensor(mc.logits, { dtype: 'float64' });
  const labels = k.tensor(mc.target, { dtype: 'int32' });

  it('multiclass accuracy, top-2 accuracy and confusion matrix', () => {
    check(() => new Accuracy(), logits, labels, mc.accuracy);
    check(() => new Accuracy({ topK: 2 }), logits, labels, mc.top2_accuracy);
    const cm = new ConfusionMatrix({ numClasses: 5 });
    check(() => cm, logits, labels, mc.accuracy);
    cm.reset();
    feed(cm, logits, labels, [50, 50]);
    assert.deepEqual(cm.matrix(), mc.confusion_matrix);
  });

  for (const average of ['macro', 'micro', 'weighted'] as const satisfies readonly Average[]) {
    it(`multiclass precision, recall, F1 with average '${average}' (class 4 absent)`, () => {
      const [p, r, f] = mc[average];
      check(() => new Precision({ average }), logits, labels, p);
      check(() => new Recall({ average }), logits, labels, r);
      check(() => new F1Score({ average }), logits, labels, f);
    });
  }

  const bin = refs.binary;
  const scores = k.tensor(bin.logits, { dtype: 'float64' });
  const ys = k.tensor(bin.target, { dtype: 'float32' });

  it('binary metrics from logits, both positive classes', () => {
    const fromLogits = true;
    check(() => new Accuracy({ fromLogits }), scores, ys, bin.accuracy);
    const [p1, r1, f1] = bin.binary;
    check(() => new Precision({ fromLogits }), scores, ys, p1);
    check(() => new Recall({ fromLogits }), scores, ys, r1);
    check(() => new F1Score({ fromLogits }), scores, ys, f1);
    const [p0, r0, f0] = bin.binary_pos0;
    check(() => new Precision({ fromLogits, positiveClass: 0 }), scores, ys, p0);
    check(() => new Recall({ fromLogits, positiveClass: 0 }), scores, ys, r0);
    check(() => new F1Score({ fromLogits, positiveClass: 0 }), scores, ys, f0);
    // The same through sigmoid probabilities with the default threshold.
    check(() => new F1Score(), scores.sigmoid(), ys, f1);
  });

  it('ROC-AUC with ties equals the threshold-sweep trapezoid', () => {
    check(() => new RocAuc(), scores, ys, bin.roc_auc);
    check(() => new RocAuc(), scores.sigmoid().reshape([-1, 1]), ys, bin.roc_auc);
  });

  const reg = refs.regression;
  const out = k.tensor(reg.output, { dtype: 'float64' });
  const tgt = k.tensor(reg.target, { dtype: 'float64' });
  const makers: Record<string, () => Metric> = {
    mae: () => new MeanAbsoluteError(),
    mse: () => new MeanSquaredError(),
    rmse: () => new RootMeanSquaredError(),
    r2: () => new R2Score(),
  };

  it('regression with three outputs (one of mean 1000, spread 0.01) and with one', () => {
    for (const [name, make] of Object.entries(makers)) {
      check(make, out, tgt, reg.multi[name]!);
      check(make, out.narrow(1, 0, 1), tgt.narrow(1, 0, 1).reshape([-1]), reg.single[name]!);
    }
  });
});
