/**
 * `npm run bench`: the benchmark suite. Results and ratios are recorded in docs/benchmarks.md.
 */
import * as k from '../src/index.js';
import { benchMatmul } from './matmul.js';
import { benchMemory } from './memory.js';

console.log(
  `kiln benchmarks: node ${process.version}, ${process.arch}, backend ${k.getBackend()}\n`,
);
k.setBackend('js');
benchMatmul([128, 256, 512, 1024]);
console.log();
benchMemory(20000);
