/** `kiln runs compare <a> <b> ...`: params that differ and final metrics, side by side. */
import { ConfigError } from '../../tensor/errors.js';
import type { RunSummary } from '../../track/types.js';
import type { RunsContext } from './runs-context.js';
import { findRun } from './runs-context.js';
import { formatValue, table } from './runs-format.js';

/** Which params differ between runs (a param missing in some runs differs). */
export function differingParams(runs: readonly RunSummary[]): Set<string> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.params)));
  const differ = new Set<string>();
  for (const k of keys) {
    const seen = new Set(
      runs.map((r) => (k in r.params ? JSON.stringify(r.params[k]) : '<missing>')),
    );
    if (seen.size > 1) differ.add(k);
  }
  return differ;
}

/** Compares runs; exit code 0. */
export async function runsCompare({ store, values, args, log }: RunsContext): Promise<number> {
  if (args.length < 2) throw new ConfigError('kiln runs compare: give two or more runs');
  const runs: RunSummary[] = [];
  for (const ref of args) runs.push((await store.getRunSummary((await findRun(store, ref)).id))!);
  const differ = differingParams(runs);
  if (values.json) {
    log(JSON.stringify({ runs, differingParams: [...differ].sort() }, null, 2));
    return 0;
  }
  const header = ['', ...runs.map((r) => `${r.name} (${r.id.slice(0, 8)})`)];
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const sameCount = params.length - differ.size;
  log(`params that differ (${differ.size}; ${sameCount} equal params not shown)`);
  log(
    differ.size
      ? table(
          header,
          [...differ].sort().map((k) => [k, ...runs.map((r) => formatValue(r.params[k]))]),
        )
      : '  (none: all params are equal)',
  );
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  log('\nfinal metrics');
  log(
    metrics.length
      ? table(
          header,
          metrics.map((k) => [k, ...runs.map((r) => formatValue(r.metrics[k]))]),
        )
      : '  (none)',
  );
  log(`\nstatus: ${runs.map((r) => `${r.name} ${r.status}`).join(', ')}`);
  return 0;
}
