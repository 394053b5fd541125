import { DataLoader } from '../data/dataloader.js';
import { TensorDataset } from '../data/dataset.js';
import { DistributedSampler } from '../data/distributed-sampler.js';
import { DistributedDataParallel } from '../distributed/ddp.js';
import {
  destroyProcessGroup,
  getRank,
  getWorldSize,
  initProcessGroup,
} from '../distributed/process-group.js';
import type { Module } from '../nn/module.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Callback } from '../train/callback.js';
import type { Split } from './data.js';

/**
 * One worker of `kiln train --nproc-per-node N` (the launcher sets KILN_DIST_WORKER=1 and
 * torchrun's variables). Every rank trains a DistributedDataParallel replica on its
 * DistributedSampler shard of each epoch; only rank 0 (`isMain`) prints and writes the run.
 */
export interface DistributedWorker {
  readonly rank: number;
  readonly worldSize: number;
  readonly isMain: boolean;
  /** Wraps the model for gradient averaging (copies rank 0's parameters to every rank). */
  wrap(model: Module): Module;
  /** The training loader over this rank's shard, reshuffled each epoch from `seed`. */
  trainLoader(
    split: Split,
    batchSize: number,
    seed: number,
  ): DataLoader<[Tensor, Tensor], [Tensor, Tensor]>;
  /** Sets the sampler's epoch before each epoch (so a resumed run draws the same shards). */
  readonly callback: Callback;
  /** Leaves the process group. */
  close(): Promise<void>;
}

/** Joins the job's process group when this process is a launched worker, else null. */
export async function joinWorkerGroup(): Promise<DistributedWorker | null> {
  if (process.env.KILN_DIST_WORKER !== '1') return null;
  await initProcessGroup({ backend: 'gloo' });
  const rank = getRank();
  const worldSize = getWorldSize();
  let sampler: DistributedSampler | null = null;
  return {
    rank,
    worldSize,
    isMain: rank === 0,
    wrap: (model) => new DistributedDataParallel(model),
    trainLoader(split, batchSize, seed) {
      const dataset = new TensorDataset(split.x, split.y);
      sampler = new DistributedSampler(dataset, {
        numReplicas: worldSize,
        rank,
        seed,
        shuffle: true,
      });
      return new DataLoader(dataset, { batchSize, sampler });
    },
    callback: {
      onEpochBegin: (ctx) => sampler?.setEpoch(ctx.epoch),
    },
    close: () => destroyProcessGroup(),
  };
}

/** Options that need one process's view of the data and are not supported across processes. */
export function checkDistributedConfig(sampling: string | undefined): void {
  if (sampling === 'balanced') {
    throw new ConfigError(
      'data.sampling: balanced is not supported with --nproc-per-node (each process shards the data with a DistributedSampler)',
    );
  }
}
