/**
 * Matmul GFLOP/s of the active backend for square float32 matrices.
 * Run: npx tsx bench/matmul.ts [--backend js|native]
 */
import * as k from '../src/index.js';
import { bestOf, row } from './util.js';

export function benchMatmul(sizes: readonly number[] = [128, 256, 512, 1024]): void {
  console.log(`matmul float32, backend ${k.getBackend()}`);
  console.log(row(['n', 'ms', 'GFLOP/s'], [6, 10, 10]));
  for (const n of sizes) {
    const a = k.randn([n, n]);
    const b = k.randn([n, n]);
    const repeats = n >= 1024 ? 2 : n >= 512 ? 3 : 10;
    const ms = bestOf(() => a.matmul(b), repeats);
    console.log(row([n, ms.toFixed(2), ((2 * n ** 3) / (ms * 1e6)).toFixed(2)], [6, 10, 10]));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--backend');
  if (at > 0) k.setBackend(process.argv[at + 1]!);
  benchMatmul();
}
