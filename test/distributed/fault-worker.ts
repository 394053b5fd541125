// A rank that trains a small DDP model step after step, printing "step N" after each, until
// argv[2] steps are done or a collective fails (then its message goes to stderr, exit 1).
import * as k from '../../src/index.js';

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 1000);
  await k.distributed.initProcessGroup({ backend: 'gloo' });
  k.manualSeed(0);
  const model = new k.nn.Sequential(
    new k.nn.Linear(16, 64),
    new k.nn.ReLU(),
    new k.nn.Linear(64, 4),
  );
  const ddp = new k.nn.parallel.DistributedDataParallel(model);
  const opt = new k.optim.SGD(ddp.parameters(), { lr: 0.01 });
  const x = k.randn([32, 16]);
  const y = k.randint(0, 4, [32]);
  for (let step = 0; step < steps; step++) {
    k.F.crossEntropy(ddp.forward(x) as k.Tensor, y).backward();
    await ddp.syncGradients();
    opt.step();
    opt.zeroGrad();
    process.stdout.write(`step ${step}\n`);
    // Slow enough for a test to kill a rank in the middle.
    await new Promise((r) => setTimeout(r, 20));
  }
  await k.distributed.destroyProcessGroup();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
