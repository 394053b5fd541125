/**
 * A/B of the storage pool on the MNIST CNN training step (batch 64, batches streamed from 8,192
 * samples): CPU milliseconds per step with the pool off and on, in alternating rounds of one
 * process, each keeping its best round. CPU time (not wall time) so that other jobs on a shared
 * machine move the figures less. Run: KILN_NUM_THREADS=1 npx tsx bench/cnn-pool.ts [--rounds R]
 */
import { setStoragePool } from '../src/backend/storage-pool.js';
import * as k from '../src/index.js';
import { kilnModel } from './cnn.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 6);
k.setBackend('native');
k.manualSeed(0);
const model = kilnModel();
const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
const samples = 8192;
const xs = k.rand([samples, 1, 28, 28]);
const ys = k.randint(0, 10, [samples]);
let at = 0;
const step = () => {
  const x = xs.narrow(0, at, 64);
  const y = ys.narrow(0, at, 64);
  at = (at + 64) % samples;
  opt.zeroGrad();
  k.F.crossEntropy(model.forward(x), y).backward();
  opt.step();
};
for (let i = 0; i < samples / 64; i++) step();
const best = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
for (let r = 0; r < rounds; r++) {
  for (const [m, on] of [false, true].entries()) {
    setStoragePool(on);
    for (let i = 0; i < 3; i++) step();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 10; i++) step();
    const c = process.cpuUsage(c0);
    best[m] = Math.min(best[m]!, (c.user + c.system) / 1e4);
  }
}
console.log(
  `CNN training step, batch 64, ${k.getNumThreads()} thread(s), CPU ms per step (best of ${rounds} rounds): pool off ${best[0]!.toFixed(1)}, pool on ${best[1]!.toFixed(1)}`,
);
