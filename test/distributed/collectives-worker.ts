// One rank of the collectives test: runs each collective and DDP's unused-parameter case,
// then prints the results as one JSON line.
import * as k from '../../src/index.js';

class TwoBranch extends k.nn.Module<[k.Tensor, boolean], k.Tensor> {
  shared = new k.nn.Linear(3, 2);
  sometimes = new k.nn.Linear(3, 2);
  never = new k.nn.Linear(3, 2);
  forward(x: k.Tensor, useSometimes: boolean): k.Tensor {
    const y = this.shared.forward(x);
    return useSometimes ? y.add(this.sometimes.forward(x)) : y;
  }
}

async function main(): Promise<void> {
  await k.distributed.initProcessGroup({ backend: 'gloo' });
  const rank = k.distributed.getRank();
  const world = k.distributed.getWorldSize();
  const out: Record<string, unknown> = { rank, world };
  for (const op of ['sum', 'product', 'min', 'max', 'avg'] as const) {
    const t = k.tensor([rank + 1, -(rank + 1), 10]);
    await k.distributed.allReduce(t, op);
    out[op] = t.toArray();
  }
  const ints = k.tensor(Int32Array.from([rank, 7]));
  await k.distributed.allReduce(ints, 'max');
  out.int32Max = ints.toArray();
  // A strided view: the transpose of a 2x3 matrix.
  const m = k
    .arange(6, undefined, undefined, { dtype: 'float64' })
    .reshape([2, 3])
    .add(rank * 10);
  const view = m.transpose(0, 1);
  await k.distributed.allReduce(view);
  out.strided = m.toArray();
  const b = k.full([4], rank + 100);
  await k.distributed.broadcast(b, world - 1);
  out.broadcast = b.toArray();
  const parts = Array.from({ length: world }, () => k.zeros([2]));
  await k.distributed.allGather(parts, k.tensor([rank, rank * rank]));
  out.allGather = parts.map((p) => p.toArray());
  await k.distributed.barrier();

  k.manualSeed(0);
  const model = new TwoBranch();
  const ddp = new k.nn.parallel.DistributedDataParallel(model);
  const x = k.full([1, 3], rank + 1);
  (ddp.forward(x, rank === 0) as k.Tensor).sum().backward();
  await ddp.syncGradients();
  out.shared = model.shared.weight.grad?.toArray() ?? null;
  out.sometimes = model.sometimes.weight.grad?.toArray() ?? null;
  out.never = model.never.weight.grad;
  out.buckets = ddp.bucketSizes();
  console.log(JSON.stringify(out));
  await k.distributed.destroyProcessGroup();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
