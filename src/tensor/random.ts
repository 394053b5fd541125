import { ValueError } from './errors.js';

/**
 * kiln's random number generator: **xoshiro128\*\*** (Blackman and Vigna, 2018) on four 32-bit
 * words, seeded by running **splitmix32** over the seed. Only 32-bit integer arithmetic is used,
 * so the same seed yields the same stream on every machine, backend and Node version.
 *
 * Derived draws, all documented so they are reproducible elsewhere:
 * - `uniform()`: a double in [0, 1) from 53 bits of two consecutive outputs,
 *   `((a >>> 5) * 2^26 + (b >>> 6)) / 2^53`.
 * - `normal()`: Box-Muller on two uniforms, `sqrt(-2 ln(1 - u1)) * cos(2 pi u2)`; one normal per pair.
 * - `int(range)`: an unbiased integer in [0, range) by rejection of the top partial block.
 *
 * @example
 * ```ts
 * const g = new k.Generator(42);
 * g.uniform(); // same value on every machine
 * ```
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Resets the stream from a seed (an integer; non-integers and negatives are rejected). */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ValueError(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
    }
    // Fold the 53-bit seed into 32 bits of state for splitmix32, keeping its high part.
    let x = (seed >>> 0) ^ Math.floor(seed / 4294967296);
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    return this;
  }

  /** The next raw 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double uniformly distributed in [0, 1). */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An unbiased integer in [0, range), for 1 <= range <= 2^32. */
  int(range: number): number {
    if (!Number.isInteger(range) || range < 1 || range > 4294967296) {
      throw new ValueError(`Generator.int: range must be an integer in [1, 2^32], got ${range}`);
    }
    const limit = 4294967296 - (4294967296 % range);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % range;
    }
  }

  /** The generator's state, a JSON-safe value for checkpoints. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Restores a state returned by `getState()`. */
  setState(state: readonly number[]): this {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new ValueError(
        `Generator.setState: expected 4 unsigned 32-bit integers, got ${JSON.stringify(state)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0) as [
      number,
      number,
      number,
      number,
    ];
    return this;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator used when no `generator` option is given. */
export const defaultGenerator = new Generator(0);

/**
 * Seeds the default generator, as `torch.manual_seed`.
 *
 * @example
 * ```ts
 * k.manualSeed(0);
 * const a = k.rand([3]);
 * k.manualSeed(0);
 * const b = k.rand([3]); // equal to a
 * ```
 */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/**
 * The default generator's state, for checkpoints.
 *
 * @example
 * ```ts
 * const state = k.getRngState(); // four integers, JSON-safe
 * ```
 */
export function getRngState(): number[] {
  return defaultGenerator.getState();
}

/**
 * Restores the default generator's state from `getRngState()`.
 *
 * @example
 * ```ts
 * k.setRngState(state); // the same draws follow again
 * ```
 */
export function setRngState(state: readonly number[]): void {
  defaultGenerator.setState(state);
}
