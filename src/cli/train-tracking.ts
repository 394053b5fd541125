/** How `kiln train` tracks its run: the glue between the train command and `k.track`. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { TrackingCallback } from '../track/callback.js';
import { flattenParams } from '../track/flatten.js';
import { openStore, resolveStore } from '../track/open.js';
import { type Run, startRun } from '../track/run.js';
import type { ParamValue } from '../track/types.js';
import type { Callback } from '../train/callback.js';
import type { TrainConfig } from './config.js';
import { RUN_FILES } from './run-dir.js';

/** The tracking of one `kiln train` run. */
export interface TrainTracking {
  /** The Trainer callback logging epochs (and every `logEvery` batches). */
  callback: Callback;
  /** Logs the test metrics (as `test_<key>`) and the run folder's files, then ends the run. */
  finish(test: Record<string, number> | null): Promise<void>;
  /** Marks the run failed and rethrows the error that failed it. */
  fail(error: unknown): Promise<never>;
}

export const NO_TRACKING: TrainTracking = {
  callback: {},
  finish: async () => undefined,
  fail: async (e) => {
    throw e;
  },
};

/** What `tracking.json` in a run folder holds. */
interface TrackingFile {
  store: string;
  runId: string;
}

/** The tracked run a resumed folder continues: the one `tracking.json` names, if it is in this store. */
async function previousRun(runDir: string, store: string): Promise<string | null> {
  const path = join(runDir, RUN_FILES.tracking);
  if (!existsSync(path)) return null;
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as Partial<TrackingFile>;
    if (typeof record.runId !== 'string' || typeof record.store !== 'string') return null;
    // The location is what openStore reports: an absolute SQLite path, or the URL without password.
    const opened = await openStore(store);
    try {
      if (opened.location !== record.store) return null;
      return (await opened.getRun(record.runId))?.id === record.runId ? record.runId : null;
    } finally {
      await opened.close();
    }
  } catch {
    return null;
  }
}

/**
 * Continues the tracked run of a resumed training. Params it already has keep their values (they
 * are immutable); what the resume changed (e.g. `--lr`) is recorded as `resume<N>.<key>` tags.
 */
async function resumeTrackedRun(
  store: string,
  runId: string,
  params: Record<string, ParamValue>,
): Promise<Run> {
  const run = await startRun({ store, resume: runId });
  const fresh: Record<string, ParamValue> = {};
  const changed: Record<string, string> = {};
  const resumes = Number((await run.store.getTags(run.id)).resumes ?? '0') + 1;
  for (const [key, value] of Object.entries(params)) {
    const before = run.loggedParams.get(key);
    const json = JSON.stringify(value ?? null);
    if (before === undefined) fresh[key] = value;
    else if (before !== json) changed[`resume${resumes}.${key}`] = json;
  }
  if (Object.keys(fresh).length) await run.logParams(fresh);
  await run.setTags({ ...changed, resumes: String(resumes), resumed: 'true' });
  return run;
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Starts tracking a `kiln train` run in the store (`store`, else KILN_STORE, else
 * `<output.dir>/kiln.db`): experiment = the config's name, run name = the run folder's name,
 * params = the flattened config. `KILN_TRACK=0` turns tracking off.
 */
export async function startTrainTracking(
  config: TrainConfig,
  runDir: string,
  options: { resume: boolean; store?: string; logEvery?: number; log: (line: string) => void },
): Promise<TrainTracking> {
  if (process.env.KILN_TRACK === '0') return NO_TRACKING;
  const store = resolveStore(options.store, config.output.dir);
  const params = flattenParams(config);
  const previous = options.resume ? await previousRun(runDir, store) : null;
  const run: Run = previous
    ? await resumeTrackedRun(store, previous, params)
    : await startRun({
        store,
        experiment: config.name,
        name: basename(runDir),
        params,
        tags: { source: 'kiln train', ...(options.resume ? { resumed: 'true' } : {}) },
        seed: config.seed,
        config,
        runDir,
        // A resumed run shares its folder with the run it continues: deleting it keeps the folder.
        ownsRunDir: !options.resume,
      });
  const record: TrackingFile = { store: run.store.location, runId: run.id };
  await writeFileAtomic(join(runDir, RUN_FILES.tracking), `${JSON.stringify(record, null, 2)}\n`);
  options.log(`tracking run ${run.id.slice(0, 8)} in ${run.store.location}`);
  let done = false;
  return {
    callback: new TrackingCallback({ run, logEvery: options.logEvery ?? 0 }),
    async finish(test) {
      if (test)
        run.logMetrics(Object.fromEntries(Object.entries(test).map(([k, v]) => [`test_${k}`, v])));
      const files = [
        ...[
          RUN_FILES.config,
          RUN_FILES.model,
          RUN_FILES.weights,
          RUN_FILES.metrics,
          RUN_FILES.report,
        ].map((f) => join(runDir, f)),
        ...(await filesUnder(join(runDir, RUN_FILES.checkpoints))),
      ];
      for (const f of files) if (existsSync(f) && relative(runDir, f)) await run.logArtifact(f);
      done = true;
      await run.end('finished');
    },
    async fail(error) {
      if (!done) await run.end('failed').catch(() => undefined);
      throw error;
    },
  };
}
