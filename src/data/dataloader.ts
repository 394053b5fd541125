import { ValueError } from '../tensor/errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { type Collated, defaultCollate } from './collate.js';
import { type Dataset, hasGetBatch } from './dataset.js';
import { RandomSampler, type Sampler, SequentialSampler } from './sampler.js';

/** Options of `DataLoader`. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Visit the items in a new random order each epoch (default false). */
  shuffle?: boolean;
  /** Seed of the loader's own generator, for reproducible shuffling. */
  seed?: number;
  /** The generator to shuffle with (takes precedence over `seed`). */
  generator?: Generator;
  /** Drop the last batch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Merges a list of items into a batch; `defaultCollate` (or the dataset's `getBatch`) otherwise. */
  collate?: (items: T[]) => B;
  /** Decides the order of indices; excludes `shuffle`. */
  sampler?: Sampler;
  /** Batches built ahead while the consumer works on the current one (default 1; 0 = none). */
  prefetch?: number;
  /** Applied to each batch after collation: the place for per-batch augmentation. */
  transform?: (batch: B) => B;
}

/**
 * Iterates over a dataset in batches, as `torch.utils.data.DataLoader`: an async iterable, so that
 * datasets may read files on demand and the next batch is built while the current one trains.
 * With `shuffle`, each epoch (each `for await`) draws a new permutation from the loader's
 * generator: the same `seed` gives the same sequence of epochs. Without `seed` or `generator`,
 * shuffling draws from the default generator (seeded by `k.manualSeed`).
 *
 * A `TensorDataset` (or a `Subset` of one) is batched with one `indexSelect` per tensor instead of
 * stacking rows, unless a custom `collate` is given.
 *
 * Prefetching runs on the same thread (JavaScript has one): the next batch is built in a
 * `setImmediate` callback, so it overlaps with the consumer's awaits (I/O, logging, native
 * kernels that yield), not with synchronous work.
 *
 * @example
 * ```ts
 * const loader = new k.data.DataLoader(new k.data.TensorDataset(x, y), {
 *   batchSize: 32, shuffle: true, seed: 0,
 * });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for await (const [xb, yb] of loader) step(xb, yb);
 * }
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements AsyncIterable<B> {
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly sampler: Sampler;
  /** The generator shuffling draws from (null with a user sampler). */
  readonly generator: Generator | null;
  private readonly collate: ((items: T[]) => B) | undefined;
  private readonly transform: ((batch: B) => B) | undefined;

  constructor(
    readonly dataset: Dataset<T>,
    options: DataLoaderOptions<T, B> = {},
  ) {
    const { batchSize = 1, shuffle = false, dropLast = false, prefetch = 1 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (!Number.isInteger(prefetch) || prefetch < 0) {
      throw new ValueError(`DataLoader: prefetch must be a non-negative integer, got ${prefetch}`);
    }
    if (options.sampler && shuffle) {
      throw new ValueError('DataLoader: sampler and shuffle are mutually exclusive');
    }
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.prefetch = prefetch;
    this.collate = options.collate;
    this.transform = options.transform;
    if (options.sampler) {
      this.sampler = options.sampler;
      this.generator = null;
    } else if (shuffle) {
      this.generator =
        options.generator ??
        (options.seed !== undefined ? new Generator(options.seed) : defaultGenerator);
      this.sampler = new RandomSampler(dataset.length, { generator: this.generator });
    } else {
      this.sampler = new SequentialSampler(dataset.length);
      this.generator = null;
    }
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The index lists of one epoch's batches (draws the epoch's order from the sampler). */
  batchIndices(): number[][] {
    const batches: number[][] = [];
    let current: number[] = [];
    for (const i of this.sampler) {
      current.push(i);
      if (current.length === this.batchSize) {
        batches.push(current);
        current = [];
      }
    }
    if (current.length > 0 && !this.dropLast) batches.push(current);
    return batches;
  }

  /** Builds the batch of these dataset indices (what one iteration step yields). */
  async buildBatch(indices: readonly number[]): Promise<B> {
    let batch: B;
    if (!this.collate && hasGetBatch(this.dataset)) {
      batch = this.dataset.getBatch(indices) as B;
    } else {
      const raw = indices.map((i) => this.dataset.get(i));
      const items = raw.some((v) => v instanceof Promise) ? await Promise.all(raw) : (raw as T[]);
      batch = this.collate ? this.collate(items) : (defaultCollate(items) as B);
    }
    return this.transform ? this.transform(batch) : batch;
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    // The epoch's order is drawn now, not lazily, so the generator's state after creating an
    // iterator does not depend on how far it is consumed.
    const batches = this.batchIndices();
    const queue: Promise<B>[] = [];
    let scheduled = 0;
    let closed = false;
    const later = (indices: number[]): Promise<B> => {
      const p = new Promise<B>((resolve, reject) => {
        setImmediate(() => {
          if (closed) return;
          this.buildBatch(indices).then(resolve, reject);
        });
      });
      // A prefetched batch may fail before it is awaited; its error is raised when it is.
      p.catch(() => {});
      return p;
    };
    return {
      next: async (): Promise<IteratorResult<B>> => {
        if (closed) return { done: true, value: undefined };
        if (queue.length === 0 && scheduled < batches.length) {
          queue.push(this.buildBatch(batches[scheduled++]!));
        }
        const current = queue.shift();
        while (queue.length < this.prefetch && scheduled < batches.length) {
          queue.push(later(batches[scheduled++]!));
        }
        if (!current) {
          closed = true;
          return { done: true, value: undefined };
        }
        try {
          return { done: false, value: await current };
        } catch (e) {
          closed = true;
          throw e;
        }
      },
      return: async (): Promise<IteratorResult<B>> => {
        closed = true;
        queue.length = 0;
        return { done: true, value: undefined };
      },
    };
  }
}
