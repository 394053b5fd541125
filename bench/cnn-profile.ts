/**
 * Kiln's MNIST CNN training step (batch 64, 1 thread) timed by process CPU time, and the wall time
 * of each kernel call (of the inference step with KILN_PROFILE=infer); for A/B work on a loaded
 * machine. Run: npx tsx bench/cnn-profile.ts [steps]
 */
import { nativeBinding } from '../src/backend/native/index.js';
import { backend } from '../src/backend/registry.js';
import * as k from '../src/index.js';
import { cnnStepper, kilnModel } from './cnn.js';

k.setBackend('native');
k.setNumThreads(Number(process.env.KILN_THREADS ?? 1));
k.manualSeed(0);
const model = kilnModel();
const step = cnnStepper(model, 2048, 64);
const steps = Number(process.argv[2] ?? 30);
for (const mode of ['train', 'infer'] as const) {
  for (let i = 0; i < 10; i++) step(mode);
  let best = Infinity;
  let bestWall = Infinity;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step(mode);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / steps);
    bestWall = Math.min(bestWall, (performance.now() - t0) / steps);
  }
  console.log(`${mode} step: cpu ${best.toFixed(2)} ms, wall ${bestWall.toFixed(2)} ms`);
}
const times = new Map<string, number>();
const b = backend() as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(b)) {
  if (typeof fn !== 'function') continue;
  const kernel = fn as (...args: unknown[]) => unknown;
  b[name] = (...args: unknown[]) => {
    const s = performance.now();
    const r = kernel.apply(b, args);
    const shape = (args as { shape?: number[] }[])
      .filter((a) => a && Array.isArray(a.shape))
      .map((a) => a.shape!.join('x'))
      .join(' ');
    const key = `${name}${typeof args[0] === 'string' ? `:${args[0]}` : ''} ${shape}`;
    times.set(key, (times.get(key) ?? 0) + performance.now() - s);
    return r;
  };
}
const conv = nativeBinding()?.conv as unknown as Record<string, unknown> | null | undefined;
for (const [name, fn] of Object.entries(conv ?? {})) {
  if (typeof fn !== 'function' || !conv) continue;
  const kernel = fn as (...args: unknown[]) => unknown;
  conv[name] = (...args: unknown[]) => {
    const s = performance.now();
    const r = kernel.apply(conv, args);
    const key = `conv.${name} ${(args[0] as { shape: number[] }).shape.join('x')}`;
    times.set(key, (times.get(key) ?? 0) + performance.now() - s);
    return r;
  };
}
// KILN_PROFILE=infer breaks down the inference step instead.
const profiled = process.env.KILN_PROFILE === 'infer' ? 'infer' : 'train';
const t0 = performance.now();
for (let i = 0; i < steps; i++) step(profiled);
const total = performance.now() - t0;
let inK = 0;
for (const [key, t] of [...times.entries()].sort((a, b) => b[1] - a[1])) {
  inK += t;
  if (t / total > 0.005)
    console.log(
      `${((100 * t) / total).toFixed(1).padStart(5)}% ${(t / steps).toFixed(2)} ms ${key}`,
    );
}
console.log(
  `outside kernels ${((100 * (total - inK)) / total).toFixed(1)}%, step ${(total / steps).toFixed(2)} ms`,
);
