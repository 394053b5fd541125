/**
 * Peak resident memory of MNIST-shaped MLP training (784-128-10, Adam, batch 32, 2,000 steps)
 * for kiln in this process and for PyTorch in a python3 process when torch imports.
 * Run: npx tsx bench/mlp-rss.ts
 */
import { spawnSync } from 'node:child_process';
import * as k from '../src/index.js';

const steps = 2000;
k.manualSeed(0);
const model = new k.nn.Sequential(
  new k.nn.Linear(784, 128),
  new k.nn.ReLU(),
  new k.nn.Linear(128, 10),
);
const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
for (let i = 0; i < steps; i++) {
  const x = k.rand([32, 784]);
  const y = k.randint(0, 10, [32]);
  opt.zeroGrad();
  k.F.crossEntropy(model.forward(x), y).backward();
  opt.step();
}
const kilnMiB = process.resourceUsage().maxRSS / 1024;
console.log(`  kiln (${k.getBackend()})   peak RSS ${kilnMiB.toFixed(0)} MiB`);

const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
);
if (!python) {
  console.log(
    '  PyTorch: skipped (no python3 with torch; on Debian: apt-get install python3-torch)',
  );
} else {
  const r = spawnSync(python, ['bench/torch_mlp.py', '32', String(steps), '1', '--rss'], {
    encoding: 'utf8',
  });
  const torchMiB = Number(r.stdout.trim().split('\n').pop());
  console.log(
    `  PyTorch 1 thread peak RSS ${torchMiB.toFixed(0)} MiB  (kiln uses ${(kilnMiB / torchMiB).toFixed(2)}x)`,
  );
}
