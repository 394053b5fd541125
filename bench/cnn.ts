/**
 * MNIST-shaped CNN throughput in samples/s: Conv 32 3x3 - ReLU - MaxPool 2 - Conv 64 3x3 - ReLU -
 * MaxPool 2 - Flatten - Linear 128 - ReLU - Linear 10, Adam, cross-entropy. Training (batch 64)
 * and inference (no grad, batch 64 and 1) on batches streamed from a random dataset of 8,192
 * samples (25 MiB, as an epoch reads them), after a warm-up pass over the whole dataset; kiln
 * native at 1 and 2 threads against every PyTorch found (bench/peers.ts) at 1 and 2 threads,
 * best of alternating rounds. Ends with kiln's step time by kernel and the share outside kernels.
 * Run: npx tsx bench/cnn.ts [--rounds R] [--steps S] [--samples N]
 */
import { nativeBinding } from '../src/backend/native/index.js';
import { backend } from '../src/backend/registry.js';
import * as k from '../src/index.js';
import { bestOfRounds, contenders, type LocalWork, line, localRunner, warmUp } from './peers.js';

/** The MNIST CNN every CNN bench times (also bench/cnn-profile.ts, bench/cnn-pool.ts). */
export function kilnModel(): k.nn.Sequential {
  const { nn } = k;
  return new nn.Sequential(
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

/**
 * One step of kiln's CNN on batches streamed from `samples` random MNIST-shaped rows: an Adam
 * training step, or a no-grad forward with mode 'infer'. Shared by the A/B and profile harnesses.
 * @example const step = cnnStepper(kilnModel(), 1024, 64); step('train');
 */
export function cnnStepper(
  model: k.nn.Sequential,
  samples: number,
  batch: number,
): (mode: 'train' | 'infer') => void {
  const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
  const xs = k.rand([samples, 1, 28, 28]);
  const ys = k.randint(0, 10, [samples]);
  let at = 0;
  return (mode) => {
    const x = xs.narrow(0, at, batch);
    const y = ys.narrow(0, at, batch);
    at = (at + batch) % (samples - batch);
    if (mode === 'infer') {
      model.eval();
      k.noGrad(() => model.forward(x));
      return;
    }
    model.train();
    opt.zeroGrad();
    k.F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
}

/** Wraps every kernel of the active backend to add its wall time to `times`; returns an undo. */
function instrument(times: Map<string, number>): () => void {
  const b = backend() as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  for (const [name, fn] of Object.entries(b)) {
    if (typeof fn !== 'function') continue;
    saved.set(name, fn);
    const kernel = fn as (...args: unknown[]) => unknown;
    b[name] = (...args: unknown[]) => {
      const start = performance.now();
      const r = kernel.apply(b, args);
      // Name elementwise kernels by their op ('binary:add') to see which ones cost.
      const key =
        name === 'unary' || name === 'binary' || name === 'reduce' ? `${name}:${args[0]}` : name;
      times.set(key, (times.get(key) ?? 0) + performance.now() - start);
      return r;
    };
  }
  // The fused convolution is called past the backend object (src/ops/conv.ts).
  const conv = nativeBinding()?.conv as unknown as Record<string, unknown> | null | undefined;
  const savedConv = new Map<string, unknown>();
  for (const [name, fn] of Object.entries(conv ?? {})) {
    if (typeof fn !== 'function' || !conv) continue;
    savedConv.set(name, fn);
    const kernel = fn as (...args: unknown[]) => unknown;
    conv[name] = (...args: unknown[]) => {
      const start = performance.now();
      const r = kernel.apply(conv, args);
      const key = `conv.${name}`;
      times.set(key, (times.get(key) ?? 0) + performance.now() - start);
      return r;
    };
  }
  return () => {
    for (const [name, fn] of saved) b[name] = fn;
    for (const [name, fn] of savedConv) if (conv) conv[name] = fn;
  };
}

/** Kiln's CNN on a streamed random dataset: the work behind kiln's runners. */
function kilnWork(samples: number): LocalWork {
  k.manualSeed(0);
  const model = kilnModel();
  const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
  const xs = k.rand([samples, 1, 28, 28]);
  const ys = k.randint(0, 10, [samples]);
  let at = 0;
  const next = (batch: number): [k.Tensor, k.Tensor] => {
    if (at + batch > samples) at = 0;
    const r: [k.Tensor, k.Tensor] = [xs.narrow(0, at, batch), ys.narrow(0, at, batch)];
    at += batch;
    return r;
  };
  return {
    train(batch, steps) {
      model.train();
      for (let i = 0; i < steps; i++) {
        const [x, y] = next(batch);
        opt.zeroGrad();
        k.F.crossEntropy(model.forward(x), y).backward();
        opt.step();
      }
    },
    infer(batch, steps) {
      model.eval();
      k.noGrad(() => {
        for (let i = 0; i < steps; i++) model.forward(next(batch)[0]);
      });
    },
  };
}

/** Share of training-step time per kernel (largest first) and outside all kernels. */
function breakdown(work: LocalWork, batch: number, steps: number): [string, number][] {
  const times = new Map<string, number>();
  const undo = instrument(times);
  const t0 = performance.now();
  try {
    work.train(batch, steps);
  } finally {
    undo();
  }
  const total = performance.now() - t0;
  const inKernels = [...times.values()].reduce((a, b) => a + b, 0);
  const out = [...times.entries()]
    .map(([name, t]): [string, number] => [name, t / total])
    .sort((a, b) => b[1] - a[1]);
  out.push(['(outside kernels: op layer, autograd, optimizer, allocation)', 1 - inKernels / total]);
  return out;
}

export interface CnnOptions {
  rounds?: number;
  steps?: number;
  samples?: number;
}

/** Runs the CNN benchmark: training and inference tables, then kiln's kernel breakdown. */
export async function benchCnn(options: CnnOptions = {}): Promise<void> {
  const { rounds = 5, steps = 20, samples = 8192 } = options;
  try {
    k.setBackend('native');
  } catch {
    console.log('  kiln native backend unavailable: the CNN benchmark runs kiln native only');
    return;
  }
  const work = kilnWork(samples);
  const kiln = [1, 2].map((t) =>
    localRunner(`kiln native ${t}T`, t, samples, work, (n) => k.setNumThreads(n)),
  );
  const peers = await contenders(kiln[0]!, 'cnn', samples);
  const runners = [...kiln, ...peers.slice(1)];
  try {
    await warmUp(runners, 64);
    const cases: [string, string, number][] = [
      ['training, batch 64', `train 64 ${steps}`, 64 * steps],
      ['inference, batch 64', `infer 64 ${steps}`, 64 * steps],
      ['inference, batch 1', `infer 1 ${steps * 10}`, steps * 10],
    ];
    for (const [title, command, count] of cases) {
      const best = await bestOfRounds(runners, command, rounds);
      const rates = best.map((s) => count / s);
      const kilnBest = Math.max(rates[0]!, rates[1]!);
      const peerBest = Math.max(0, ...rates.slice(2));
      console.log(
        `MNIST CNN ${title}: ${samples} samples streamed, best of ${rounds} alternating rounds of ${count} samples`,
      );
      for (const [i, r] of runners.entries())
        console.log(line(r.name, rates[i]!, i >= 2 ? kilnBest : undefined));
      if (peerBest > 0)
        console.log(`  kiln best / best PyTorch: ${(kilnBest / peerBest).toFixed(2)}x`);
    }
  } finally {
    for (const r of runners) r.close();
  }
  k.setNumThreads(1);
  const shares = breakdown(work, 64, steps);
  const top = shares.filter(([, share]) => share >= 0.01);
  console.log(
    `  kiln native 1T training step by kernel: ${top.map(([n, s]) => `${n} ${(100 * s).toFixed(0)}%`).join(', ')}`,
  );
  const outside = shares[shares.length - 1]![1];
  console.log(
    `  profile: share of a kiln training step outside kernels ${(100 * outside).toFixed(0)}%`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string, fallback: number) => {
    const at = process.argv.indexOf(flag);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  await benchCnn({
    rounds: arg('--rounds', 5),
    steps: arg('--steps', 20),
    samples: arg('--samples', 8192),
  });
}
