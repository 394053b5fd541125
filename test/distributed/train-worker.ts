// Training runs for the DDP equivalence tests. Imported by the tests for the one-process
// reference runs, and run as a rank of a process group (env RANK, WORLD_SIZE, MASTER_*) with
// argv[2] = JSON list of runs and argv[3] = output file for this rank's final parameters.
import { writeFileSync } from 'node:fs';
import * as k from '../../src/index.js';

export interface RunSpec {
  model: 'mlp' | 'cnn';
  dtype: 'float32' | 'float64';
  /** Samples per optimizer step over all ranks. */
  globalBatch: number;
  accumulate: number;
  steps: number;
  /**
   * One-process runs only: micro-batches that replay the ranks' shards one after another
   * (rank 0's, then rank 1's...) with `accumulate` = number of shards.
   */
  shardsOf?: number;
}

class SmallCnn extends k.nn.Module<[k.Tensor], k.Tensor> {
  conv = new k.nn.Conv2d(1, 4, 3, { padding: 1 });
  pool = new k.nn.MaxPool2d(2);
  fc = new k.nn.Linear(64, 4);
  forward(x: k.Tensor): k.Tensor {
    return this.fc.forward(this.pool.forward(this.conv.forward(x).relu()).flatten(1));
  }
}

function build(spec: RunSpec): { model: k.nn.Module; x: k.Tensor; y: k.Tensor } {
  k.manualSeed(1);
  const n = spec.globalBatch * spec.steps;
  const x = spec.model === 'mlp' ? k.randn([n, 8]) : k.randn([n, 1, 8, 8]);
  const y = k.randint(0, 4, [n]);
  const model =
    spec.model === 'mlp'
      ? new k.nn.Sequential(new k.nn.Linear(8, 32), new k.nn.ReLU(), new k.nn.Linear(32, 4))
      : new SmallCnn();
  return spec.dtype === 'float64'
    ? { model: model.to('float64'), x: x.to('float64'), y }
    : { model, x, y };
}

/** Trains one run and returns the final parameters (in parameter order, as plain numbers). */
export async function trainRun(spec: RunSpec): Promise<number[][]> {
  const world = k.distributed.getWorldSize();
  const rank = k.distributed.getRank();
  const { model, x, y } = build(spec);
  const ds = new k.data.TensorDataset(x, y);
  const net = world > 1 ? new k.nn.parallel.DistributedDataParallel(model) : model;
  let sampler: k.data.Sampler;
  let batchSize = spec.globalBatch / world / spec.accumulate;
  let accumulate = spec.accumulate;
  if (spec.shardsOf !== undefined) {
    // Step s of an N-rank run reads rows s*B + r + N*j on rank r; replay them rank by rank.
    const shards = spec.shardsOf;
    batchSize = spec.globalBatch / shards;
    accumulate = shards;
    const order: number[] = [];
    for (let s = 0; s < spec.steps; s++)
      for (let r = 0; r < shards; r++)
        for (let j = 0; j < batchSize; j++) order.push(s * spec.globalBatch + r + shards * j);
    sampler = { length: order.length, [Symbol.iterator]: () => order[Symbol.iterator]() };
  } else {
    sampler = new k.data.DistributedSampler(ds, { numReplicas: world, rank, shuffle: false });
  }
  const loader = new k.data.DataLoader(ds, { batchSize, sampler });
  const optimizer = new k.optim.SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const trainer = new k.train.Trainer({
    model: net,
    optimizer,
    loss: k.F.crossEntropy,
    accumulateGradSteps: accumulate,
  });
  await trainer.fit(loader, { epochs: 1 });
  if (trainer.globalStep !== spec.steps) {
    throw new Error(`expected ${spec.steps} optimizer steps, took ${trainer.globalStep}`);
  }
  return model
    .parameters()
    .map((p) => Array.from(p.contiguous().storage.subarray(p.offset, p.offset + p.numel())));
}

async function main(): Promise<void> {
  const specs = JSON.parse(process.argv[2]!) as RunSpec[];
  k.setNumThreads(1);
  await k.distributed.initProcessGroup({ backend: 'gloo' });
  const results: number[][][] = [];
  for (const spec of specs) results.push(await trainRun(spec));
  writeFileSync(process.argv[3]!, JSON.stringify(results));
  await k.distributed.destroyProcessGroup();
}

if (process.argv[1]?.endsWith('train-worker.ts')) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
