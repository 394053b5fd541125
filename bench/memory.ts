/**
 * Memory stays flat over long training: runs forward/backward/update steps of a small MLP-sized
 * graph (64x32 -> 64 -> 10, softmax cross-entropy written with core ops) and samples the
 * resident set size. Run: npx tsx bench/memory.ts [steps]
 */
import * as k from '../src/index.js';
import { rssMiB } from './util.js';

export function benchMemory(steps = 20000): { first: number; last: number; max: number } {
  k.manualSeed(0);
  const x = k.randn([32, 64]);
  const labels = k.randint(0, 10, [32]);
  const target = k.oneHot(labels, 10).to('float32');
  const w1 = k.randn([64, 64]).mul(0.1).requiresGrad_();
  const b1 = k.zeros([64], { requiresGrad: true });
  const w2 = k.randn([64, 10]).mul(0.1).requiresGrad_();
  const b2 = k.zeros([10], { requiresGrad: true });
  const params = [w1, b1, w2, b2];
  const samples: number[] = [];
  const started = Date.now();
  for (let step = 1; step <= steps; step++) {
    const hidden = x.matmul(w1).add(b1).relu();
    const logits = hidden.matmul(w2).add(b2);
    const loss = logits.logSoftmax(1).mul(target).sum(1).mean().neg();
    for (const p of params) p.grad = null;
    loss.backward();
    k.noGrad(() => {
      for (const p of params) p.sub_(p.grad!.mul(0.05));
    });
    if (step % (steps / 10) === 0) samples.push(rssMiB());
  }
  const seconds = (Date.now() - started) / 1000;
  const result = {
    first: samples[0]!,
    last: samples[samples.length - 1]!,
    max: Math.max(...samples),
  };
  console.log(
    `memory: ${steps} steps in ${seconds.toFixed(1)} s (${(steps / seconds).toFixed(0)} steps/s)`,
  );
  console.log(`  RSS MiB at each tenth: ${samples.map((s) => s.toFixed(1)).join(' ')}`);
  console.log(
    `  first ${result.first.toFixed(1)}, last ${result.last.toFixed(1)}, max ${result.max.toFixed(1)} MiB`,
  );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchMemory(Number(process.argv[2] ?? 20000));
}
