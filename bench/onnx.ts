/**
 * Inference: kiln's own forward (eval mode, no grad: what `kiln predict` and `Trainer.predict`
 * run) against the same model exported with `k.onnx.export` and run in onnxruntime-node (its
 * bundled CPU runtime, 1 and 2 intra-op threads, the faster one kept), for the MNIST MLP and CNN
 * of examples/ at batch 1 and 64. Rounds alternate kiln / ort 1T / ort 2T and each keeps its
 * best, so a burst of load on a shared machine does not decide a ratio.
 * Run: npx tsx bench/onnx.ts [--quick]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { buildModel } from '../src/cli/build.js';
import type { LayerSpec } from '../src/cli/config.js';
import * as k from '../src/index.js';
import { row, settle } from './util.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 3 : 9;

/**
 * Mean milliseconds per call of each contender over `n` calls, after `warm` calls each; rounds
 * alternate between the contenders and each keeps its best round.
 */
async function timeAlternating(
  fns: readonly (() => unknown)[],
  n: number,
  warm: number,
): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < warm; i++) await fn();
  const best = fns.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (const [j, fn] of fns.entries()) {
      await settle();
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn();
      best[j] = Math.min(best[j]!, Number(process.hrtime.bigint() - start) / 1e6 / n);
    }
  }
  return best;
}

console.log(
  `backend ${k.getBackend()}, ${k.getNumThreads()} threads; onnxruntime-node ${ort.env.versions.common}`,
);
// Ratio as elsewhere in docs/benchmarks.md: peer time / kiln time (above 1: kiln is faster).
console.log(
  row(['model', 'batch', 'kiln ms', 'ort 1T ms', 'ort 2T ms', 'ratio'], [9, 6, 10, 10, 10, 7]),
);
for (const name of ['mnist-mlp', 'mnist-cnn']) {
  k.manualSeed(0);
  const config = parse(readFileSync(`examples/${name}.yaml`, 'utf8')) as { model: LayerSpec[] };
  const model = buildModel(config.model, [1, 28, 28]).eval();
  const path = join(tmpdir(), `kiln-bench-${process.pid}-${name}.onnx`);
  await k.onnx.export(model, [k.rand([1, 1, 28, 28])], path, {
    dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } },
  });
  const sessions = [
    await ort.InferenceSession.create(path, { intraOpNumThreads: 1 }),
    await ort.InferenceSession.create(path, { intraOpNumThreads: 2 }),
  ];
  for (const batch of [1, 64]) {
    const x = k.rand([batch, 1, 28, 28]);
    const feeds = { input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    // Both sides give the same answer before they are timed.
    const mine = k.noGrad(() => model.forward(x) as k.Tensor);
    for (const session of sessions) {
      const theirs = (await session.run(feeds)).output!.data as Float32Array;
      const diff = Math.max(...Array.from(mine.dataSync(), (v, i) => Math.abs(v - theirs[i]!)));
      if (diff > 1e-4) throw new Error(`${name} batch ${batch}: outputs differ by ${diff}`);
    }
    const n = (quick ? 20 : 200) / (batch === 1 ? 1 : name === 'mnist-cnn' ? 8 : 2);
    const [kilnMs, ort1Ms, ort2Ms] = (await timeAlternating(
      [
        () => k.noGrad(() => model.forward(x)),
        () => sessions[0]!.run(feeds),
        () => sessions[1]!.run(feeds),
      ],
      n,
      Math.ceil(n / 4),
    )) as [number, number, number];
    const ortMs = Math.min(ort1Ms, ort2Ms);
    const cells = [name, batch, kilnMs, ort1Ms, ort2Ms].map((v) =>
      typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v),
    );
    console.log(row([...cells, (ortMs / kilnMs).toFixed(2)], [9, 6, 10, 10, 10, 7]));
  }
  for (const session of sessions) await session.release();
  rmSync(path, { force: true });
}
