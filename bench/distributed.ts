/**
 * Data-parallel scaling on this machine: samples/s of the MNIST-shaped MLP (784-128-10, global
 * batch 32 and 128) and CNN (bench/cnn.ts's, global batch 64) in 1 process x 2 threads,
 * 2 processes x 1 thread and 4 processes x 1 thread (oversubscribed on 2 cores); Gloo
 * all-reduce bandwidth of 1, 25 and 100 MiB between 2 processes; and the share of the
 * gradient all-reduce that DDP hides behind backward. Each configuration is a real process
 * group started here. Results feed the table in docs/distributed.md.
 *
 * Run: npx tsx bench/distributed.ts [--steps N]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k from '../src/index.js';

type Model = 'mlp' | 'cnn';
const SCRIPT = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);
const steps = Number(argv[argv.indexOf('--steps') + 1] ?? 0) || 30;

function build(model: Model): k.nn.Module {
  const nn = k.nn;
  return model === 'mlp'
    ? new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10))
    : new nn.Sequential(
        new nn.Conv2d(1, 32, 3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(64 * 5 * 5, 128),
        new nn.ReLU(),
        new nn.Linear(128, 10),
      );
}

/** One rank: trains `steps` steps and prints JSON with its seconds per step and phase times. */
async function worker(model: Model, globalBatch: number, capMb: number): Promise<void> {
  const world = Number(process.env.WORLD_SIZE ?? 1);
  if (world > 1) await k.distributed.initProcessGroup();
  k.manualSeed(0);
  const net = build(model);
  const caps = capMb > 0 ? { firstBucketCapMb: capMb, bucketCapMb: capMb } : {};
  const ddp = world > 1 ? new k.nn.parallel.DistributedDataParallel(net, caps) : null;
  const m = ddp ?? net;
  const opt = new k.optim.Adam(m.parameters(), { lr: 1e-3 });
  const b = globalBatch / world;
  const x = model === 'mlp' ? k.rand([b, 784]) : k.rand([b, 1, 28, 28]);
  const y = k.randint(0, 10, [b]);
  // overlap: buckets start during backward; serial: backward under noSync, then all buckets.
  const phases = { overlap: 0, serial: 0, backward: 0 };
  const step = async (mode: 'overlap' | 'serial' | 'local'): Promise<number> => {
    const loss = k.F.crossEntropy(m.forward(x) as k.Tensor, y);
    const t0 = performance.now();
    if (ddp && mode === 'overlap') {
      loss.backward();
      await ddp.syncGradients();
    } else if (ddp && mode === 'serial') {
      ddp.noSync(() => loss.backward());
      await ddp.syncGradients();
    } else {
      // Backward alone (gradients stay local; synced below so the ranks stay in step).
      if (ddp) ddp.noSync(() => loss.backward());
      else loss.backward();
    }
    const dt = performance.now() - t0;
    if (ddp && mode === 'local') await ddp.syncGradients();
    opt.step();
    opt.zeroGrad();
    return dt;
  };
  for (let i = 0; i < 5; i++) await step('overlap');
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step('overlap');
  const seconds = (performance.now() - start) / 1000;
  if (ddp) {
    for (let i = 0; i < steps; i++) {
      phases.overlap += await step('overlap');
      phases.serial += await step('serial');
      phases.backward += await step('local');
    }
  }
  console.log(JSON.stringify({ seconds, phases, buckets: ddp?.bucketSizes().length ?? 0 }));
  if (world > 1) await k.distributed.destroyProcessGroup();
}

/** 2 ranks: mean seconds per in-place all-reduce of `mib` MiB of float32. */
async function allReduceWorker(mib: number): Promise<void> {
  await k.distributed.initProcessGroup();
  const t = k.ones([(mib * 1024 * 1024) / 4]);
  const reps = mib >= 100 ? 5 : mib >= 25 ? 10 : 50;
  await k.distributed.allReduce(t);
  const start = performance.now();
  for (let i = 0; i < reps; i++) await k.distributed.allReduce(t);
  console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000 / reps }));
  await k.distributed.destroyProcessGroup();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs `n` ranks of this script with `args`; resolves with rank 0's JSON line. */
