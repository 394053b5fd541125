/** How `kiln train` tracks its run: the glue between the train command and `k.track`. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { TrackingCallback } from '../track/callback.js';
import { flattenParams } from '../track/flatten.js';
import { resolveStore } from '../track/open.js';
import { type Run, startRun } from '../track/run.js';
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
  const run: Run = await startRun({
    store,
    experiment: config.name,
    name: basename(runDir),
    params: flattenParams(config),
    tags: { source: 'kiln train', ...(options.resume ? { resumed: 'true' } : {}) },
    seed: config.seed,
    config,
    runDir,
    // A resumed run shares its folder with the run it continues: deleting it keeps the folder.
    ownsRunDir: !options.resume,
  });
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
