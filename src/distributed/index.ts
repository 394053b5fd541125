/**
 * `k.distributed`: data-parallel training across processes and machines, as
 * `torch.distributed` with the Gloo backend (the optional `kiln_dist` addon over Debian's
 * libgloo). See docs/distributed.md.
 *
 * @example
 * ```ts
 * await k.distributed.initProcessGroup({ backend: 'gloo' }); // env RANK, WORLD_SIZE, MASTER_*
 * const t = k.ones([3]);
 * await k.distributed.allReduce(t); // [worldSize, worldSize, worldSize]
 * await k.distributed.destroyProcessGroup();
 * ```
 */
export { DistributedError } from './errors.js';
export {
  allGather,
  allReduce,
  barrier,
  broadcast,
  destroyProcessGroup,
  getRank,
  getWorldSize,
  type InitProcessGroupOptions,
  initProcessGroup,
  isAvailable,
  isInitialized,
  ReduceOp,
  type ReduceOpName,
} from './process-group.js';
