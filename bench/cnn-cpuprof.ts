/**
 * Kiln's MNIST CNN training step (batch 64) by kernel in process CPU time (1 thread: the pool
 * threads idle, so process CPU time is the calling thread's), for work on a loaded machine
 * where wall-time shares (bench/cnn-profile.ts) inflate with the load.
 * Run: KILN_NUM_THREADS=1 npx tsx bench/cnn-cpuprof.ts [steps]
 */
import { nativeBinding } from '../src/backend/native/index.js';
import { backend } from '../src/backend/registry.js';
import * as k from '../src/index.js';
import { cnnStepper, kilnModel } from './cnn.js';

k.setBackend('native');
k.setNumThreads(1);
k.manualSeed(0);
const model = kilnModel();
const step = cnnStepper(model, 2048, 64);
const steps = Number(process.argv[2] ?? 30);
const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const times = new Map<string, number>();
function wrap(obj: Record<string, unknown>, prefix: string): void {
  for (const [name, fn] of Object.entries(obj)) {
    if (typeof fn !== 'function') continue;
    const kernel = fn as (...args: unknown[]) => unknown;
    obj[name] = (...args: unknown[]) => {
      const s = cpu();
      const r = kernel.apply(obj, args);
      const shape = (args as { shape?: number[] }[])
        .filter((a) => a && Array.isArray(a.shape))
        .map((a) => a.shape!.join('x'))
        .join(' ');
      const key = `${prefix}${name}${typeof args[0] === 'string' ? `:${args[0]}` : ''} ${shape}`;
      times.set(key, (times.get(key) ?? 0) + cpu() - s);
      return r;
    };
  }
}
for (let i = 0; i < 20; i++) step('train');
let best = Infinity;
for (let r = 0; r < 5; r++) {
  const c0 = cpu();
  for (let i = 0; i < steps; i++) step('train');
  best = Math.min(best, (cpu() - c0) / steps);
}
wrap(backend() as unknown as Record<string, unknown>, '');
const conv = nativeBinding()?.conv as unknown as Record<string, unknown> | null | undefined;
if (conv) wrap(conv, 'conv.');
const t0 = cpu();
for (let i = 0; i < steps; i++) step('train');
const total = cpu() - t0;
let inK = 0;
for (const [key, t] of [...times.entries()].sort((a, b) => b[1] - a[1])) {
  inK += t;
  if (t / total > 0.004)
    console.log(
      `${((100 * t) / total).toFixed(1).padStart(5)}% ${(t / steps).toFixed(2)} ms ${key}`,
    );
}
console.log(
  `train step cpu ${best.toFixed(2)} ms (unwrapped); wrapped ${(total / steps).toFixed(2)} ms, outside kernels ${((100 * (total - inK)) / total).toFixed(1)}% = ${((total - inK) / steps).toFixed(2)} ms`,
);
