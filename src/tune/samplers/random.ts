import { ValueError } from '../../tensor/errors.js';
import { Generator } from '../../tensor/random.js';
import { type Distribution, type ParamValue, toExternal } from '../distributions.js';
import type { Sampler, SearchSpace } from '../view.js';

/** Options of RandomSampler. @example `new k.tune.RandomSampler({ seed: 1 })` */
export interface RandomSamplerOptions {
  /** Seed of kiln's documented generator (xoshiro128**); default: drawn from the clock. */
  seed?: number;
}

/** A seed from the clock and the process id, for samplers created without one. @internal */
export function clockSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/**
 * Seeds for `count` independent streams of one sampler, drawn from a generator seeded with
 * `seed`. A sampler that seeded its start-up design, its candidate draws and its fallback
 * sampler all with `seed` would feed the same numbers to each: the draws that placed the
 * start-up points would then also pick the first candidates.
 * @internal
 */
export function spawnSeeds(seed: number, count: number): number[] {
  const root = new Generator(seed);
  return Array.from({ length: count }, () => root.nextUint32());
}

/** Rejects option names a constructor does not know. @internal */
export function checkKnown(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ValueError(`${where}: unknown option '${key}' (expected ${known.join(', ')})`);
    }
  }
}

/**
 * Draws one value uniformly from a distribution: linear or log-uniform floats, a uniform grid
 * point for stepped ranges, a uniform integer, a uniform choice.
 * @internal
 */
export function drawUniform(rng: Generator, d: Distribution): ParamValue {
  if (d.type === 'categorical') return toExternal(d, rng.int(d.choices.length));
  if (d.type === 'int' && d.log) {
    // As Optuna: log-uniform over [low - 0.5, high + 0.5], rounded.
    const lo = Math.log(d.low - 0.5);
    const hi = Math.log(d.high + 0.5);
    const v = Math.round(Math.exp(lo + rng.uniform() * (hi - lo)));
    return Math.min(d.high, Math.max(d.low, v));
  }
  if (d.type === 'int' || d.step !== null) {
    const step = d.step as number;
    const n = Math.round((d.high - d.low) / step) + 1;
    return toExternal(d, d.low + rng.int(n) * step);
  }
  if (d.log) {
    const lo = Math.log(d.low);
    const hi = Math.log(d.high);
    return Math.min(d.high, Math.max(d.low, Math.exp(lo + rng.uniform() * (hi - lo))));
  }
  return d.low + rng.uniform() * (d.high - d.low);
}

/**
 * Samples every parameter independently and uniformly (Optuna's RandomSampler).
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ sampler: new k.tune.RandomSampler({ seed: 0 }) });
 * ```
 */
export class RandomSampler implements Sampler {
  private readonly rng: Generator;

  constructor(options: RandomSamplerOptions = {}) {
    checkKnown('RandomSampler', options, ['seed']);
    this.rng = new Generator(options.seed ?? clockSeed());
  }

  inferRelativeSearchSpace(): SearchSpace {
    return {};
  }

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  sampleIndependent(_s: unknown, _t: unknown, _name: string, d: Distribution): ParamValue {
    return drawUniform(this.rng, d);
  }
}
