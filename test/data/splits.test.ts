// Splits: randomSplit, trainTestSplit (plain and stratified), kFold, stratifiedKFold, classWeights.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** 60 samples: class 0 x30, class 1 x20, class 2 x10; feature = index. */
function imbalanced() {
  const y = k.tensor(Int32Array.from(range(60), (i) => (i < 30 ? 0 : i < 50 ? 1 : 2)));
  const x = k.arange(60).reshape([60, 1]);
  return { x, y };
}

function countClasses(labels: ArrayLike<number>, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]!++;
  return c;
}

describe('randomSplit', () => {
  const ds: k.data.Dataset<number> = { length: 10, get: (i) => i };

  it('splits by counts into disjoint subsets covering the dataset', () => {
    const parts = k.data.randomSplit(ds, [7, 3], { generator: new k.Generator(0) });
    assert.deepEqual(
      parts.map((p) => p.length),
      [7, 3],
    );
    const all = parts.flatMap((p) => range(p.length).map((i) => p.get(i) as number));
    assert.deepEqual(
      all.sort((a, b) => a - b),
      range(10),
    );
  });

  it('splits by fractions, handing the remainder to the first subsets, reproducibly', () => {
    const a = k.data.randomSplit(ds, [0.45, 0.45, 0.1], { generator: new k.Generator(1) });
    assert.deepEqual(
      a.map((p) => p.length),
      [5, 4, 1],
    );
    const b = k.data.randomSplit(ds, [0.45, 0.45, 0.1], { generator: new k.Generator(1) });
    assert.deepEqual([...a[0]!.indices], [...b[0]!.indices]);
    assert.throws(() => k.data.randomSplit(ds, [5, 4]), k.ValueError);
  });
});

describe('trainTestSplit', () => {
  it('gives ceil(n * testSize) test samples, disjoint from train, rows kept aligned', () => {
    const { x, y } = imbalanced();
    const s = k.data.trainTestSplit(x, y, { testSize: 0.25, seed: 3 });
    assert.deepEqual(s.xTest.shape, [15, 1]);
    assert.deepEqual(s.yTrain.shape, [45]);
    const train = new Set(s.trainIndices);
    assert.ok([...s.testIndices].every((i) => !train.has(i)));
    assert.equal(train.size + s.testIndices.length, 60);
    // Feature i belongs to sample i, so x must follow the same indices as y.
    assert.deepEqual([...s.xTest.dataSync()], [...s.testIndices]);
    const again = k.data.trainTestSplit(x, y, { testSize: 0.25, seed: 3 });
    assert.deepEqual([...again.testIndices], [...s.testIndices]);
    const unshuffled = k.data.trainTestSplit(x, y, { testSize: 5, shuffle: false });
    assert.deepEqual([...unshuffled.testIndices], [55, 56, 57, 58, 59]);
  });

  it('stratify keeps class proportions in both parts', () => {
    const { x, y } = imbalanced();
    const s = k.data.trainTestSplit(x, y, { testSize: 0.3, stratify: true, seed: 0 });
    assert.deepEqual(countClasses(s.yTest.dataSync(), 3), [9, 6, 3]);
    assert.deepEqual(countClasses(s.yTrain.dataSync(), 3), [21, 14, 7]);
    // Largest remainders settle the rounding: 0.25 of (30, 20, 10) = 7.5, 5, 2.5 -> 15 in all.
    const q = k.data.trainTestSplit(x, y, { testSize: 0.25, stratify: true, seed: 0 });
    const counts = countClasses(q.yTest.dataSync(), 3);
    assert.equal(counts[0]! + counts[1]! + counts[2]!, 15);
    assert.equal(counts[1], 5);
    assert.ok(counts[0]! >= 7 && counts[0]! <= 8 && counts[2]! >= 2 && counts[2]! <= 3);
  });

  it('rejects mismatched lengths and impossible sizes', () => {
    const { x, y } = imbalanced();
    assert.throws(() => k.data.trainTestSplit(x, y.narrow(0, 0, 10)), k.ShapeError);
    assert.throws(() => k.data.trainTestSplit(x, y, { testSize: 60 }), k.ValueError);
    assert.throws(
      () =>
        k.data.trainTestSplit(x, k.tensor(Float32Array.from(range(60), (i) => i / 2)), {
          stratify: true,
        }),
      k.DataError,
    );
  });
});

describe('k-fold', () => {
  function checkCover(folds: k.data.Fold[], n: number): void {
    const seen = new Array<number>(n).fill(0);
    for (const { train, test } of folds) {
      assert.equal(train.length + test.length, n);
      const t = new Set(test);
      assert.ok(
        [...train].every((i) => !t.has(i)),
        'train and test overlap',
      );
      for (const i of test) seen[i]!++;
    }
    assert.deepEqual(seen, new Array<number>(n).fill(1));
  }

  it('kFold: every index in exactly one test fold; the first n % k folds are larger', () => {
    const folds = k.data.kFold(10, 3);
    assert.deepEqual(
      folds.map((f) => [...f.test]),
      [
        [0, 1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    );
    checkCover(folds, 10);
    const shuffled = k.data.kFold(23, 4, { shuffle: true, seed: 2 });
    checkCover(shuffled, 23);
    assert.deepEqual(
      shuffled.map((f) => f.test.length),
      [6, 6, 6, 5],
    );
    assert.notDeepEqual([...shuffled[0]!.test], range(6));
    assert.throws(() => k.data.kFold(3, 4), k.ValueError);
  });

  it('stratifiedKFold keeps class counts balanced across folds', () => {
    const { y } = imbalanced();
    const folds = k.data.stratifiedKFold(y, 5, { shuffle: true, seed: 1 });
    checkCover(folds, 60);
    const labels = y.dataSync();
    for (const { test } of folds) {
      assert.deepEqual(
        countClasses(
          Array.from(test, (i) => labels[i]!),
          3,
        ),
        [6, 4, 2],
      );
    }
    const uneven = k.data.stratifiedKFold([0, 0, 0, 1, 1, 1, 1], 3);
    checkCover(uneven, 7);
    for (const { test } of uneven) assert.ok(test.length >= 2 && test.length <= 3);
  });
});

describe('classWeights', () => {
  it('matches the hand-computed balanced weights n / (C * count)', () => {
    // n = 6, C = 3, counts (3, 2, 1): 6/9, 6/6, 6/3.
    const w = k.data.classWeights(k.tensor([0, 0, 0, 1, 1, 2], { dtype: 'int32' }));
    assert.deepEqual(
      [...w.dataSync()].map((v) => Math.round(v * 1e4) / 1e4),
      [0.6667, 1, 2],
    );
    // With numClasses = 4, class 3 is absent (weight 0) and C = 4: 6/12, 6/8, 6/4.
    const w4 = k.data.classWeights([0, 0, 0, 1, 1, 2], { numClasses: 4 });
    assert.deepEqual([...w4.dataSync()], [0.5, 0.75, 1.5, 0]);
    assert.throws(() => k.data.classWeights([0, 5], { numClasses: 3 }), k.DataError);
    assert.throws(() => k.data.classWeights([0, -1]), k.DataError);
  });
});
