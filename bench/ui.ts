/**
 * Dashboard benchmark, measured in real chromium (playwright-core, /usr/bin/chromium): time to the
 * first drawn chart of a run with 100,000 logged points, and time until a table of 10,000 runs is
 * on screen. Each figure is from navigation start to the page's "ready" mark (data fetched,
 * charts or rows drawn); cold = first visit after the server started, warm = median of 5 later
 * visits. The store is a fresh SQLite file filled through the store API.
 *
 * Run: npx tsx bench/ui.ts   (skipped with a note when chromium is missing)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openStore } from '../src/track/open.js';
import { startDashboard } from '../src/ui/server.js';
import { storeSource } from '../src/ui/store-source.js';
import { browserMissing, launch } from '../test/ui/browser.js';

const missing = browserMissing();
if (missing) {
  console.log(`skipped: ${missing}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-ui-'));
const store = await openStore(join(dir, 'kiln.db'));

let t = performance.now();
const big = await store.createRun({ experiment: 'bench-curve', name: 'curve-100k' });
const t0 = Date.now();
for (let chunk = 0; chunk < 100_000; chunk += 10_000) {
  const points = Array.from({ length: 10_000 }, (_, j) => {
    const i = chunk + j;
    return {
      key: 'loss',
      value: 2 * Math.exp(-i / 20_000) + 0.1 * Math.sin(i / 37),
      step: i,
      epoch: null,
      time: t0 + i,
    };
  });
  await store.logMetrics(big.id, points);
}
await store.endRun(big.id, 'finished');
console.log(`filled: 100,000 points in ${((performance.now() - t) / 1000).toFixed(1)} s`);

t = performance.now();
for (let i = 0; i < 10_000; i++) {
  const run = await store.createRun({ experiment: 'bench-table', name: `run-${i}` });
  await store.logParams(run.id, {
    lr: 10 ** -(1 + (i % 4)),
    batchSize: 16 << (i % 3),
    optimizer: i % 2 ? 'Adam' : 'SGD',
  });
  await store.logMetrics(run.id, [
    { key: 'val_accuracy', value: 0.5 + (i % 500) / 1000, step: 9, epoch: 9, time: t0 },
    { key: 'val_loss', value: 1 - (i % 500) / 1000, step: 9, epoch: 9, time: t0 },
  ]);
  await store.endRun(run.id, 'finished');
}
console.log(`filled: 10,000 runs in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const ui = await startDashboard({ source: storeSource(store), port: 0 });
const browser = await launch();
const page = await browser.newPage();

/** Milliseconds from navigation to the page's ready mark, plus a check of what was drawn. */
async function visit(p: Page, hash: string, check: string): Promise<number> {
  await p.goto('about:blank');
  const start = performance.now();
  await p.goto(`${ui.url}${hash}`);
  await p.waitForSelector(`main[data-ready] ${check}`, { timeout: 60_000 });
  return performance.now() - start;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cases = [
  {
    name: 'run page, 100,000-point curve',
    hash: `#/run/${big.id}`,
    check: '.chart[data-title="loss"] canvas',
  },
  {
    name: 'runs table, 10,000 runs',
    hash: '#/',
    check: '#runs-table[data-rows="10001"] tr[data-run-id]',
  },
];
console.log('\ncase                              cold ms   warm ms (median of 5)');
for (const c of cases) {
  const cold = await visit(page, c.hash, c.check);
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(await visit(page, c.hash, c.check));
  console.log(
    `${c.name.padEnd(32)} ${cold.toFixed(0).padStart(7)}   ${median(warm).toFixed(0).padStart(7)}`,
  );
}
const drawn = await page.goto(`${ui.url}#/run/${big.id}`).then(async () => {
  await page.waitForSelector('main[data-ready] .chart[data-title="loss"]');
  return page.$eval(
    '.chart[data-title="loss"]',
    (e) => (e as unknown as { dataset: Record<string, string> }).dataset,
  );
});
console.log(
  `curve: ${drawn.points} points drawn of ${drawn.total} logged (thinned on the server by LTTB)`,
);
const times: number[] = [];
let bytes = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  bytes = (await (await fetch(`${ui.url}api/runs`)).text()).length;
  times.push(performance.now() - start);
}
console.log(
  `GET /api/runs (10,001 runs): ${median(times).toFixed(0)} ms median of 5, ${(bytes / 1e6).toFixed(2)} MB`,
);
t = performance.now();
await store.listRuns();
console.log(`of which the store's listRuns(): ${(performance.now() - t).toFixed(0)} ms`);

await browser.close();
await ui.close();
rmSync(dir, { recursive: true, force: true });
