/**
 * Peak resident memory of MNIST-shaped MLP training (784-128-10, Adam, batch 32 and then 128,
 * batches streamed from a 16,384-sample dataset: a warm-up pass, then 2,000 steps) for kiln in
 * this process (under tsx) and, when the package is built (dist/), in a plain node process as a
 * user's compiled program runs it (bench/mlp-rss-child.mjs), and for each PyTorch found, at 1
 * thread, in its own worker process.
 * Run: npx tsx bench/mlp-rss.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as k from '../src/index.js';
import { mlpWork } from './mlp.js';
import { startTorch, torchPythons } from './peers.js';

const samples = 16384;
const steps = 2000;
try {
  k.setBackend('native');
} catch {
  // js backend
}
k.setNumThreads(1);
const work = mlpWork(samples);
for (const batch of [32, 128]) {
  work.train(batch, Math.floor(samples / batch));
  work.train(batch, steps);
}
const tsxMiB = process.resourceUsage().maxRSS / 1024;
console.log(`  kiln ${k.getBackend()} 1T, tsx     peak RSS ${tsxMiB.toFixed(0)} MiB`);
let kilnMiB = tsxMiB;
const dist = new URL('../dist/index.js', import.meta.url);
if (existsSync(dist)) {
  const child = new URL('./mlp-rss-child.mjs', import.meta.url).pathname;
  const [backend, mib] = execFileSync(process.execPath, [child, String(samples), String(steps)], {
    encoding: 'utf8',
  })
    .trim()
    .split(' ');
  kilnMiB = Number(mib);
  console.log(
    `  kiln ${backend} 1T, node    peak RSS ${kilnMiB.toFixed(0)} MiB (compiled dist/, no tsx)`,
  );
} else {
  console.log('  (no dist/: run npm run build to measure kiln without the tsx loader)');
}
for (const [python, version] of torchPythons()) {
  const torch = await startTorch(python, version, 'mlp', 1, samples);
  for (const batch of [32, 128]) {
    await torch.ask(`warmup ${batch}`);
    await torch.ask(`train ${batch} ${steps}`);
  }
  const mib = await torch.ask('rss');
  torch.close();
  console.log(
    `  ${torch.name.padEnd(22)} peak RSS ${mib.toFixed(0)} MiB  (kiln uses ${(kilnMiB / mib).toFixed(2)}x; under tsx ${(tsxMiB / mib).toFixed(2)}x)`,
  );
}
