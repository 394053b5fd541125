/**
 * Elementwise throughput of the active backend through the public API (op layer, dispatch and
 * kernel together): nanoseconds per element for a few unary and binary primitives at sizes from
 * dispatch-bound (64) to memory-bound (2^20), float32, one thread. Best of several timed loops.
 * Run: npx tsx bench/elementwise.ts [--backend js|native] [--rounds n]
 */
import * as k from '../src/index.js';
import { bestOf, row } from './util.js';

type Case = readonly [name: string, run: (a: k.Tensor, b: k.Tensor) => k.Tensor];

const CASES: readonly Case[] = [
  ['relu', (a) => a.relu()],
  ['exp', (a) => a.exp()],
  ['gelu', (a) => k.F.gelu(a)],
  ['add', (a, b) => a.add(b)],
  ['mul row-bcast', (a, b) => a.mul(b.slice(0, 0, 1))],
  ['gt (bool)', (a, b) => a.gt(b)],
  ['where', (a, b) => k.where(a.gt(0), a, b)],
];

const SIZES = [64, 4096, 1 << 16, 1 << 20] as const;

/** ns per element of `run` on [size/64, 64] operands (best of `rounds` loops). */
function nsPerElement(run: Case[1], size: number, rounds: number): number {
  const a = k.randn([size / 64, 64]);
  const b = k.randn([size / 64, 64]);
  // Enough calls per timed loop that each loop covers ~2^22 elements.
  const calls = Math.max(1, Math.round((1 << 22) / size));
  const ms = bestOf(
    () => {
      for (let i = 0; i < calls; i++) run(a, b);
    },
    rounds,
    2,
  );
  return (ms * 1e6) / (calls * size);
}

export function benchElementwise(rounds = 5): void {
  k.setNumThreads(1);
  console.log(`elementwise float32, ns/element, backend ${k.getBackend()}, 1 thread`);
  const widths = [14, ...SIZES.map(() => 10)];
  console.log(row(['op \\ size', ...SIZES], widths));
  for (const [name, run] of CASES) {
    const cells = SIZES.map((n) => nsPerElement(run, n, rounds).toFixed(2));
    console.log(row([name, ...cells], widths));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--backend');
  if (at > 0) k.setBackend(process.argv[at + 1]!);
  const r = process.argv.indexOf('--rounds');
  benchElementwise(r > 0 ? Number(process.argv[r + 1]) : 5);
}
