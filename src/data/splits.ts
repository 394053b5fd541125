import { noGrad } from '../autograd/grad-mode.js';
import { tensor } from '../ops/creation.js';
import { indexSelect } from '../ops/indexing.js';
import { DataError, fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type Dataset, Subset } from './dataset.js';
import { permutation } from './sampler.js';

/** Class labels: an int32 tensor, or integers. */
export type Labels = Tensor | ArrayLike<number>;

/** One fold of a cross-validation: sorted train and test indices, disjoint, covering 0..n-1. */
export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/** Options of the k-fold splitters. */
export interface KFoldOptions {
  /** Shuffle before splitting into folds (default false: consecutive blocks). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

function toLabels(labels: Labels, where: string): Int32Array {
  const raw = labels instanceof Tensor ? labels.dataSync() : labels;
  if (labels instanceof Tensor && labels.ndim !== 1) {
    throw new ShapeError(`${where}: labels must be 1-D, got ${fmtShape(labels.shape)}`);
  }
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isInteger(v) || v < 0) {
      throw new DataError(
        `${where}: label ${v} at position ${i} is not a class index (a non-negative integer)`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Indices grouped by class, each group in ascending order. */
function byClass(labels: Int32Array): Int32Array[] {
  const numClasses = labels.reduce((m, v) => Math.max(m, v + 1), 0);
  const counts = new Int32Array(numClasses);
  for (const v of labels) counts[v]!++;
  const groups = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(numClasses);
  labels.forEach((v, i) => {
    groups[v]![fill[v]!++] = i;
  });
  return groups.filter((g) => g.length > 0);
}

function shuffleInPlace(a: Int32Array, g: Generator): Int32Array {
  const p = permutation(a.length, g);
  const copy = a.slice();
  for (let i = 0; i < a.length; i++) a[i] = copy[p[i]]!;
  return a;
}

const sorted = (a: ArrayLike<number>) => Int32Array.from(a).sort();

/**
 * Splits a dataset into non-overlapping random subsets, as `torch.utils.data.random_split`:
 * `lengths` are counts summing to the dataset length, or fractions summing to 1 (floored, the
 * remainder handed out one by one from the first subset).
 *
 * @example
 * ```ts
 * const [train, val] = k.data.randomSplit(ds, [0.8, 0.2], { generator: new k.Generator(0) });
 * ```
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  options: { generator?: Generator } = {},
): Subset<T>[] {
  const n = dataset.length;
  const total = lengths.reduce((a, b) => a + b, 0);
  let counts: number[];
  if (lengths.every((l) => l >= 0 && l <= 1) && Math.abs(total - 1) < 1e-9 && total !== n) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]!++;
  } else {
    if (lengths.some((l) => !Number.isInteger(l) || l < 0) || total !== n) {
      throw new ValueError(
        `randomSplit: lengths [${lengths.join(', ')}] must be non-negative integers summing to the dataset length ${n}, or fractions summing to 1`,
      );
    }
    counts = [...lengths];
  }
  const perm = permutation(n, options.generator ?? defaultGenerator);
  let at = 0;
  return counts.map((c) => {
    at += c;
    return new Subset(dataset, perm.subarray(at - c, at));
  });
}

/** Options of `trainTestSplit`. */
export interface TrainTestSplitOptions {
  /** Test fraction in (0, 1), or a count of test samples (default 0.25). */
  testSize?: number;
  /** Keep each class's proportion in both parts (y must hold class indices). Default false. */
  stratify?: boolean;
  /** Shuffle before splitting (default true); without it the last samples are the test set. */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/** The parts `trainTestSplit` returns, with the indices that built them. */
export interface TrainTestSplit {
  xTrain: Tensor;
  xTest: Tensor;
  yTrain: Tensor;
  yTest: Tensor;
  trainIndices: Int32Array;
  testIndices: Int32Array;
}

/**
 * Splits features and labels into train and test parts, as scikit-learn's `train_test_split`
 * (test count = ceil(n * testSize)). With `stratify`, each class contributes to the test set in
 * proportion to its size (largest remainders settle the rounding).
 *
 * @example
 * ```ts
 * const { xTrain, xTest, yTrain, yTest } = k.data.trainTestSplit(x, y, { testSize: 0.2, stratify: true, seed: 0 });
 * ```
 */
export function trainTestSplit(
  x: Tensor,
  y: Tensor,
  options: TrainTestSplitOptions = {},
): TrainTestSplit {
  const { testSize = 0.25, stratify = false, shuffle = true, seed = 0 } = options;
  const n = x.shape[0] ?? 0;
  if (x.ndim === 0 || y.ndim === 0 || y.shape[0] !== n) {
    throw new ShapeError(
      `trainTestSplit: x and y must share their first dim, got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`,
    );
  }
  const nTest = testSize > 0 && testSize < 1 ? Math.ceil(n * testSize) : testSize;
  if (!Number.isInteger(nTest) || nTest < 1 || nTest >= n) {
    throw new ValueError(
      `trainTestSplit: testSize ${testSize} must be a fraction in (0, 1) or a count in [1, ${n - 1}] for ${n} samples`,
    );
  }
  const g = new Generator(seed);
  let train: Int32Array;
  let test: Int32Array;
  if (stratify) {
    if (!shuffle) throw new ValueError('trainTestSplit: stratify needs shuffle');
    const groups = byClass(toLabels(y, 'trainTestSplit'));
    const exact = groups.map((grp) => (grp.length * nTest) / n);
    const take = exact.map(Math.floor);
    const order = exact
      .map((e, c) => ({ c, r: e - Math.floor(e) }))
      .sort((a, b) => b.r - a.r || a.c - b.c);
    for (let i = 0, rest = nTest - take.reduce((a, b) => a + b, 0); rest > 0; i++, rest--)
      take[order[i]!.c]!++;
    const testParts: number[] = [];
    const trainParts: number[] = [];
    groups.forEach((grp, c) => {
      shuffleInPlace(grp, g);
      testParts.push(...grp.subarray(0, take[c]));
      trainParts.push(...grp.subarray(take[c]));
    });
    // Mixed so that neither part is ordered by class.
    train = shuffleInPlace(Int32Array.from(trainParts), g);
    test = shuffleInPlace(Int32Array.from(testParts), g);
  } else {
    const order = shuffle ? permutation(n, g) : Int32Array.from({ length: n }, (_, i) => i);
    train = order.slice(0, n - nTest);
    test = order.slice(n - nTest);
  }
  const pick = (t: Tensor, idx: Int32Array) => noGrad(() => indexSelect(t, 0, tensor(idx)));
  return {
    xTrain: pick(x, train),
    xTest: pick(x, test),
    yTrain: pick(y, train),
    yTest: pick(y, test),
    trainIndices: train,
    testIndices: test,
  };
}

function checkFolds(n: number, k: number, where: string): void {
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new ValueError(`${where}: k must be an integer in [2, ${n}] for ${n} samples, got ${k}`);
  }
}

/** Turns a fold assignment (fold of each sample) into sorted train/test index sets. */
function foldsFrom(assign: Int32Array, k: number): Fold[] {
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    const train: number[] = [];
    assign.forEach((a, i) => {
      (a === f ? test : train).push(i);
    });
    return { train: sorted(train), test: sorted(test) };
  });
}

