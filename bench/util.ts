/** Shared timing helpers for the benchmarks (never used by tests). */

/** Best wall time in milliseconds over `repeats` runs after `warmup` runs. */
export function bestOf(fn: () => void, repeats: number, warmup = 1): number {
  for (let i = 0; i < warmup; i++) fn();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 1048576;
}

/** Formats a row of cells padded to fixed widths. */
export function row(cells: (string | number)[], widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 10)).join('  ');
}

/**
 * Waits before a contender's timed round in alternating rounds: the idle threads of the one
 * before (onnxruntime's, OpenMP's and kiln's pools spin a while after work) would otherwise hold
 * a core into it. Without the pause kiln's batch-64 inference rounds measured 1.5-2.5x slower
 * right after onnxruntime's 2-thread ones.
 */
export function settle(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
