import { ValueError } from '../tensor/errors.js';
import { torchRandperm } from './mt19937.js';
import type { Sampler } from './sampler.js';

/** Options of `DistributedSampler`, PyTorch's keywords in camelCase. */
export interface DistributedSamplerOptions {
  /** Number of processes sharing the data (default: env WORLD_SIZE, as the launcher sets it, else 1). */
  numReplicas?: number;
  /** This process's shard (default: env RANK, else 0). */
  rank?: number;
  /** Draw a new order every epoch (default true); call `setEpoch` before each epoch. */
  shuffle?: boolean;
  /** Seed of the shuffle, the same on every rank (default 0). */
  seed?: number;
  /** Drop the tail that does not divide evenly, instead of padding with repeated indices (default false). */
  dropLast?: boolean;
}

/**
 * Gives each of `numReplicas` processes its own shard of a dataset, as
 * `torch.utils.data.DistributedSampler`: the epoch's order (a permutation seeded by
 * `seed + epoch`, drawn exactly as PyTorch's CPU `randperm`, so the same seed gives the same
 * shards as PyTorch) is padded by repeating its start to a multiple of `numReplicas` (or cut
 * with `dropLast`), and rank r takes every numReplicas-th index from position r. Every shard
 * has the same length, so every rank runs the same number of steps.
 *
 * @example
 * ```ts
 * const sampler = new k.data.DistributedSampler(dataset, { numReplicas: 2, rank: 0, seed: 1 });
 * const loader = new k.data.DataLoader(dataset, { batchSize: 32, sampler });
 * for (let epoch = 0; epoch < 3; epoch++) { sampler.setEpoch(epoch); for await (const b of loader) {} }
 * ```
 */
export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank and epoch. */
  readonly length: number;
  /** `length * numReplicas`: the epoch's indices after padding or dropping. */
  readonly totalSize: number;
  private epoch = 0;
  private readonly datasetLength: number;

  constructor(dataset: { readonly length: number }, options: DistributedSamplerOptions = {}) {
    const numReplicas = options.numReplicas ?? defaultGroup().worldSize;
    const rank = options.rank ?? defaultGroup().rank;
    if (!Number.isInteger(numReplicas) || numReplicas < 1) {
      throw new ValueError(
        `DistributedSampler: numReplicas must be a positive integer, got ${numReplicas}`,
      );
    }
    if (!Number.isInteger(rank) || rank < 0 || rank >= numReplicas) {
      throw new ValueError(`DistributedSampler: rank ${rank} is outside 0..${numReplicas - 1}`);
    }
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) {
      throw new ValueError(`DistributedSampler: seed must be a non-negative integer, got ${seed}`);
    }
    this.numReplicas = numReplicas;
    this.rank = rank;
    this.shuffle = options.shuffle ?? true;
    this.seed = seed;
    this.dropLast = options.dropLast ?? false;
    this.datasetLength = dataset.length;
    const n = dataset.length;
    this.length =
      this.dropLast && n % numReplicas !== 0
        ? Math.ceil((n - numReplicas) / numReplicas)
        : Math.ceil(n / numReplicas);
    this.totalSize = this.length * numReplicas;
  }

  /** Sets the epoch, which seeds the next shuffle (`seed + epoch`); call it before each epoch. */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new ValueError(
        `DistributedSampler.setEpoch: epoch must be a non-negative integer, got ${epoch}`,
      );
    }
    this.epoch = epoch;
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = this.datasetLength;
    const order = this.shuffle
      ? torchRandperm(n, this.seed + this.epoch)
      : Int32Array.from({ length: n }, (_, i) => i);
    for (let k = this.rank; k < this.totalSize; k += this.numReplicas) {
      // Padding repeats the order from its start (several times over when n < numReplicas).
      yield order[k % n]!;
    }
  }
}

/** Rank and world size as torchrun and `kiln train --nproc-per-node` export them. */
function defaultGroup(): { rank: number; worldSize: number } {
  return { rank: Number(process.env.RANK ?? 0), worldSize: Number(process.env.WORLD_SIZE ?? 1) };
}
