/**
 * Tracking costs: (1) logging every batch of an MNIST-shaped MLP epoch (784-128-10, Adam,
 * batch 128, 60,000 samples), as a share of the epoch's time, measured two ways: the direct
 * cost of the logging calls and their writes, and epochs with and without TrackingCallback
 * (interleaved rounds, medians); (2) metric points written per second through `k.track` runs
 * to SQLite and to PostgreSQL (a private cluster, or KILN_BENCH_PG_URL).
 * Run: npx tsx bench/track.ts [--samples N] [--points N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k from '../src/index.js';
import { startPostgres } from '../test/track/postgres.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SAMPLES = arg('--samples', 60_000);
const POINTS = arg('--points', 200_000);
const BATCH = 128;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Seconds of one training epoch, from the first callback's epoch start to the last one's epoch end (run start and end excluded). */
async function epochSeconds(
  data: k.data.TensorDataset<[k.Tensor, k.Tensor]>,
  callbacks: k.train.Callback[],
): Promise<number> {
  k.manualSeed(0);
  const model = new k.nn.Sequential(
    new k.nn.Linear(784, 128),
    new k.nn.ReLU(),
    new k.nn.Linear(128, 10),
  );
  let start = 0;
  let seconds = 0;
  const trainer = new k.train.Trainer({
    model,
    optimizer: new k.optim.Adam(model.parameters(), { lr: 1e-3 }),
    loss: k.F.crossEntropy,
    callbacks: [
      {
        onEpochBegin: () => {
          start = performance.now();
        },
      },
      ...callbacks,
      {
        onEpochEnd: () => {
          seconds = (performance.now() - start) / 1000;
        },
      },
    ],
  });
  const loader = new k.data.DataLoader(data, { batchSize: BATCH, shuffle: true, seed: 0 });
  await trainer.fit(loader, { epochs: 1 });
  return seconds;
}

/** The time of what TrackingCallback does per batch with logEvery 1 (two points), plus writing them. */
async function directCostPerBatch(store: k.track.TrackStore, batches: number): Promise<number> {
  const run = await k.track.startRun({ experiment: 'bench', store, systemIntervalMs: 5000 });
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    run.countSamples(BATCH);
    run.logMetric('batch_loss', 2.3 / (b + 1), b);
    run.logMetric('batch_lr', 1e-3, b);
  }
  run.logMetrics({ loss: 0.3, accuracy: 0.9, lr: 1e-3 }, batches);
  await run.flush();
  const ms = performance.now() - start;
  await run.end();
  return ms / batches;
}

async function loggingOverhead(dir: string): Promise<void> {
  k.manualSeed(0);
  const data = new k.data.TensorDataset(k.rand([SAMPLES, 784]), k.randint(0, 10, [SAMPLES]));
  const batches = Math.ceil(SAMPLES / BATCH);
  const store = await k.track.openStore(join(dir, 'overhead.db'));
  const plain: number[] = [];
  const tracked: number[] = [];
  const direct: number[] = [];
  await epochSeconds(data, []); // warm up
  for (let round = 0; round < 3; round++) {
    plain.push(await epochSeconds(data, []));
    tracked.push(
      await epochSeconds(data, [
        new k.track.TrackingCallback({ experiment: 'bench', store, logEvery: 1 }),
      ]),
    );
    direct.push(await directCostPerBatch(store, batches));
  }
  await store.close();
  const epoch = median(plain);
  const perBatchMs = median(direct);
  console.log(
    `MLP epoch (784-128-10, Adam, batch ${BATCH}, ${SAMPLES} samples, ${batches} batches, backend ${k.getBackend()})`,
  );
  console.log(`  epoch without tracking            ${epoch.toFixed(3)} s (median of 3)`);
  console.log(
    `  logging every batch, direct cost  ${(perBatchMs * 1000).toFixed(1)} us/batch = ${((perBatchMs * batches) / 10 / epoch).toFixed(2)}% of the epoch (goal < 2%)`,
  );
  console.log(
    `  epoch with TrackingCallback(logEvery 1) ${median(tracked).toFixed(3)} s: ${(((median(tracked) - epoch) / epoch) * 100).toFixed(1)}% (A/B of whole epochs, medians of 3 interleaved rounds; within noise on a shared machine)`,
  );
}

async function pointsPerSecond(store: string, label: string): Promise<void> {
  const s = await k.track.openStore(store);
  try {
    const run = await k.track.startRun({ experiment: 'throughput', store: s, systemIntervalMs: 0 });
    const start = performance.now();
    for (let i = 0; i < POINTS; i++) run.logMetric(i % 2 ? 'loss' : 'accuracy', i * 1e-6, i >> 1);
    await run.end();
    const seconds = (performance.now() - start) / 1000;
    const stored = (await s.metricKeys(run.id)).reduce((n, m) => n + m.count, 0);
    if (stored !== POINTS) throw new Error(`${label}: ${stored} points stored of ${POINTS}`);
    console.log(
      `  ${label.padEnd(12)} ${(POINTS / seconds).toFixed(0).padStart(9)} points/s (${POINTS} points through run.logMetric, batches of 2000)`,
    );
  } finally {
    await s.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-track-'));
try {
  await loggingOverhead(dir);
  console.log('Metric points written per second');
  await pointsPerSecond(join(dir, 'throughput.db'), 'SQLite');
  const given = process.env.KILN_BENCH_PG_URL;
  if (given) await pointsPerSecond(given, 'PostgreSQL');
  else {
    try {
      const server = await startPostgres();
      try {
        await pointsPerSecond(await server.createDatabase(), 'PostgreSQL');
      } finally {
        await server.stop();
      }
    } catch (e) {
      console.log(`  PostgreSQL   skipped: ${(e as Error).message.split('\n')[0]}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
