/**
 * Inference: kiln's own forward (eval mode, no grad: what `kiln predict` and `Trainer.predict`
 * run) against the same model exported with `k.onnx.export` and run in onnxruntime-node (its
 * bundled CPU runtime, default session options), for the MNIST MLP and CNN of examples/ at
 * batch 1 and 64. Run: npx tsx bench/onnx.ts [--quick]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { buildModel } from '../src/cli/build.js';
import type { LayerSpec } from '../src/cli/config.js';
import * as k from '../src/index.js';
import { row } from './util.js';

const quick = process.argv.includes('--quick');
const rounds = 3;

/** Mean milliseconds per call over `n` calls (after `warm` calls), best of `rounds` rounds. */
async function time(fn: () => unknown, n: number, warm: number): Promise<number> {
  for (let i = 0; i < warm; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6 / n);
  }
  return best;
}

console.log(
  `backend ${k.getBackend()}, ${k.getNumThreads()} threads; onnxruntime-node ${ort.env.versions.common}`,
);
// Ratio as elsewhere in docs/benchmarks.md: peer time / kiln time (above 1: kiln is faster).
console.log(row(['model', 'batch', 'kiln ms', 'ort ms', 'ratio'], [9, 6, 10, 10, 7]));
for (const name of ['mnist-mlp', 'mnist-cnn']) {
  k.manualSeed(0);
  const config = parse(readFileSync(`examples/${name}.yaml`, 'utf8')) as { model: LayerSpec[] };
  const model = buildModel(config.model, [1, 28, 28]).eval();
  const path = join(tmpdir(), `kiln-bench-${process.pid}-${name}.onnx`);
  await k.onnx.export(model, [k.rand([1, 1, 28, 28])], path, {
    dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } },
  });
  const session = await ort.InferenceSession.create(path);
  for (const batch of [1, 64]) {
    const x = k.rand([batch, 1, 28, 28]);
    const feeds = { input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    // Both sides give the same answer before they are timed.
    const mine = k.noGrad(() => model.forward(x) as k.Tensor);
    const theirs = (await session.run(feeds)).output!.data as Float32Array;
    const diff = Math.max(...Array.from(mine.dataSync(), (v, i) => Math.abs(v - theirs[i]!)));
    if (diff > 1e-4) throw new Error(`${name} batch ${batch}: outputs differ by ${diff}`);
    const n = (quick ? 20 : 200) / (batch === 1 ? 1 : name === 'mnist-cnn' ? 8 : 2);
    const kilnMs = await time(() => k.noGrad(() => model.forward(x)), n, Math.ceil(n / 4));
    const ortMs = await time(() => session.run(feeds), n, Math.ceil(n / 4));
    const cells = [name, batch, kilnMs.toFixed(3), ortMs.toFixed(3), (ortMs / kilnMs).toFixed(2)];
    console.log(row(cells, [9, 6, 10, 10, 7]));
  }
  await session.release();
  rmSync(path, { force: true });
}
