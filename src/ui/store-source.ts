/** The dashboard's view of a tracking store (SQLite or PostgreSQL): TrackStore -> DashboardSource. */

import { KilnError } from '../tensor/errors.js';
import { deleteRunFiles } from '../track/delete-files.js';
import { openStore } from '../track/open.js';
import type { RunSummary, StudyRecord, TrackStore, TrialRecord } from '../track/types.js';
import { ApiError } from './api.js';
import type { DashboardSource, UiRunRow, UiStudy, UiTrial } from './source.js';

function row(r: RunSummary): UiRunRow {
  return {
    id: r.id,
    experiment: r.experiment,
    name: r.name,
    status: r.status,
    startTime: r.startTime,
    endTime: r.endTime,
    params: r.params,
    metrics: r.metrics,
    tags: r.tags,
  };
}

function best(study: StudyRecord, trials: TrialRecord[]): number | null {
  const values = trials
    .filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value))
    .map((t) => t.value!);
  if (values.length === 0) return null;
  return study.direction === 'minimize' ? Math.min(...values) : Math.max(...values);
}

function uiStudy(study: StudyRecord, trials: TrialRecord[]): UiStudy {
  return {
    name: study.name,
    direction: study.direction,
    createdAt: study.createdAt,
    trials: trials.length,
    bestValue: best(study, trials),
  };
}

function uiTrial(t: TrialRecord): UiTrial {
  return {
    number: t.number,
    state: t.state,
    params: t.params,
    value: t.value,
    intermediate: t.intermediate,
    startTime: t.startTime,
    endTime: t.endTime,
    runId: t.runId,
  };
}

/** Store errors the user caused (a bad filter expression) become 400 answers with the message. */
async function userErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof KilnError) throw new ApiError(400, e.message);
    throw e;
  }
}

/**
 * The dashboard's reading port over an open TrackStore. Deleting a run also deletes its run
 * folder when the store created it (`ownsRunDir`), as `kiln runs delete` does.
 *
 * @example
 * ```ts
 * const source = storeSource(await openStore('runs/kiln.db'));
 * ```
 */
export function storeSource(store: TrackStore): DashboardSource {
  return {
    describe: () => `${store.kind} ${store.location}`,
    experiments: async () =>
      (await store.listExperiments()).map((e) => ({ id: e.id, name: e.name })),
    runs: async ({ experiment, filter }) =>
      (
        await userErrors(
          store.listRuns({
            ...(experiment ? { experiment } : {}),
            ...(filter ? { filter } : {}),
          }),
        )
      ).map(row),
    async run(id) {
      const r = await userErrors(store.getRunSummary(id));
      if (!r) return undefined;
      const [artifacts, metricKeys, samples] = await Promise.all([
        store.listArtifacts(r.id),
        store.metricKeys(r.id),
        store.getSystemSamples(r.id),
      ]);
      return {
        ...row(r),
        seed: r.seed,
        version: r.kilnVersion,
        gitCommit: r.gitCommit,
        host: r.host,
        config: r.config,
        runDir: r.runDir,
        artifacts: artifacts.map((a) => ({ path: a.path, size: a.size, sha256: a.sha256 })),
        metricKeys,
        system: {
          time: samples.map((s) => s.time),
          rss: samples.map((s) => s.rss),
          cpu: samples.map((s) => s.cpuPercent),
          samplesPerSecond: samples.map((s) => s.samplesPerSecond),
        },
      };
    },
    metricInfo: (id) => store.metricKeys(id),
    status: async (id) => (await store.getRun(id))?.status,
    async series(id, key, afterStep) {
      const points = await store.getMetrics(id, {
        keys: [key],
        ...(afterStep === undefined ? {} : { afterStep }),
      });
      return {
        step: Float64Array.from(points, (p) => p.step),
        time: Float64Array.from(points, (p) => p.time),
        value: Float64Array.from(points, (p) => p.value),
      };
    },
    async deleteRun(id) {
      const run = await store.getRun(id);
      if (!run || run.id !== id) throw new ApiError(404, `no run '${id}'`);
      // The same removal as `kiln runs delete`: the folder kiln created, else the artifacts.
      await deleteRunFiles(store, run);
      await store.deleteRun(id);
    },
    async studies() {
      const studies = await store.listStudies();
      return Promise.all(studies.map(async (s) => uiStudy(s, await store.listTrials(s.id))));
    },
    async study(name) {
      const s = await store.getStudy(name);
      if (!s) return undefined;
      const trials = await store.listTrials(s.id);
      return { study: uiStudy(s, trials), trials: trials.map(uiTrial) };
    },
    close: () => store.close(),
  };
}

/**
 * Opens the store a `--store` option (or KILN_STORE, or runs/kiln.db) names, for the dashboard.
 *
 * @example
 * ```ts
 * const source = await openDashboardSource('postgresql://kiln@db/kiln');
 * ```
 */
export async function openDashboardSource(spec?: string): Promise<DashboardSource> {
  return storeSource(await openStore(spec));
}
