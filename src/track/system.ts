import type { SystemSample } from './types.js';

/**
 * Samples the process's resources at most every `intervalMs`: resident memory, CPU time over
 * wall time since the previous sample (percent of one core; above 100 with worker threads), and
 * the training throughput counted with `count`.
 */
export class SystemSampler {
  private lastTime = performance.now();
  private lastCpu = process.cpuUsage();
  private samples = 0;

  constructor(private readonly intervalMs: number) {}

  /** Adds trained samples since the last call. */
  count(n: number): void {
    this.samples += n;
  }

  /** A sample when the interval has passed since the last one . */
  sampleIfDue(now = performance.now()): SystemSample | null {
    const elapsed = now - this.lastTime;
    if (elapsed < this.intervalMs) return null;
    const cpu = process.cpuUsage(this.lastCpu);
    const sample: SystemSample = {
      time: Date.now(),
      rss: process.memoryUsage.rss(),
      cpuPercent: elapsed > 0 ? ((cpu.user + cpu.system) / 1000 / elapsed) * 100 : 0,
      samplesPerSecond: this.samples > 0 && elapsed > 0 ? this.samples / (elapsed / 1000) : null,
    };
    this.lastTime = now;
    this.lastCpu = process.cpuUsage();
    this.samples = 0;
    return sample;
  }
}
