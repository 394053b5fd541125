/**
 * `k.nn.parallel`: as `torch.nn.parallel`. The implementation lives with the process group in
 * src/distributed.
 *
 * @example
 * ```ts
 * const ddp = new k.nn.parallel.DistributedDataParallel(model);
 * ```
 */
export {
  DistributedDataParallel,
  type DistributedDataParallelOptions,
} from '../distributed/ddp.js';
