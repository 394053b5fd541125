/** `kiln runs [list]`: the runs table, filtered and sorted. */
import { ConfigError } from '../../tensor/errors.js';
import { fieldGetter } from '../../track/filter.js';
import type { RunSummary } from '../../track/types.js';
import type { RunsContext } from './runs-context.js';
import { formatDuration, formatTime, formatValue, table } from './runs-format.js';

/** Up to four metric keys most runs have, validation ones first. */
function defaultColumns(runs: readonly RunSummary[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs)
    for (const k of Object.keys(r.metrics)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const rank = (k: string) =>
    k.startsWith('val_')
      ? 0
      : k.startsWith('test_')
        ? 1
        : k.startsWith('batch_') || k === 'seconds' || k === 'lr'
          ? 3
          : 2;
  return [...counts.keys()]
    .sort((a, b) => rank(a) - rank(b) || counts.get(b)! - counts.get(a)! || a.localeCompare(b))
    .slice(0, 4)
    .map((k) => `metrics.${k}`);
}

/** Lists runs; exit code 0. */
export async function runsList({ store, values, args, log }: RunsContext): Promise<number> {
  if (args.length > 0) throw new ConfigError(`kiln runs list: unexpected argument '${args[0]}'`);
  let orderBy = values.sort;
  let descending = values.desc === true;
  if (orderBy?.endsWith(':desc') || orderBy?.endsWith(':asc')) {
    descending = orderBy.endsWith(':desc');
    orderBy = orderBy.slice(0, orderBy.lastIndexOf(':'));
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
    throw new ConfigError(`--limit: expected a positive integer, got '${values.limit}'`);
  const runs = await store.listRuns({
    ...(values.experiment ? { experiment: values.experiment } : {}),
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    ...(orderBy ? { orderBy, descending } : {}),
    ...(limit ? { limit } : {}),
  });
  if (values.json) {
    log(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    log(values.filter ? `no runs match '${values.filter}'` : `no runs in ${store.location}`);
    return 0;
  }
  const columns = values.columns
    ? values.columns
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
    : defaultColumns(runs);
  const getters = columns.map((c) => fieldGetter(c));
  const header = [
    'id',
    'name',
    'experiment',
    'status',
    'started',
    'duration',
    ...columns.map((c) => c.replace(/^metrics\./, '')),
  ];
  const rows = runs.map((r) => [
    r.id.slice(0, 8),
    r.name,
    r.experiment,
    r.status,
    formatTime(r.startTime),
    formatDuration(r),
    ...getters.map((g) => formatValue(g(r) ?? undefined)),
  ]);
  log(table(header, rows));
  log(`${runs.length} run${runs.length === 1 ? '' : 's'} in ${store.location}`);
  return 0;
}
