import type { Generator } from '../../tensor/random.js';

/** A node of a regression tree: a split on `feature` at `threshold` (x <= t goes left), or a leaf. @internal */
export type TreeNode =
  | { leaf: true; value: number }
  | { leaf: false; feature: number; threshold: number; left: TreeNode; right: TreeNode };

/** Options of the random forest. @internal */
export interface ForestOptions {
  nTrees: number;
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
}

/**
 * A regression random forest (Breiman 2001) as scikit-learn's defaults for regression: bootstrap
 * samples, every feature considered at each split, splits at midpoints between distinct values
 * chosen by the largest decrease of squared error.
 * @internal
 */
export function fitForest(
  x: number[][],
  y: number[],
  rng: Generator,
  options: ForestOptions,
): TreeNode[] {
  const trees: TreeNode[] = [];
  const n = y.length;
  for (let t = 0; t < options.nTrees; t++) {
    const rows = Array.from({ length: n }, () => rng.int(n));
    trees.push(grow(x, y, rows, 0, options));
  }
  return trees;
}

function mean(y: number[], rows: number[]): number {
  let s = 0;
  for (const r of rows) s += y[r] as number;
  return s / rows.length;
}

function grow(
  x: number[][],
  y: number[],
  rows: number[],
  depth: number,
  o: ForestOptions,
): TreeNode {
  const value = mean(y, rows);
  if (depth >= o.maxDepth || rows.length < o.minSamplesSplit) return { leaf: true, value };
  const best = bestSplit(x, y, rows, o.minSamplesLeaf);
  if (best === null) return { leaf: true, value };
  const left = rows.filter((r) => (x[r]![best.feature] as number) <= best.threshold);
  const right = rows.filter((r) => (x[r]![best.feature] as number) > best.threshold);
  return {
    leaf: false,
    feature: best.feature,
    threshold: best.threshold,
    left: grow(x, y, left, depth + 1, o),
    right: grow(x, y, right, depth + 1, o),
  };
}

function bestSplit(
  x: number[][],
  y: number[],
  rows: number[],
  minLeaf: number,
): { feature: number; threshold: number } | null {
  const d = (x[rows[0] as number] as number[]).length;
  const n = rows.length;
  let total = 0;
  for (const r of rows) total += y[r] as number;
  let bestGain = 1e-12;
  let best: { feature: number; threshold: number } | null = null;
  for (let f = 0; f < d; f++) {
    const sorted = rows.slice().sort((a, b) => (x[a]![f] as number) - (x[b]![f] as number));
    let leftSum = 0;
    for (let i = 0; i < n - 1; i++) {
      leftSum += y[sorted[i] as number] as number;
      const xi = x[sorted[i] as number]![f] as number;
      const xn = x[sorted[i + 1] as number]![f] as number;
      const nl = i + 1;
      if (xi === xn || nl < minLeaf || n - nl < minLeaf) continue;
      // Decrease of squared error is sum_l^2/n_l + sum_r^2/n_r - total^2/n.
      const rightSum = total - leftSum;
      const gain =
        (leftSum * leftSum) / nl + (rightSum * rightSum) / (n - nl) - (total * total) / n;
      if (gain > bestGain) {
        bestGain = gain;
        best = { feature: f, threshold: (xi + xn) / 2 };
      }
    }
  }
  return best;
}
