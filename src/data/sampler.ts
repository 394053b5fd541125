import { DataError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Yields the dataset indices of one epoch, as `torch.utils.data.Sampler`. Each iteration is a new
 * epoch: random samplers draw fresh indices from their generator every time.
 *
 * @example
 * ```ts
 * const s: k.data.Sampler = { length: 3, *[Symbol.iterator]() { yield* [2, 1, 0]; } };
 * ```
 */
export interface Sampler extends Iterable<number> {
  /** Number of indices one epoch yields. */
  readonly length: number;
}

function checkCount(n: number, what: string, where: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new ValueError(`${where}: ${what} must be a non-negative integer, got ${n}`);
  }
}

/**
 * A Fisher-Yates permutation of 0..n-1 drawn from `generator` (the same algorithm as `randperm`,
 * so the same seed gives the same order).
 */
export function permutation(n: number, generator: Generator): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/**
 * 0, 1, ..., n-1 in order.
 *
 * @example
 * ```ts
 * [...new k.data.SequentialSampler(3)]; // [0, 1, 2]
 * ```
 */
export class SequentialSampler implements Sampler {
  constructor(readonly length: number) {
    checkCount(length, 'length', 'SequentialSampler');
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield i;
  }
}

/** Options of `RandomSampler`. */
export interface RandomSamplerOptions {
  /** Draw with replacement (then `numSamples` may exceed n). Default false. */
  replacement?: boolean;
  /** Indices per epoch; n by default. */
  numSamples?: number;
  /** Source of randomness; the default generator (seeded by `k.manualSeed`) otherwise. */
  generator?: Generator;
}

/**
 * Random order of 0..n-1 (a new permutation each epoch), or draws with replacement.
 * Without replacement and `numSamples > n`, permutations are concatenated as PyTorch does.
 *
 * @example
 * ```ts
 * const s = new k.data.RandomSampler(100, { generator: new k.Generator(0) });
 * const epoch1 = [...s];
 * const epoch2 = [...s]; // another permutation
 * ```
 */
export class RandomSampler implements Sampler {
  readonly length: number;
  readonly replacement: boolean;
  readonly generator: Generator;

  constructor(
    readonly n: number,
    options: RandomSamplerOptions = {},
  ) {
    checkCount(n, 'the dataset length', 'RandomSampler');
    this.replacement = options.replacement ?? false;
    this.length = options.numSamples ?? n;
    checkCount(this.length, 'numSamples', 'RandomSampler');
    if (this.length > 0 && n === 0) {
      throw new ValueError('RandomSampler: cannot draw samples from an empty dataset');
    }
    this.generator = options.generator ?? defaultGenerator;
  }

  *[Symbol.iterator](): Iterator<number> {
    if (this.replacement) {
      // Drawn upfront so that an epoch's indices do not depend on how fast it is consumed.
      const draws = new Int32Array(this.length);
      for (let i = 0; i < this.length; i++) draws[i] = this.generator.int(this.n);
      yield* draws;
      return;
    }
    let left = this.length;
    const perms: Int32Array[] = [];
    while (left > 0) {
      const p = permutation(this.n, this.generator);
      perms.push(left < this.n ? p.subarray(0, left) : p);
      left -= p.length;
    }
    for (const p of perms) yield* p;
  }
}

/** Options of `WeightedRandomSampler`. */
export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true, as PyTorch). */
  replacement?: boolean;
  /** Source of randomness; the default generator otherwise. */
  generator?: Generator;
}

/**
 * Draws index i with probability weights[i] / sum(weights), as
 * `torch.utils.data.WeightedRandomSampler`. For class imbalance, give each sample the weight of
 * its class (e.g. `classWeights(labels)[label]`) so that classes are drawn about equally often.
 *
 * @example
 * ```ts
 * const w = k.data.classWeights(labels).dataSync();
 * const perSample = Array.from(labels.dataSync(), (c) => w[c]!);
 * const sampler = new k.data.WeightedRandomSampler(perSample, labels.shape[0]!);
 * ```
 */
export class WeightedRandomSampler implements Sampler {
  readonly weights: Float64Array;
  readonly replacement: boolean;
  readonly generator: Generator;
  private readonly cumulative: Float64Array;

  constructor(
    weights: ArrayLike<number> | Tensor,
    readonly length: number,
    options: WeightedRandomSamplerOptions = {},
  ) {
    const w = 'dataSync' in weights ? weights.dataSync() : weights;
    this.weights = Float64Array.from(w as ArrayLike<number>);
    checkCount(length, 'numSamples', 'WeightedRandomSampler');
    let total = 0;
    this.cumulative = new Float64Array(this.weights.length);
    let positive = 0;
    this.weights.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0) {
        throw new DataError(
          `WeightedRandomSampler: weight ${i} is ${v}; weights must be finite and non-negative`,
        );
      }
      if (v > 0) positive++;
      total += v;
      this.cumulative[i] = total;
    });
    if (length > 0 && total === 0) {
      throw new DataError('WeightedRandomSampler: the weights sum to 0; nothing can be drawn');
    }
    this.replacement = options.replacement ?? true;
    if (!this.replacement && length > positive) {
      throw new ValueError(
        `WeightedRandomSampler: cannot draw ${length} samples without replacement from ${positive} non-zero weights`,
      );
    }
    this.generator = options.generator ?? defaultGenerator;
  }

  *[Symbol.iterator](): Iterator<number> {
    const out = new Int32Array(this.length);
    if (this.replacement) {
      const total = this.cumulative[this.cumulative.length - 1]!;
      for (let k = 0; k < this.length; k++) out[k] = this.search(this.generator.uniform() * total);
    } else {
      // Efraimidis-Spirakis: the `length` largest keys u^(1/w) are a weighted draw without
      // replacement, in O(n log n) and with one uniform per weight.
      const keys: { i: number; key: number }[] = [];
      this.weights.forEach((w, i) => {
        if (w > 0) keys.push({ i, key: Math.log(1 - this.generator.uniform()) / w });
      });
      keys.sort((a, b) => b.key - a.key);
      for (let k = 0; k < this.length; k++) out[k] = keys[k]!.i;
    }
    yield* out;
  }

  /** The first index whose cumulative weight exceeds `x` (zero weights are never chosen). */
  private search(x: number): number {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
