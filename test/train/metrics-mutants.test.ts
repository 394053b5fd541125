// Metric behaviour that mutation testing (scripts/mutation.sh metrics) found unpinned: option and
// input validation with its wording, the average in use before data, ROC-AUC input shapes, and the
// name suggestions (optimal string alignment distance, checked against an independent
// implementation below).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import {
  Accuracy,
  ConfusionMatrix,
  closestName,
  F1Score,
  MeanSquaredError,
  metricFromName,
  Precision,
  R2Score,
  Recall,
  RocAuc,
} from '../../src/train/metrics/index.js';

const labels = (xs: number[]) => k.tensor(xs, { dtype: 'int32' });

function throwsWith(fn: () => unknown, type: new (...a: never[]) => Error, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof type && message.test((e as Error).message));
}

describe('option validation names the metric and the option', () => {
  it('topK, numClasses, positiveClass and threshold', () => {
    throwsWith(
      () => new Accuracy({ topK: 0 }),
      k.ValueError,
      /^accuracy: topK must be an integer >= 1, got 0$/,
    );
    throwsWith(
      () => new ConfusionMatrix({ numClasses: 1 }),
      k.ValueError,
      /^confusion_matrix: numClasses must be an integer >= 2, got 1$/,
    );
    throwsWith(
      () => new Recall({ positiveClass: -1 }),
      k.ValueError,
      /^recall: positiveClass must be an integer >= 0, got -1$/,
    );
    for (const threshold of [-0.1, 1.5, Number.NaN]) {
      throwsWith(
        () => new Accuracy({ threshold }),
        k.ValueError,
        new RegExp(`^accuracy: threshold must be in \\[0, 1\\], got ${threshold}$`),
      );
    }
    for (const threshold of [0, 1]) assert.equal(new Accuracy({ threshold }).compute(), Number.NaN);
  });

  it('each of precision, recall and f1 names itself', () => {
    for (const [Ctor, name] of [
      [Precision, 'precision'],
      [Recall, 'recall'],
      [F1Score, 'f1'],
    ] as const) {
      throwsWith(
        () => new Ctor({ average: 'samples' as 'macro' }),
        k.ConfigError,
        new RegExp(`^${name}: unknown average 'samples'`),
      );
      throwsWith(
        () => new Ctor({ numClasses: 3, positiveClass: 3 }),
        k.ValueError,
        new RegExp(
          `^${name}: positiveClass 3 is not a class index in \\[0, 2\\] \\(numClasses=3\\)$`,
        ),
      );
    }
  });
});

