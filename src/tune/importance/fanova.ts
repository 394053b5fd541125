import type { TreeNode } from './forest.js';

interface Leaf {
  lo: number[];
  hi: number[];
  value: number;
}

function leaves(node: TreeNode, lo: number[], hi: number[], out: Leaf[]): void {
  if (node.leaf) {
    out.push({ lo: lo.slice(), hi: hi.slice(), value: node.value });
    return;
  }
  const f = node.feature;
  const t = Math.min(hi[f] as number, Math.max(lo[f] as number, node.threshold));
  const savedHi = hi[f] as number;
  hi[f] = t;
  leaves(node.left, lo, hi, out);
  hi[f] = savedHi;
  const savedLo = lo[f] as number;
  lo[f] = t;
  leaves(node.right, lo, hi, out);
  lo[f] = savedLo;
}

/**
 * fANOVA (Hutter et al. 2014) for one tree: the share of the tree's variance over the uniform
 * distribution on the box [lower, upper] explained by each feature alone. A feature's marginal is
 * constant between the tree's split points on it, so it is computed cell by cell from the leaves'
 * volumes. Returns null for a constant tree.
 * @internal
 */
export function treeMainEffects(tree: TreeNode, lower: number[], upper: number[]): number[] | null {
  const d = lower.length;
  const ls: Leaf[] = [];
  leaves(tree, lower.slice(), upper.slice(), ls);
  const width = lower.map((l, j) => (upper[j] as number) - l);
  const frac = ls.map((leaf) =>
    leaf.lo.map((l, j) => ((leaf.hi[j] as number) - l) / (width[j] as number)),
  );
  const vol = frac.map((f) => f.reduce((p, v) => p * v, 1));
  let m = 0;
  ls.forEach((leaf, i) => {
    m += (vol[i] as number) * leaf.value;
  });
  let total = 0;
  ls.forEach((leaf, i) => {
    total += (vol[i] as number) * (leaf.value - m) ** 2;
  });
  if (!(total > 1e-300)) return null;
  const effects: number[] = [];
  for (let j = 0; j < d; j++) {
    const cuts = new Set<number>([lower[j] as number, upper[j] as number]);
    for (const leaf of ls) {
      cuts.add(leaf.lo[j] as number);
      cuts.add(leaf.hi[j] as number);
    }
    const points = [...cuts].sort((a, b) => a - b);
    let v = 0;
    for (let c = 0; c < points.length - 1; c++) {
      const a = points[c] as number;
      const b = points[c + 1] as number;
      if (b <= a) continue;
      const mid = (a + b) / 2;
      // Marginal on this cell: leaves covering it, weighted by their volume in the other features.
      let marginal = 0;
      ls.forEach((leaf, i) => {
        if ((leaf.lo[j] as number) <= mid && mid <= (leaf.hi[j] as number)) {
          const fj = frac[i]![j] as number;
          marginal += leaf.value * (fj > 0 ? (vol[i] as number) / fj : 0);
        }
      });
      v += ((b - a) / (width[j] as number)) * (marginal - m) ** 2;
    }
    effects.push(v / total);
  }
  return effects;
}
