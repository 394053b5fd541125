import { KilnError } from '../tensor/errors.js';

/**
 * A failed collective or rendezvous: a peer that died or never came, a timeout, an unreachable
 * master, or the distributed addon missing. The message names the operation, this rank and
 * the cause.
 *
 * @example
 * ```ts
 * try { await k.distributed.allReduce(t); }
 * catch (e) { if (e instanceof k.distributed.DistributedError) process.exit(1); }
 * ```
 */
export class DistributedError extends KilnError {}

/** The one line `kiln train --nproc-per-node` and `initProcessGroup` give without the addon. */
export const INSTALL_HINT =
  'distributed training needs Gloo: install it (Debian/Ubuntu: apt-get install libgloo-dev) and rebuild kiln (npm rebuild kiln)';
