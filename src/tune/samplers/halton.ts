import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import { type Distribution, type ParamValue, toExternal } from '../distributions.js';

/** Digits kept per coordinate: enough that base^-digits is below double precision at base 2. */
const MAX_DIGITS = 53;

/** The first `n` primes (the Halton bases of dimensions 0..n-1). */
function primes(n: number): number[] {
  const out: number[] = [];
  for (let c = 2; out.length < n; c++) {
    if (out.every((p) => p * p > c || c % p !== 0)) out.push(c);
  }
  return out;
}

/**
 * A scrambled Halton sequence (Halton 1960; digit scrambling as in Owen's random
 * permutations, one permutation per dimension and digit position): point i's coordinate in
 * dimension d writes i in base `prime(d)` and maps each digit through that dimension's
 * permutation for its position. Points fill the unit cube far more evenly than independent
 * uniform draws (low discrepancy), and the scrambling, drawn from a seed, removes the plain
 * sequence's correlation between high dimensions. Dimensions are created on first use, so a
 * define-by-run search space of any size works.
 *
 * @example
 * ```ts
 * const h = new ScrambledHalton(0);
 * h.point(3, 2); // coordinate 2 of point 3, in [0, 1)
 * ```
 * @internal
 */
export class ScrambledHalton {
  private readonly rng: Generator;
  private bases: number[] = [];
  /** perms[d][k]: the permutation of digit position k in dimension d. */
  private readonly perms: Uint16Array[][] = [];

  constructor(seed: number) {
    this.rng = new Generator(seed);
  }

  /** Coordinate `dim` of point `index`, in [0, 1). */
  point(index: number, dim: number): number {
    if (!Number.isSafeInteger(index) || index < 0 || !Number.isInteger(dim) || dim < 0) {
      throw new ValueError(
        `ScrambledHalton: index and dim must be non-negative integers, got ${index}, ${dim}`,
      );
    }
    while (this.perms.length <= dim) this.addDimension();
    const base = this.bases[dim] as number;
    const perms = this.perms[dim] as Uint16Array[];
    let value = 0;
    let scale = 1 / base;
    let rest = index;
    // Every digit position is permuted, the zeros past i's leading digit too: that is what
    // spreads the first points instead of piling them near 0.
    for (let k = 0; k < perms.length && scale > 0; k++) {
      const digit = rest % base;
      rest = Math.floor(rest / base);
      value += ((perms[k] as Uint16Array)[digit] as number) * scale;
      scale /= base;
    }
    return Math.min(value, 1 - Number.EPSILON);
  }

  private addDimension(): void {
    const dim = this.perms.length;
    if (this.bases.length <= dim) this.bases = primes(Math.max(8, 2 * (dim + 1)));
    const base = this.bases[dim] as number;
    // Positions whose weight base^-k still changes a double in [0, 1).
    const digits = Math.min(MAX_DIGITS, Math.ceil(MAX_DIGITS / Math.log2(base)));
    const perms: Uint16Array[] = [];
    for (let k = 0; k < digits; k++) {
      const p = Uint16Array.from({ length: base }, (_, i) => i);
      for (let i = base - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        const t = p[i] as number;
        p[i] = p[j] as number;
        p[j] = t;
      }
      perms.push(p);
    }
    this.perms.push(perms);
  }
}

/**
 * Maps u in [0, 1) onto a distribution, as the uniform sampler draws it: floats linearly or in
 * log space, grids and integers by equal cells (log integers over [low - 0.5, high + 0.5] in log
 * space, then rounded, as Optuna), categoricals by equal cells.
 * @internal
 */
export function fromUnit(d: Distribution, u: number): ParamValue {
  if (d.type === 'categorical') {
    return toExternal(d, Math.min(d.choices.length - 1, Math.floor(u * d.choices.length)));
  }
  if (d.type === 'int' && d.log) {
    const lo = Math.log(d.low - 0.5);
    const hi = Math.log(d.high + 0.5);
    const v = Math.round(Math.exp(lo + u * (hi - lo)));
    return Math.min(d.high, Math.max(d.low, v));
  }
  if (d.type === 'int' || d.step !== null) {
    const step = d.step as number;
    const n = Math.round((d.high - d.low) / step) + 1;
    return toExternal(d, d.low + Math.min(n - 1, Math.floor(u * n)) * step);
  }
  if (d.log) {
    const lo = Math.log(d.low);
    const hi = Math.log(d.high);
    return Math.min(d.high, Math.max(d.low, Math.exp(lo + u * (hi - lo))));
  }
  return Math.min(d.high, d.low + u * (d.high - d.low));
}
