/**
 * A/B of the fused-convolution kernels of two addon builds (KILN_AB_BASE = A, the active build =
 * B) on the MNIST CNN's layer shapes, interleaved, best thread CPU time per call.
 * Run: KILN_NUM_THREADS=1 KILN_AB_BASE=/tmp/base/kiln_native.node npx tsx bench/conv-kernels-ab.ts
 */
import { createRequire } from 'node:module';
import { type RawConv, wrapConv } from '../src/backend/native/conv.js';
import { nativeBinding } from '../src/backend/native/index.js';
import * as k from '../src/index.js';

const basePath = process.env.KILN_AB_BASE;
if (!basePath)
  throw new Error('conv-kernels-ab: set KILN_AB_BASE to the baseline kiln_native.node');
k.setBackend('native');
const convB = nativeBinding()?.conv;
const convA = wrapConv(createRequire(import.meta.url)(basePath) as Partial<RawConv>);
if (!convA || !convB) throw new Error('conv-kernels-ab: both builds need the fused convolution');
const win = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
const n = Number(process.env.KILN_AB_BATCH ?? 64);
const layers = [
  { name: 'conv1', x: [n, 1, 28, 28], w: [32, 1, 3, 3], y: [n, 32, 26, 26], dx: false },
  { name: 'conv2', x: [n, 32, 13, 13], w: [64, 32, 3, 3], y: [n, 64, 11, 11], dx: true },
];
function cpu(fn: () => void, reps: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / reps;
}
const rounds = Number(process.argv[2] ?? 10);
for (const l of layers) {
  const x = k.rand(l.x);
  const w = k.randn(l.w);
  const b = k.randn([l.w[0]!]);
  const y = k.zeros(l.y);
  const dy = k.randn(l.y);
  const dx = k.zeros(l.x);
  const dw = k.zeros(l.w);
  const db = k.zeros([l.w[0]!]);
  const best = [
    [Infinity, Infinity],
    [Infinity, Infinity],
  ];
  const outs: Float32Array[] = [];
  for (const c of [convA, convB]) {
    c.forward(x, w, b, win, 1, true, y);
    c.backward(dy, x, w, y, win, 1, { dx: l.dx ? dx : null, dw, db });
    outs.push(
      Float32Array.from([
        ...(y.dataSync() as Float32Array),
        ...(dw.dataSync() as Float32Array),
        ...(l.dx ? (dx.dataSync() as Float32Array) : []),
      ]),
    );
  }
  let diff = 0;
  for (let i = 0; i < outs[0]!.length; i++)
    diff = Math.max(diff, Math.abs(outs[0][i]! - outs[1][i]!));
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? [1, 0] : [0, 1]) {
      const c = v === 0 ? convA : convB;
      best[0]![v] = Math.min(
        best[0][v]!,
        cpu(() => c.forward(x, w, b, win, 1, true, y), 5),
      );
      best[1]![v] = Math.min(
        best[1][v]!,
        cpu(() => c.backward(dy, x, w, y, win, 1, { dx: l.dx ? dx : null, dw, db }), 5),
      );
    }
  }
  const f = (a: number[]) =>
    `A ${a[0]!.toFixed(2)} B ${a[1]!.toFixed(2)} ms (${(a[0]! / a[1]!).toFixed(2)}x)`;
  console.log(
    `${l.name} b${n}: forward ${f(best[0]!)}; backward ${f(best[1]!)}; max|A-B| ${diff.toExponential(1)}`,
  );
}
