/**
 * `npm run bench`: every benchmark, each in its own process (so peak RSS and JIT state are per
 * benchmark), side by side with the peers where they are installed. Results and ratios are
 * recorded in docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

const node = process.execPath;

function run(title: string, script: string, args: string[] = []): void {
  console.log(`\n=== ${title} ===`);
  const result = spawnSync(node, ['--import', 'tsx', script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, KILN_QUIET: '1' },
  });
  if (result.status !== 0) console.log(`(${script} exited with ${result.status})`);
}

console.log(
  `kiln benchmarks: node ${process.version}, ${process.arch}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(
  `load average at start: ${loadavg()[0]!.toFixed(1)} (above ~0.5, other jobs skew the figures, two-thread ones most)`,
);
run('GEMM: kiln native vs OpenBLAS (float32)', 'bench/gemm.ts');
run('matmul on the js backend', 'bench/matmul.ts', ['--backend', 'js']);
run('elementwise ns/element on the default backend', 'bench/elementwise.ts');
run('elementwise ns/element on the js backend', 'bench/elementwise.ts', ['--backend', 'js']);
run('MLP training vs PyTorch, streamed batches', 'bench/mlp.ts');
run('CNN training and inference vs PyTorch, streamed batches', 'bench/cnn.ts');
run('peak memory of MLP training (kiln vs PyTorch)', 'bench/mlp-rss.ts');
run('memory over 20,000 steps', 'bench/memory.ts');
run(
  'data-parallel scaling: processes, all-reduce bandwidth, overlap (Gloo)',
  'bench/distributed.ts',
);
run(
  'dashboard: time to first chart (100k points) and to a 10,000-run table, in chromium',
  'bench/ui.ts',
);
run('tracking: logging overhead and metric points per second', 'bench/track.ts');
run('inference: kiln forward vs onnxruntime-node (exported ONNX)', 'bench/onnx.ts');
