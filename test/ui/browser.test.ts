/// <reference lib="dom" />
// The dashboard in a real browser (chromium via playwright-core) against a store of real iris
// trainings: runs table, run page curves, comparison, a live run, and the token guard of
// `kiln ui --host 0.0.0.0`. Screenshots go to test-output/ui/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { TrackStore } from '../../src/track/types.js';
import { type Dashboard, startDashboard } from '../../src/ui/server.js';
import { storeSource } from '../../src/ui/store-source.js';
import {
  browserMissing,
  canvasInk,
  launch,
  SHOTS,
  trainFixture,
  watchProblems,
} from './browser.js';
import { openStore, request } from './helpers.js';

const skip = browserMissing();
if (skip) console.log(`# skipping the dashboard browser tests: ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'kiln-ui-browser-'));
const db = join(dir, 'kiln.db');
const runs = join(dir, 'runs');
let store: TrackStore;
let ui: Dashboard;
let browser: BrowserContext;
let page: Page;
let problems: string[];
const ids: Record<string, string> = {};

describe('dashboard in chromium', { skip }, () => {
  before(async () => {
    const [a, b] = await Promise.all([
      trainFixture([db, runs, 'iris-lr-0.01', '0.01', '12']).done,
      trainFixture([db, runs, 'iris-lr-0.1', '0.1', '12']).done,
    ]);
    ids.slow = a;
    ids.fast = b;
    store = await openStore(db);
    const evil = await store.createRun({ experiment: 'iris', name: '<img src=x id=pwned>' });
    await store.logParams(evil.id, { note: '<script>window.pwned=1</script>' });
    await store.endRun(evil.id, 'failed');
    ui = await startDashboard({ source: storeSource(await openStore(db)), port: 0, pollMs: 300 });
    browser = await launch();
    page = await browser.newPage();
    problems = await watchProblems(page);
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the runs table, sorts, filters, and renders stored text as text', async () => {
    await page.goto(ui.url);
    await page.waitForSelector('main[data-ready] #runs-table');
    assert.equal(await page.$eval('#runs-table', (t) => (t as HTMLElement).dataset.rows), '3');
    const names = () =>
      page.$$eval('#runs-table tr[data-run-id] td:nth-child(2)', (tds) =>
        tds.map((t) => t.textContent),
      );
    assert.ok((await names()).includes('<img src=x id=pwned>'), 'the name is shown as text');
    assert.equal(await page.$('#pwned'), null, 'no element was injected');
    assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
    await page.click('th[data-col="metrics.val_accuracy"]');
    await page.click('th[data-col="params.optimizer.lr"]');
    assert.deepEqual((await names()).slice(0, 2), ['iris-lr-0.01', 'iris-lr-0.1']);
    await page.click('th[data-col="params.optimizer.lr"]');
    assert.deepEqual((await names()).slice(0, 2), ['iris-lr-0.1', 'iris-lr-0.01']);
    await page.fill('#filter', 'params.optimizer.lr < 0.05 and metrics.val_accuracy > 0');
    await page.press('#filter', 'Enter');
    await page.waitForFunction(
      () => document.querySelector('#runs-table')?.getAttribute('data-rows') === '1',
    );
    assert.deepEqual(await names(), ['iris-lr-0.01']);
    await page.fill('#filter', 'params.optimizer.lr <');
    await page.press('#filter', 'Enter');
    await page.waitForSelector('#runs-message.error');
    await page.screenshot({ path: join(SHOTS, 'runs-filter-error.png') });
    await page.fill('#filter', '');
    await page.press('#filter', 'Enter');
    await page.waitForFunction(
      () => document.querySelector('#runs-table')?.getAttribute('data-rows') === '3',
    );
    await page.screenshot({ path: join(SHOTS, 'runs.png') });
  });

  it('opens a run page whose loss curve holds every logged point', async () => {
    await page.click(`tr[data-run-id="${ids.fast}"] a`);
    await page.waitForSelector('main[data-ready] .chart[data-title="loss"][data-points]');
    const logged = (await store.metricKeys(ids.fast)).find((m) => m.key === 'loss')!.count;
    assert.equal(logged, 12 * 8, '8 batches of 16 flowers per epoch');
    const loss = '.chart[data-title="loss"]';
    assert.equal(await page.$eval(loss, (e) => (e as HTMLElement).dataset.points), String(logged));
    assert.ok((await canvasInk(page, `${loss} canvas`)) > 500, 'the curve is drawn');
    assert.equal(
      await page.$eval(
        '.chart[data-title="learning rate"]',
        (e) => (e as HTMLElement).dataset.points,
      ),
      '12',
    );
    assert.match(await page.$eval('#params', (t) => t.textContent ?? ''), /optimizer\.lr\s*0\.1/);
    assert.match(await page.$eval('#config', (t) => t.textContent ?? ''), /lr: 0\.1/);
    await page.waitForFunction(() => {
      const img = document.querySelector('.images img') as HTMLImageElement | null;
      return img?.complete && img.naturalWidth > 0;
    });
    await page.check('#log-scale');
    await page.waitForFunction(
      () =>
        document.querySelector('.chart[data-title="loss"]')?.getAttribute('data-points') !== '0',
    );
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
    const files = await page.$$eval('#files a', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(files.some((f) => f?.endsWith('/files/confusion-matrix.svg')));
  });

  it('compares two runs: overlaid curves, params differences, parallel coordinates', async () => {
    await page.goto(`${ui.url}#/compare/${ids.slow},${ids.fast}`);
    await page.waitForSelector('main[data-ready]');
    assert.equal(
      await page.$eval('.chart[data-title="loss"]', (e) => (e as HTMLElement).dataset.series),
      '2',
    );
    assert.ok((await canvasInk(page, '.chart[data-title="loss"] canvas')) > 500);
    const diff = await page.$$eval('#compare-params tr.diff', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.key),
    );
    assert.deepEqual(diff, ['optimizer.lr']);
    assert.ok((await canvasInk(page, '#parcoords canvas')) > 200, 'parallel coordinates drawn');
    assert.equal(await page.$eval('#parcoords', (e) => (e as HTMLElement).dataset.lines), '2');
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
  });

  it('updates a live run without a reload while it trains', async () => {
    const stop = join(dir, 'stop-live');
    const live = trainFixture([db, runs, 'iris-live', '0.05', '5000', stop]);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      const found = (await store.listRuns({ filter: "name = 'iris-live'" }))[0];
      if (found && Object.keys(found.metrics).length > 0) id = found.id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(id, 'the live run started logging');
    await page.goto(`${ui.url}#/run/${id}`);
    await page.waitForSelector('main[data-ready] .chart[data-title="loss"]');
    assert.equal(await page.$eval('#run-status .status', (e) => e.textContent), 'running');
    const total = () =>
      page.$eval('.chart[data-title="loss"]', (e) => Number((e as HTMLElement).dataset.total));
    const first = await total();
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('.chart[data-title="loss"]')?.getAttribute('data-total')) > n,
      first,
      { timeout: 30_000 },
    );
    const grown = await total();
    assert.ok(grown > first, `${grown} > ${first}`);
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    writeFileSync(stop, '');
    await live.done;
    await page.waitForSelector('#run-status .status[data-status="finished"]', { timeout: 30_000 });
    assert.deepEqual(problems, [], 'no CSP violation or script error');
  });

  it('shows a tuning study: history, importance, parallel coordinates, pruned trials', async () => {
    // Trials written through the store as a tuner records them (the objective depends on lr only).
    const study = await store.createStudy({ name: 'iris-tune', direction: 'maximize' });
    for (let n = 0; n < 8; n++) {
      const trial = await store.createTrial(study.id);
      const lr = 10 ** -(1 + (n % 4));
      await store.updateTrial(trial.id, { params: { lr, hidden: 8 << (n % 3) } });
      const pruned = n >= 4 && n % 2 === 0;
      for (let step = 0; step < (pruned ? 2 : 5); step++)
        await store.reportIntermediate(trial.id, step, 0.5 + step * 0.05 + lr);
      await store.updateTrial(trial.id, {
        state: pruned ? 'pruned' : 'complete',
        value: pruned ? null : 0.7 + lr,
        endTime: Date.now(),
      });
    }
    await page.goto(`${ui.url}#/studies`);
    await page.waitForSelector('main[data-ready] #studies');
    await page.click('#studies a');
    await page.waitForSelector('main[data-ready] #history');
    assert.equal(await page.$eval('#history', (e) => (e as HTMLElement).dataset.points), '12');
    assert.ok((await canvasInk(page, '#history canvas')) > 100);
    assert.equal(await page.$eval('#intermediate', (e) => (e as HTMLElement).dataset.pruned), '2');
    const ranking = await page.$$eval('#importance th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(ranking, ['lr', 'hidden'], 'lr explains the objective');
    assert.ok((await canvasInk(page, '#study-parcoords canvas')) > 100);
    await page.screenshot({ path: join(SHOTS, 'study.png'), fullPage: true });
  });
});

describe('kiln ui --host 0.0.0.0', { skip }, () => {
  it('refuses requests without the token; the printed link opens the page', async () => {
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, '../../bin/kiln.mjs'),
        'ui',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--store',
        db,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /open (http\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`kiln ui exited with ${code}: ${out}`)));
      });
      const { port, searchParams } = new URL(url);
      assert.ok(searchParams.get('token'), 'the printed link carries the token');
      assert.equal((await request(Number(port), '/')).status, 401);
      assert.equal((await request(Number(port), '/api/runs')).status, 401);
      const b = await launch();
      try {
        const p = await b.newPage();
        await p.goto(url.replace('0.0.0.0', '127.0.0.1'));
        await p.waitForSelector('main[data-ready] #runs-table');
        assert.ok(!p.url().includes('token='), 'the token is taken out of the address bar');
      } finally {
        await b.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });
});
