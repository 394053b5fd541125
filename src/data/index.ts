/**
 * `k.data`: datasets, loaders, transforms, file formats and splits.
 *
 * @example
 * ```ts
 * const loader = new k.data.DataLoader(dataset, { batchSize: 32, shuffle: true, seed: 0 });
 * ```
 */
export {};