describe('input validation', () => {
  it('outputs and targets need a batch dim', () => {
    throwsWith(
      () => new Accuracy().update(k.tensor(0.5), labels([1])),
      k.ShapeError,
      /^accuracy: output and target need a batch dim, got output \[\] and target \[1\]$/,
    );
    throwsWith(
      () => new Accuracy().update(k.tensor([0.5]), k.tensor(1, { dtype: 'int32' })),
      k.ShapeError,
      /need a batch dim/,
    );
  });

  it('targets are one index per sample, in range', () => {
    throwsWith(
      () => new Accuracy().update(k.tensor([[1, 0, 0]]), labels([0]).reshape([1, 1, 1])),
      k.ShapeError,
      /^accuracy: target must hold one class index per sample, shape \[1\] or \[1,1\], got \[1,1,1\]$/,
    );
    throwsWith(
      () => new Accuracy().update(k.tensor([[1, 0, 0]]), labels([3])),
      k.ValueError,
      /^accuracy: target 3 at sample 0 is not a class index in \[0, 2\] \(numClasses=3\)$/,
    );
  });

  it('binary probabilities 0 and 1 are valid; the class count may not change between batches', () => {
    const acc = new Accuracy();
    acc.update(k.tensor([0, 1, 1, 0]), labels([0, 1, 0, 0]));
    assert.equal(acc.compute(), 0.75);
    const cm = new ConfusionMatrix();
    cm.update(k.tensor([[1, 0, 0]]), labels([0]));
    throwsWith(
      () => cm.update(k.tensor([[1, 0, 0, 0]]), labels([0])),
      k.ShapeError,
      /^confusion_matrix: output \[1,4\] has 4 classes but the classes of earlier batches = 3$/,
    );
    cm.reset();
    cm.update(k.tensor([[0, 0, 0, 1]]), labels([3]));
    assert.deepEqual(cm.matrix(), [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('an output with no classes, or more than two dims, is refused', () => {
    throwsWith(
      () => new Accuracy().update(k.zeros([2, 0]), labels([0, 0])),
      k.ShapeError,
      /^accuracy: output \[2,0\] has 0 class; need at least 2$/,
    );
    throwsWith(
      () => new Accuracy().update(k.zeros([2, 1, 1]), labels([0, 0])),
      k.ShapeError,
      /^accuracy: output must be scores \[N, C\] or binary scores \[N\] \/ \[N,1\], got \[2,1,1\]$/,
    );
  });

  it('top-k accuracy needs [N, C] scores', () => {
    throwsWith(
      () => new Accuracy({ topK: 2 }).update(k.tensor([0.2, 0.9]), labels([0, 1])),
      k.ShapeError,
      /^top2_accuracy: top-k accuracy needs scores \[N, C\], got binary output \[2\]$/,
    );
  });
});

describe('values before and around data', () => {
  it('NaN before any data; the average in use is known only once classes are', () => {
    assert.ok(Number.isNaN(new Accuracy().compute()));
    assert.ok(Number.isNaN(new ConfusionMatrix().compute()));
    assert.ok(Number.isNaN(new RocAuc().compute()));
    assert.ok(Number.isNaN(new MeanSquaredError().compute()));
    const p = new Precision();
    assert.equal(p.average, undefined);
    p.update(k.tensor([[1, 0, 0]]), labels([0]));
    assert.equal(p.average, 'macro');
    assert.equal(new Precision({ numClasses: 2 }).average, 'binary');
  });

  it('support counts the samples of each true class', () => {
    const cm = new ConfusionMatrix();
    cm.update(
      k.tensor([
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
      ]),
      labels([0, 2, 2]),
    );
    assert.deepEqual([...cm.counts().support], [1, 0, 2]);
  });

  it('R2 is defined from two samples', () => {
    const r2 = new R2Score();
    r2.update(k.tensor([1, 2]), k.tensor([1, 3]));
    // sklearn r2_score([1, 3], [1, 2]) = 1 - 1 / 2
    assert.equal(r2.compute(), 0.5);
  });

  it('regression outputs must keep their width and match the target shape', () => {
    const mse = new MeanSquaredError();
    mse.update(k.zeros([2, 2]), k.zeros([2, 2]));
    throwsWith(
      () => mse.update(k.zeros([2, 3]), k.zeros([2, 3])),
      k.ShapeError,
      /^mse: output \[2,3\] has 3 values per sample but earlier batches had 2$/,
    );
    throwsWith(
      () => new MeanSquaredError().update(k.zeros([2, 2]), k.zeros([2, 1, 2])),
      k.ShapeError,
      /differ in shape/,
    );
    throwsWith(
      () => new MeanSquaredError().update(k.zeros([2, 3]), k.zeros([2, 2])),
      k.ShapeError,
      /differ in shape/,
    );
  });

  it('ROC-AUC refuses [N, 2, k] outputs', () => {
    throwsWith(
      () => new RocAuc().update(k.zeros([2, 2, 1]), labels([0, 1])),
      k.ShapeError,
      /^roc_auc: output must be binary scores \[N\], \[N,1\] or \[N,2\], got \[2,2,1\]$/,
    );
  });
});

/** Optimal string alignment distance, written independently (recursive, memoised). */
function osa(a: string, b: string): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === 0) return j;
    if (j === 0) return i;
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let best = Math.min(
      go(i - 1, j) + 1,
      go(i, j - 1) + 1,
      go(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
    );
    if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
      best = Math.min(best, go(i - 2, j - 2) + 1);
    }
    memo.set(key, best);
    return best;
  };
  return go(a.length, b.length);
}

describe('metric name suggestions', () => {
  it('accept a candidate exactly when its OSA distance is within max(2, len / 3)', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const word = () =>
      Array.from({ length: 1 + Math.floor(rand() * 9) }, () => 'abc'[Math.floor(rand() * 3)]).join(
        '',
      );
    for (let t = 0; t < 400; t++) {
      const name = word();
      const candidate = `${word()}z`; // never a prefix of name (no z in names)
      const within = osa(name, candidate) <= Math.max(2, Math.floor(name.length / 3));
      assert.equal(
        closestName(name, [candidate]),
        within ? candidate : undefined,
        `${name} vs ${candidate}`,
      );
    }
  });

  it('a transposition is one edit; the first of equally close names wins', () => {
    assert.equal(closestName('eracll', ['recall']), 'recall'); // two swaps: distance 2
    assert.equal(closestName('confuson_matrx', ['confusion_matrix']), 'confusion_matrix');
    assert.equal(closestName('cnfuson_matrx', ['confusion_matrix']), 'confusion_matrix'); // 3 <= 13/3
    assert.equal(closestName('ab', ['ax', 'ay']), 'ax');
    assert.equal(closestName('xyzzyqwerty', ['x']), undefined);
  });

  it('top<k>_accuracy is matched whole; unknown names without a suggestion have no hint', () => {
    for (const name of ['xtop3_accuracy', 'top3_accuracyx']) {
      throwsWith(() => metricFromName(name), k.ConfigError, /^unknown metric/);
    }
    throwsWith(
      () => metricFromName('perplexity'),
      k.ConfigError,
      /^unknown metric 'perplexity' \(known: accuracy,/,
    );
  });
});

describe('ROC-AUC buffers', () => {
  it('one batch larger than twice the initial label buffer', () => {
    const n = 3000;
    const scores = k.tensor(Array.from({ length: n }, (_, i) => i / n));
    const truth = labels(Array.from({ length: n }, (_, i) => (i >= n / 2 ? 1 : 0)));
    const auc = new RocAuc();
    auc.update(scores, truth);
    assert.equal(auc.compute(), 1); // every positive scores above every negative
  });
});