/**
 * K-fold cross-validation indices, as scikit-learn's `KFold`: k consecutive (or shuffled) blocks,
 * the first n % k of them one larger; each index is in exactly one test set.
 *
 * @example
 * ```ts
 * for (const { train, test } of k.data.kFold(150, 5, { shuffle: true, seed: 0 })) {
 *   const trainDs = new k.data.Subset(ds, train);
 * }
 * ```
 */
export function kFold(n: number, k: number, options: KFoldOptions = {}): Fold[] {
  checkFolds(n, k, 'kFold');
  const order = options.shuffle
    ? permutation(n, new Generator(options.seed ?? 0))
    : Int32Array.from({ length: n }, (_, i) => i);
  const assign = new Int32Array(n);
  let at = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    for (let j = 0; j < size; j++) assign[order[at++]!] = f;
  }
  return foldsFrom(assign, k);
}

/**
 * K-fold indices that keep class proportions: each class is dealt round-robin over the folds
 * (after an optional shuffle within the class), so per-class counts differ by at most one
 * between folds and fold sizes by at most one.
 *
 * @example
 * ```ts
 * const folds = k.data.stratifiedKFold(labels, 5, { shuffle: true, seed: 0 });
 * ```
 */
export function stratifiedKFold(labels: Labels, k: number, options: KFoldOptions = {}): Fold[] {
  const y = toLabels(labels, 'stratifiedKFold');
  checkFolds(y.length, k, 'stratifiedKFold');
  const g = new Generator(options.seed ?? 0);
  const assign = new Int32Array(y.length);
  let pos = 0;
  for (const grp of byClass(y)) {
    if (options.shuffle) shuffleInPlace(grp, g);
    for (const i of grp) assign[i] = pos++ % k;
  }
  return foldsFrom(assign, k);
}

/**
 * Balanced class weights, as scikit-learn's `compute_class_weight('balanced')`:
 * n / (numClasses * count_c), float32 [numClasses]; pass them to a weighted loss or turn them into
 * per-sample weights for `WeightedRandomSampler`. A class with no samples gets weight 0.
 *
 * @example
 * ```ts
 * k.data.classWeights(k.tensor([0, 0, 0, 1], { dtype: 'int32' })); // [0.6667, 2]
 * ```
 */
export function classWeights(labels: Labels, options: { numClasses?: number } = {}): Tensor {
  const y = toLabels(labels, 'classWeights');
  const numClasses = options.numClasses ?? y.reduce((m, v) => Math.max(m, v + 1), 0);
  const counts = new Float64Array(numClasses);
  y.forEach((v, i) => {
    if (v >= numClasses) {
      throw new DataError(
        `classWeights: label ${v} at position ${i} is out of range for ${numClasses} classes`,
      );
    }
    counts[v]!++;
  });
  return tensor(Float32Array.from(counts, (c) => (c > 0 ? y.length / (numClasses * c) : 0)));
}
