/**
 * A/B of an inference switch that the addon reads per call (default KILN_CONV_WINOGRAD: A = off
 * "0", B = on): the MNIST CNN's fused Conv2d + ReLU + MaxPool2d(2) layers alone and the
 * whole no-grad forward at batch 64 and 1, alternating A and B round by round, best process CPU
 * time per call (run with KILN_NUM_THREADS=1 so all the work is on the timed thread). With
 * `--switch pool`, A and B are the storage pool off and on instead; with `--switch linear-pack`,
 * the Linear layers' cached packed weights off and on.
 * Run: KILN_NUM_THREADS=1 npx tsx bench/cnn-infer-ab.ts [rounds] [--switch NAME]
 */
import { setPackedLinear } from '../src/backend/native/index.js';
import { setStoragePool } from '../src/backend/storage-pool.js';
import * as k from '../src/index.js';
import { conv2dReluPool } from '../src/nn/functional-conv.js';
import { kilnModel } from './cnn.js';

const at = process.argv.indexOf('--switch');
const name = at > 0 ? process.argv[at + 1]! : 'KILN_CONV_WINOGRAD';
const rounds = Number(process.argv[2] ?? 15);
k.setBackend('native');
k.manualSeed(0);
const model = kilnModel().eval();
const conv1 = model.at(0) as k.nn.Conv2d;
const conv2 = model.at(3) as k.nn.Conv2d;
const xs = k.rand([256, 1, 28, 28]);
const h = k.rand([64, 32, 13, 13]);
const fc1 = model.at(7) as k.nn.Linear;
const flat = k.rand([64, 1600]);
const cases: [string, () => unknown, number][] = [
  ['conv1 fused b64', () => conv2dReluPool(xs.narrow(0, 64, 64), conv1.weight, conv1.bias), 10],
  ['conv2 fused b64', () => conv2dReluPool(h, conv2.weight, conv2.bias), 10],
  ['Linear 1600x128 b64', () => fc1.forward(flat), 50],
  ['Linear 1600x128 b1', () => fc1.forward(flat.narrow(0, 5, 1)), 500],
  ['CNN b64', () => model.forward(xs.narrow(0, 64, 64)), 10],
  ['CNN b1', () => model.forward(xs.narrow(0, 7, 1)), 200],
];

function set(on: boolean): void {
  // '--switch pool': the storage pool (what nn.Sequential gives back to in inference) off/on.
  if (name === 'pool') setStoragePool(on);
  else if (name === 'linear-pack') setPackedLinear(on);
  else if (on) delete process.env[name];
  else process.env[name] = '0';
}

function cpu(fn: () => unknown, reps: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) k.noGrad(fn);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}

console.log(`${name}: A = '0', B = unset; ${k.getNumThreads()} threads, ${rounds} rounds`);
for (const [label, fn, reps] of cases) {
  const results: k.Tensor[] = [];
  for (const on of [false, true]) {
    set(on);
    results.push(k.noGrad(fn) as k.Tensor);
  }
  const diff = results[0]!.sub(results[1]!).abs().max().item();
  const best = [Infinity, Infinity];
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? [1, 0] : [0, 1]) {
      set(v === 1);
      best[v] = Math.min(best[v]!, cpu(fn, reps));
    }
  }
  const [a, b] = best as [number, number];
  console.log(
    `${label}: A ${a.toFixed(3)} B ${b.toFixed(3)} ms (x${(a / b).toFixed(2)}), max|A-B| ${diff.toExponential(1)}`,
  );
}
set(true);
