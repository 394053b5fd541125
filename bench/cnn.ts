/**
 * MNIST-shaped CNN training throughput in samples/s: Conv 32 3x3 - ReLU - MaxPool 2 - Conv 64 3x3
 * - ReLU - MaxPool 2 - Flatten - Linear 128 - ReLU - Linear 10, Adam, cross-entropy, batch 64, on
 * random 28x28 inputs. Runs kiln on each available backend, with the share of step time spent in
 * each backend kernel (so JS per-element overhead outside im2col/col2im shows up), and side by
 * side PyTorch through /usr/bin/python3 (when torch imports) and TensorFlow.js cpu.
 * TensorFlow.js wasm is not run: it has no kernels for the conv backward (Conv2DBackpropFilter /
 * Conv2DBackpropInput), so training a CNN there fails.
 * Run: npx tsx bench/cnn.ts [--steps N] [--batch B]
 */
import { spawnSync } from 'node:child_process';
import { backend } from '../src/backend/registry.js';
import * as k from '../src/index.js';

function kilnModel(): k.nn.Sequential {
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
  return () => {
    for (const [name, fn] of saved) b[name] = fn;
  };
}

export interface CnnResult {
  samplesPerSecond: number;
  /** Share of the step time per kernel, largest first, and the share outside all kernels. */
  breakdown: [string, number][];
}

function kilnCnn(batch: number, steps: number): CnnResult {
  k.manualSeed(0);
  const model = kilnModel();
  const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = k.rand([batch, 1, 28, 28]);
  const y = k.randint(0, 10, [batch]);
  const step = () => {
    opt.zeroGrad();
    k.F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
  for (let i = 0; i < 3; i++) step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  const elapsed = performance.now() - start;
  // A second, instrumented pass for the breakdown (the wrappers cost a little).
  const times = new Map<string, number>();
  const undo = instrument(times);
  const t0 = performance.now();
  try {
    for (let i = 0; i < Math.max(2, Math.ceil(steps / 2)); i++) step();
  } finally {
    undo();
  }
  const total = performance.now() - t0;
  const inKernels = [...times.values()].reduce((a, b) => a + b, 0);
  const breakdown = [...times.entries()]
    .map(([name, t]): [string, number] => [name, t / total])
    .sort((a, b) => b[1] - a[1]);
  breakdown.push(['(outside kernels: op layer, autograd, optimizer)', 1 - inKernels / total]);
  return { samplesPerSecond: (steps * batch) / (elapsed / 1000), breakdown };
}

async function tfjsCnn(batch: number, steps: number): Promise<number | string> {
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 32,
          kernelSize: 3,
          activation: 'relu',
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 128, activation: 'relu' }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const opt = tf.train.adam(1e-3);
    const x = tf.randomUniform([batch, 28, 28, 1]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
    const step = () =>
      tf.tidy(() => {
        opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as never) as never);
      });
    step();
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    return (steps * batch) / ((performance.now() - start) / 1000);
  } catch (e) {
    return `unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

function torchCnn(batch: number, steps: number, threads: number): number | string {
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) return 'skipped (no python3 with torch)';
  const result = spawnSync(
    python,
    ['bench/torch_cnn.py', String(batch), String(steps), String(threads)],
    { encoding: 'utf8' },
  );
  const value = Number(result.stdout.trim().split('\n').pop());
  return Number.isFinite(value) ? value : `failed: ${result.stderr.trim().split('\n').pop()}`;
}

function show(name: string, value: number | string, baseline?: number): void {
  const ratio =
    typeof value === 'number' && baseline
      ? `  (kiln best is ${(baseline / value).toFixed(2)}x)`
      : '';
  const text = typeof value === 'number' ? `${value.toFixed(0).padStart(7)} samples/s` : value;
  console.log(`  ${name.padEnd(24)} ${text}${ratio}`);
}

function backends(): string[] {
  const out = ['js'];
  try {
    const previous = k.getBackend();
    k.setBackend('native');
    k.setBackend(previous);
    out.push('native');
  } catch {
    // The addon did not build: js only.
  }
  return out;
}

/** Runs the CNN benchmark and prints one line per framework plus kiln's kernel breakdown. */
export async function benchCnn(steps = 20, batch = 64): Promise<void> {
  console.log(
    `MNIST CNN training step (2 conv + 2 maxpool + 2 linear, Adam), batch ${batch} (samples/s, higher is better)`,
  );
  const previous = k.getBackend();
  let best = 0;
  const results: [string, CnnResult][] = [];
  for (const b of backends()) {
    k.setBackend(b);
    const r = kilnCnn(batch, steps);
    best = Math.max(best, r.samplesPerSecond);
    results.push([b, r]);
    show(`kiln ${b} (${k.getNumThreads()} threads)`, r.samplesPerSecond);
  }
  k.setBackend(previous);
  for (const threads of [1, 2])
    show(
      `PyTorch ${threads} thread${threads > 1 ? 's' : ''}`,
      torchCnn(batch, Math.max(steps, 20), threads),
      best,
    );
  show('TensorFlow.js cpu', await tfjsCnn(batch, Math.min(steps, 2)), best);
  console.log('  TensorFlow.js wasm       not run: no conv backward kernels in tfjs-backend-wasm');
  for (const [b, r] of results) {
    const top = r.breakdown.filter(([, share]) => share >= 0.01);
    console.log(
      `  kiln ${b} step time by kernel: ${top.map(([n, s]) => `${n} ${(100 * s).toFixed(0)}%`).join(', ')}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string, fallback: number) => {
    const at = process.argv.indexOf(flag);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  await benchCnn(arg('--steps', 20), arg('--batch', 64));
}