async function group(n: number, threads: number, args: string[]): Promise<Record<string, unknown>> {
  const port = await freePort();
  const outs = await Promise.all(
    Array.from(
      { length: n },
      (_, rank) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
            env: {
              ...process.env,
              KILN_QUIET: '1',
              KILN_NUM_THREADS: String(threads),
              RANK: String(rank),
              WORLD_SIZE: String(n),
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
            },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.on('close', (code) =>
            code === 0 ? resolve(out) : reject(new Error(`rank ${rank} exited ${code}`)),
          );
        }),
    ),
  );
  return JSON.parse(outs[0].trim().split('\n').pop()!) as Record<string, unknown>;
}

interface Result {
  seconds: number;
  phases: { overlap: number; serial: number; backward: number };
  buckets: number;
}

async function parent(): Promise<void> {
  if (!k.distributed.isAvailable()) {
    console.log('skipped: the Gloo addon is not built (apt-get install libgloo-dev; npm rebuild)');
    return;
  }
  console.log(`${steps} steps per measurement; samples/s counts the global batch (all ranks)`);
  console.log("samples/s (PyTorch's bucket caps: 1 MiB first, 25 MiB after)");
  console.log('model  global batch  1 proc x 2 threads  2 procs x 1 thread  4 procs x 1 thread');
  const runs: [Model, number][] = [
    ['mlp', 32],
    ['mlp', 128],
    ['cnn', 64],
  ];
  for (const [model, batch] of runs) {
    const rates: string[] = [];
    for (const [n, threads] of [
      [1, 2],
      [2, 1],
      [4, 1],
    ]) {
      const args = ['worker', model, String(batch), '0', '--steps', String(steps)];
      const r = (await group(n!, threads!, args)) as unknown as Result;
      rates.push(((steps * batch) / r.seconds).toFixed(0));
    }
    const cells = rates.map((r) => r.padStart(18)).join('  ');
    console.log(`${model.padEnd(6)} ${String(batch).padStart(12)}  ${cells}`);
  }
  console.log('\nshare of the gradient all-reduce hidden behind backward, 2 processes x 1 thread');
  console.log('(backward + sync per step: buckets started during backward vs all after it)');
  for (const [model, batch] of runs.slice(1)) {
    for (const cap of [0, 0.25]) {
      const args = ['worker', model, String(batch), String(cap), '--steps', String(steps)];
      const r = (await group(2, 1, args)) as unknown as Result;
      const { overlap, serial, backward } = r.phases;
      const comm = serial - backward;
      const hidden = comm > 0 ? Math.max(0, Math.min(1, (serial - overlap) / comm)) : 0;
      const label = cap === 0 ? 'default caps' : `${cap} MiB caps`;
      const ms = (v: number) => `${(v / steps).toFixed(2)} ms`;
      console.log(
        `${model} batch ${batch}, ${label}: ${r.buckets} bucket(s); backward ${ms(backward)}, with overlap ${ms(overlap)}, serial ${ms(serial)}: ${(100 * hidden).toFixed(0)}% of ${ms(comm)} hidden`,
      );
    }
  }
  console.log('\nall-reduce, 2 processes, float32, in place (bus = algorithm bandwidth for 2)');
  for (const mib of [1, 25, 100]) {
    const r = (await group(2, 1, ['allreduce', String(mib)])) as { seconds: number };
    const gbps = (mib * 1024 * 1024 * 8) / r.seconds / 1e9;
    console.log(
      `${String(mib).padStart(4)} MiB: ${(r.seconds * 1000).toFixed(2)} ms, ${gbps.toFixed(2)} Gbit/s`,
    );
  }
}

if (argv[0] === 'worker') await worker(argv[1] as Model, Number(argv[2]), Number(argv[3]));
else if (argv[0] === 'allreduce') await allReduceWorker(Number(argv[1]));
else await parent();
