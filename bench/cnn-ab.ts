/**
 * A/B of two native addon builds on the MNIST CNN, interleaved in one process (for work on a
 * loaded machine): the fused-convolution kernels of build A (`KILN_AB_BASE`, a copied
 * `kiln_native.node`) and of the active build B swap in turns, and each round times training
 * and inference steps by process CPU time. Prints the best per variant and B's speedup.
 * Run: KILN_NUM_THREADS=1 KILN_AB_BASE=/tmp/base/kiln_native.node npx tsx bench/cnn-ab.ts [rounds]
 */
import { createRequire } from 'node:module';
import { type RawConv, wrapConv } from '../src/backend/native/conv.js';
import { nativeBinding } from '../src/backend/native/index.js';
import * as k from '../src/index.js';
import { cnnStepper, kilnModel } from './cnn.js';

const basePath = process.env.KILN_AB_BASE;
if (!basePath) throw new Error('cnn-ab: set KILN_AB_BASE to the baseline kiln_native.node');
k.setBackend('native');
const binding = nativeBinding() as unknown as { conv: unknown };
const convB = binding.conv;
// A build from before the fused inference pool reads no pool flag: it must never be asked to.
const wrappedA = wrapConv(createRequire(import.meta.url)(basePath) as Partial<RawConv>);
const convA =
  wrappedA && process.env.KILN_AB_BASE_POOL !== '1'
    ? { ...wrappedA, forwardReluPool: () => false }
    : wrappedA;
const batch = Number(process.env.KILN_AB_BATCH ?? 64);
k.manualSeed(0);
const model = kilnModel();
const step = cnnStepper(model, 1024, batch);
function cpuMs(mode: 'train' | 'infer', steps: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step(mode);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / steps;
}
// Outputs agree before timing.
const probe = k.rand([8, 1, 28, 28]);
const outs = [convA, convB].map((c) => {
  binding.conv = c;
  model.eval();
  return k.noGrad(() => model.forward(probe) as k.Tensor).dataSync();
});
const diff = Math.max(...Array.from(outs[0]!, (v, i) => Math.abs(v - outs[1][i]!)));
console.log(`max |A - B| on logits: ${diff.toExponential(2)}`);
const rounds = Number(process.argv[2] ?? 10);
const steps = Number(process.env.KILN_AB_STEPS ?? 8);
const best = { train: [Infinity, Infinity], infer: [Infinity, Infinity] };
for (let r = 0; r < rounds; r++) {
  for (const mode of ['train', 'infer'] as const) {
    for (const v of r % 2 === 0 ? [0, 1] : [1, 0]) {
      binding.conv = v === 0 ? convA : convB;
      step(mode);
      best[mode][v] = Math.min(best[mode][v]!, cpuMs(mode, steps));
    }
  }
}
for (const mode of ['train', 'infer'] as const) {
  const [a, b] = best[mode] as [number, number];
  console.log(
    `${mode} b${batch}: A ${a.toFixed(2)} ms, B ${b.toFixed(2)} ms cpu/step, B speedup ${(a / b).toFixed(3)}x`,
  );
}
binding.conv = convB;
