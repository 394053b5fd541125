/**
 * MNIST-shaped MLP training throughput (784-128-10, ReLU, Adam, cross-entropy) in samples/s,
 * for kiln's backends and, side by side in the same run, TensorFlow.js (cpu and wasm) and
 * PyTorch through python3 when it is importable.
 * Run: npx tsx bench/mlp.ts [--steps N]
 */
import { spawnSync } from 'node:child_process';
import * as k from '../src/index.js';
import { rssMiB } from './util.js';

export interface MlpResult {
  name: string;
  batch: number;
  samplesPerSecond: number;
}

function kilnMlp(batch: number, steps: number): number {
  k.manualSeed(0);
  const model = new k.nn.Sequential(
    new k.nn.Linear(784, 128),
    new k.nn.ReLU(),
    new k.nn.Linear(128, 10),
  );
  const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = k.rand([batch, 784]);
  const y = k.randint(0, 10, [batch]);
  const step = () => {
    opt.zeroGrad();
    k.F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  };
  for (let i = 0; i < Math.min(50, steps); i++) step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  return (steps * batch) / ((performance.now() - start) / 1000);
}

async function tfjsMlp(
  backend: 'cpu' | 'wasm',
  batch: number,
  steps: number,
): Promise<number | string> {
  try {
    const tf = await import('@tensorflow/tfjs');
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend(backend);
    await tf.ready();
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    const opt = tf.train.adam(1e-3);
    const x = tf.randomUniform([batch, 784]);
    const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
    const step = () =>
      tf.tidy(() => {
        opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as never) as never);
      });
    for (let i = 0; i < 10; i++) step();
    const start = performance.now();
    for (let i = 0; i < steps; i++) step();
    return (steps * batch) / ((performance.now() - start) / 1000);
  } catch (e) {
    return `unavailable (${(e as Error).message.split('\n')[0]})`;
  }
}

function torchMlp(batch: number, steps: number, threads: number): number | string {
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) return 'skipped (no python3 with torch; on Debian: apt-get install python3-torch)';
  const result = spawnSync(
    python,
    ['bench/torch_mlp.py', String(batch), String(steps), String(threads)],
    { encoding: 'utf8' },
  );
  const value = Number(result.stdout.trim().split('\n').pop());
  return Number.isFinite(value) ? value : `failed: ${result.stderr.trim().split('\n').pop()}`;
}

function show(name: string, batch: number, value: number | string, baseline?: number): void {
  const ratio =
    typeof value === 'number' && baseline ? `  (kiln ${(baseline / value).toFixed(2)}x)` : '';
  console.log(
    `  ${name.padEnd(26)} batch ${String(batch).padStart(3)}  ${typeof value === 'number' ? `${value.toFixed(0).padStart(8)} samples/s` : value}${ratio}`,
  );
}

export async function benchMlp(steps = 300): Promise<void> {
  console.log(
    'MLP training 784-128-10, Adam, cross-entropy (samples/s, best of 3 alternating rounds)',
  );
  const backends = ['js', ...(k.getBackend() === 'native' || tryNative() ? ['native'] : [])];
  for (const batch of [32, 128]) {
    // Rounds alternate kiln and PyTorch and each keeps its best, so a burst of load on this
    // shared machine does not decide the ratio.
    const kiln = new Map<string, number>();
    const torch: (number | string)[] = [0, 0];
    for (let round = 0; round < 3; round++) {
      for (const b of backends) {
        k.setBackend(b);
        const v = kilnMlp(batch, b === 'js' ? Math.min(steps, 100) : steps);
        kiln.set(b, Math.max(kiln.get(b) ?? 0, v));
      }
      [1, 2].forEach((threads, t) => {
        const v = torchMlp(batch, steps, threads);
        const prev = torch[t]!;
        torch[t] = typeof v === 'number' ? Math.max(typeof prev === 'number' ? prev : 0, v) : v;
      });
    }
    let best = 0;
    for (const [b, v] of kiln) {
      best = Math.max(best, v);
      show(`kiln ${b}`, batch, v);
    }
    torch.forEach((v, t) => {
      show(`PyTorch ${t + 1} thread${t > 0 ? 's' : ''}`, batch, v, best);
    });
    show('TensorFlow.js wasm', batch, await tfjsMlp('wasm', batch, Math.min(steps, 200)), best);
    show('TensorFlow.js cpu', batch, await tfjsMlp('cpu', batch, 20), best);
  }
  console.log(`  peak RSS of this process: ${rssMiB().toFixed(0)} MiB`);
}

function tryNative(): boolean {
  try {
    k.setBackend('native');
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--steps');
  await benchMlp(at > 0 ? Number(process.argv[at + 1]) : 300);
}
