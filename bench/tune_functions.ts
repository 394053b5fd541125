// Test functions for the tuner benchmark, defined identically in bench/tune_optuna.py.
import type * as k from '../src/index.js';

type Trial = k.tune.Trial;

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];
const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];

/** Branin on [-5, 10] x [0, 15]; minimum 0.397887. */
export function branin(t: Trial): number {
  const x = t.suggestFloat('x', -5, 10);
  const y = t.suggestFloat('y', 0, 15);
  const b = 5.1 / (4 * Math.PI ** 2);
  return (
    (y - b * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10
  );
}

/** Hartmann-6 on [0, 1]^6; minimum -3.32237. */
export function hartmann6(t: Trial): number {
  const x = Array.from({ length: 6 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1));
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H6_A[i][j]! * (x[j]! - H6_P[i][j]!) ** 2;
    sum += H6_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

/** Rosenbrock in 10 dimensions on [-5, 10]^10; minimum 0. */
export function rosenbrock10(t: Trial): number {
  const x = Array.from({ length: 10 }, (_, i) => t.suggestFloat(`x${i}`, -5, 10));
  let s = 0;
  for (let i = 0; i < 9; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

/** A mixed categorical / conditional space (a model choice and its own parameters); minimum 0. */
export function mixed(t: Trial): number {
  const model = t.suggestCategorical('model', ['linear', 'tree', 'knn']);
  if (model === 'linear') {
    const alpha = t.suggestFloat('alpha', 1e-4, 1, { log: true });
    const l1 = t.suggestCategorical('l1', [true, false]);
    return (Math.log10(alpha) + 2) ** 2 / 4 + (l1 ? 0 : 0.5);
  }
  if (model === 'tree') {
    const depth = t.suggestInt('depth', 1, 20);
    const minLeaf = t.suggestInt('minLeaf', 1, 64, { log: true });
    return 0.3 + (depth - 8) ** 2 / 50 + (Math.log2(minLeaf) - 3) ** 2 / 20;
  }
  const kNeighbors = t.suggestInt('k', 1, 50);
  const weights = t.suggestCategorical('weights', ['uniform', 'distance']);
  return 0.6 + Math.abs(kNeighbors - 12) / 20 + (weights === 'distance' ? 0 : 0.2);
}

/** The benchmark's functions by name. */
export const FUNCTIONS: Record<string, (t: Trial) => number> = {
  branin,
  hartmann6,
  rosenbrock10,
  mixed,
};
