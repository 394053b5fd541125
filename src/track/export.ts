import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { ValueError } from '../tensor/errors.js';
import { eventFile } from './tfevents.js';
import type { RunSummary, TrackStore } from './types.js';

/** Formats of `kiln runs export`. */
export type ExportFormat = 'tensorboard' | 'csv';

/** A folder or file name made of safe characters only (run names come from users). */
export function safeName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 100) || '_';
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * Writes runs' metrics for other tools. `tensorboard`: `<out>/<experiment>/<run>-<id8>/events.out.tfevents.<secs>.<host>`,
 * so `tensorboard --logdir <out>` shows each run; `csv`: one long-format file per run
 * (`key,step,epoch,value,wall_time`) and `runs.csv` with every run's params and final metrics.
 * Files are written atomically. Returns the paths written.
 *
 * @example
 * ```ts
 * const store = await k.track.openStore();
 * await k.track.exportRuns(store, await store.listRuns(), { format: 'tensorboard', out: 'tb' });
 * ```
 */
export async function exportRuns(
  store: TrackStore,
  runs: readonly RunSummary[],
  options: { format: ExportFormat; out: string },
): Promise<string[]> {
  const { format, out } = options;
  if (format !== 'tensorboard' && format !== 'csv')
    throw new ValueError(`export: --format must be tensorboard or csv, got '${format}'`);
  const written: string[] = [];
  for (const run of runs) {
    const points = await store.getMetrics(run.id);
    const label = `${safeName(run.name)}-${run.id.slice(0, 8)}`;
    if (format === 'tensorboard') {
      const dir = join(out, safeName(run.experiment), label);
      await mkdir(dir, { recursive: true });
      const file = join(
        dir,
        `events.out.tfevents.${Math.floor(run.startTime / 1000)}.${safeName(hostname())}`,
      );
      await writeFileAtomic(file, eventFile(points, run.startTime));
      written.push(file);
    } else {
      await mkdir(out, { recursive: true });
      const file = join(out, `${label}.csv`);
      const lines = ['key,step,epoch,value,wall_time'];
      for (const p of points)
        lines.push(
          [p.key, p.step, p.epoch, p.value, new Date(p.time).toISOString()].map(csvCell).join(','),
        );
      await writeFileAtomic(file, `${lines.join('\n')}\n`);
      written.push(file);
    }
  }
  if (format === 'csv') {
    const params = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
    const head = ['id', 'name', 'experiment', 'status', 'start_time', 'end_time'];
    const lines = [
      [...head, ...params.map((p) => `params.${p}`), ...metrics.map((m) => `metrics.${m}`)]
        .map(csvCell)
        .join(','),
    ];
    for (const r of runs) {
      const times = [r.startTime, r.endTime].map((t) =>
        t === null ? '' : new Date(t).toISOString(),
      );
      const row = [
        r.id,
        r.name,
        r.experiment,
        r.status,
        ...times,
        ...params.map((p) => r.params[p]),
        ...metrics.map((m) => r.metrics[m]),
      ];
      lines.push(row.map(csvCell).join(','));
    }
    const file = join(out, 'runs.csv');
    await writeFileAtomic(file, `${lines.join('\n')}\n`);
    written.push(file);
  }
  return written;
}
