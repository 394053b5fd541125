/** `kiln runs show <run>`: everything recorded about one run. */
import { ConfigError } from '../../tensor/errors.js';
import type { RunsContext } from './runs-context.js';
import { findRun } from './runs-context.js';
import { formatDuration, formatTime, formatValue, table } from './runs-format.js';

/** Prints one run; exit code 0. */
export async function runsShow({ store, values, args, log }: RunsContext): Promise<number> {
  if (args.length !== 1)
    throw new ConfigError('kiln runs show: give exactly one run (id, id prefix or name)');
  const run = await findRun(store, args[0]!);
  const summary = (await store.getRunSummary(run.id))!;
  const [keys, artifacts, system] = await Promise.all([
    store.metricKeys(run.id),
    store.listArtifacts(run.id),
    store.getSystemSamples(run.id),
  ]);
  if (values.json) {
    log(JSON.stringify({ ...summary, metricSeries: keys, artifacts, system }, null, 2));
    return 0;
  }
  const facts: [string, string][] = [
    ['id', run.id],
    ['name', run.name],
    ['experiment', run.experiment],
    ['status', run.status],
    ['started', formatTime(run.startTime)],
    ['ended', formatTime(run.endTime)],
    ['duration', formatDuration(run)],
    ['seed', formatValue(run.seed ?? undefined)],
    ['host', `${run.host} (pid ${run.pid})`],
    ['kiln', run.kilnVersion],
    ['git commit', run.gitCommit ?? '-'],
    ['run folder', run.runDir ?? '-'],
  ];
  for (const [k, v] of facts) log(`${k.padEnd(11)} ${v}`);
  const section = (title: string, header: string[], rows: string[][]) => {
    log(`\n${title}`);
    log(rows.length ? table(header, rows) : '  (none)');
  };
  section(
    'params',
    ['key', 'value'],
    Object.entries(summary.params).map(([k, v]) => [k, formatValue(v)]),
  );
  section(
    'tags',
    ['key', 'value'],
    Object.entries(summary.tags).map(([k, v]) => [k, v]),
  );
  section(
    'metrics',
    ['key', 'final', 'points', 'last step'],
    keys.map((m) => [
      m.key,
      formatValue(summary.metrics[m.key]),
      String(m.count),
      String(m.lastStep),
    ]),
  );
  section(
    'artifacts',
    ['path', 'bytes', 'sha256'],
    artifacts.map((a) => [a.path, String(a.size), a.sha256.slice(0, 16)]),
  );
  if (system.length) {
    const peak = Math.max(...system.map((s) => s.rss));
    const cpu = system.reduce((n, s) => n + s.cpuPercent, 0) / system.length;
    const rates = system.flatMap((s) => (s.samplesPerSecond === null ? [] : [s.samplesPerSecond]));
    const rate = rates.length
      ? `, ${formatValue(rates.reduce((a, b) => a + b, 0) / rates.length)} samples/s`
      : '';
    log(
      `\nsystem      ${system.length} samples: peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, CPU ${cpu.toFixed(0)}%${rate}`,
    );
  }
  return 0;
}
