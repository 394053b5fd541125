/// <reference lib="dom" />
// The dashboard in a real browser (chromium via playwright-core) against a store of real iris
// trainings: runs table, run page curves, comparison, a live run, and the token guard of
// `kiln ui --host 0.0.0.0`. Screenshots go to test-output/ui/.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
  kiln,
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

/** `kiln train` of the iris MLP, tracked in the test store with every batch logged. */
function train(name: string, lr: string, epochs: string) {
  const args = ['train', 'examples/iris.yaml', '--name', name, '--lr', lr, '--epochs', epochs];
  return kiln([...args, '--out', runs, '--store', db, '--log-every', '1']);
}

async function runId(name: string): Promise<string | undefined> {
  return (await store.listRuns()).find((r) => r.name === name)?.id;
}

const dataset = (selector: string, field: string) =>
  page.$eval(selector, (e, f) => (e as HTMLElement).dataset[f], field);

describe('dashboard in chromium', { skip }, () => {
  before(async () => {
    await Promise.all([
      train('iris-slow', '0.01', '12').done,
      train('iris-fast', '0.1', '12').done,
      trainFixture([db, runs, 'iris-library', '0.05', '12']).done,
    ]);
    // Stale heartbeats turn into "killed" after 6 s here (default 120 s).
    store = await openStore(db, { staleAfterMs: 6000 });
    for (const name of ['iris-slow', 'iris-fast', 'iris-library']) ids[name] = (await runId(name))!;
    const evil = await store.createRun({ experiment: 'iris', name: '<img src=x id=pwned>' });
    await store.logParams(evil.id, { note: '<script>window.pwned=1</script>' });
    await store.endRun(evil.id, 'failed');
    const source = storeSource(await openStore(db, { staleAfterMs: 6000 }));
    ui = await startDashboard({ source, port: 0, pollMs: 300 });
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

  it('shows the runs table: columns, sort, filter, stored text as text', async () => {
    await page.goto(ui.url);
    await page.waitForSelector('main[data-ready] #runs-table');
    assert.equal(await dataset('#runs-table', 'rows'), '4');
    const names = () =>
      page.$$eval('#runs-table tr[data-run-id] td:nth-child(2)', (tds) =>
        tds.map((t) => t.textContent),
      );
    assert.ok((await names()).includes('<img src=x id=pwned>'), 'the name is shown as text');
    assert.equal(await page.$('#pwned'), null, 'no element was injected');
    assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined);
    await page.click('details.columns summary');
    if (!(await page.isChecked('input[data-column="params.optimizer.lr"]')))
      await page.check('input[data-column="params.optimizer.lr"]');
    await page.click('details.columns summary');
    await page.click('th[data-col="params.optimizer.lr"]');
    if ((await page.getAttribute('th[data-col="params.optimizer.lr"]', 'class'))?.includes('desc'))
      await page.click('th[data-col="params.optimizer.lr"]');
    assert.deepEqual((await names()).slice(0, 3), ['iris-slow', 'iris-library', 'iris-fast']);
    await page.click('th[data-col="params.optimizer.lr"]');
    assert.deepEqual((await names()).slice(0, 3), ['iris-fast', 'iris-library', 'iris-slow']);
    await page.fill('#filter', 'params.optimizer.lr < 0.05 and metrics.accuracy > 0');
    await page.press('#filter', 'Enter');
    await page.waitForFunction(
      () => document.querySelector('#runs-table')?.getAttribute('data-rows') === '1',
    );
    assert.deepEqual(await names(), ['iris-slow']);
    await page.fill('#filter', 'params.optimizer.lr <');
    await page.press('#filter', 'Enter');
    await page.waitForSelector('#runs-message.error');
    await page.screenshot({ path: join(SHOTS, 'runs-filter-error.png') });
    await page.fill('#filter', '');
    await page.press('#filter', 'Enter');
    await page.waitForFunction(
      () => document.querySelector('#runs-table')?.getAttribute('data-rows') === '4',
    );
    await page.screenshot({ path: join(SHOTS, 'runs.png') });
  });

  it('opens a kiln train run: curves hold every logged point, files download', async () => {
    await page.click(`tr[data-run-id="${ids['iris-fast']}"] a`);
    await page.waitForSelector('main[data-ready] .chart[data-title="loss"][data-points]');
    const counts = Object.fromEntries(
      (await store.metricKeys(ids['iris-fast']!)).map((m) => [m.key, m.count]),
    );
    assert.equal(counts.batch_loss, 12 * 8, '8 batches of 16 flowers per epoch, all logged');
    const loss = '.chart[data-title="loss"]';
    assert.equal(await dataset(loss, 'points'), String(counts.loss! + counts.batch_loss!));
    assert.ok((await canvasInk(page, `${loss} canvas`)) > 500, 'the curve is drawn');
    assert.equal(
      await dataset('.chart[data-title="learning rate"]', 'points'),
      String(counts.lr! + counts.batch_lr!),
    );
    assert.match(await page.$eval('#params', (t) => t.textContent ?? ''), /optimizer\.lr\s*0\.1/);
    assert.match(await page.$eval('#config', (t) => t.textContent ?? ''), /lr: 0\.1/);
    const href = await page.$eval('#files a[href$="/files/model.safetensors"]', (a) =>
      a.getAttribute('href'),
    );
    const size = await page.evaluate(
      (h) =>
        fetch(h!)
          .then((r) => r.arrayBuffer())
          .then((b) => b.byteLength),
      href,
    );
    const artifact = (await store.listArtifacts(ids['iris-fast']!)).find(
      (a) => a.path === 'model.safetensors',
    );
    assert.equal(size, artifact?.size);
    // Drag over the middle of the loss chart: the page asks the server for that range only.
    const total = Number(await dataset(loss, 'points'));
    const box = (await page.$(`${loss} .u-over`))!;
    const r = (await box.boundingBox())!;
    await page.mouse.move(r.x + r.width * 0.3, r.y + r.height / 2);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width * 0.6, r.y + r.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(
      ([sel, n]) =>
        Number(document.querySelector(sel as string)?.getAttribute('data-points')) < (n as number),
      [loss, total] as const,
    );
    await page.dblclick(`${loss} .u-over`);
    await page.waitForFunction(
      ([sel, n]) =>
        Number(document.querySelector(sel as string)?.getAttribute('data-points')) === n,
      [loss, total] as const,
    );
    await page.selectOption('#x-axis', 'time');
    await page.waitForFunction(
      (sel) => Number(document.querySelector(sel)?.getAttribute('data-x-max')) > 1e9,
      loss,
    );
    assert.equal(Number(await dataset(loss, 'points')), total, 'the same points against wall time');
    await page.selectOption('#x-axis', 'step');
    await page.check('#log-scale');
    await page.waitForFunction(
      () =>
        document.querySelector('.chart[data-title="loss"]')?.getAttribute('data-points') !== '0',
    );
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
  });

  it("shows a run folder's images (a confusion matrix written by a library run)", async () => {
    await page.goto(`${ui.url}#/run/${ids['iris-library']}`);
    await page.waitForSelector('main[data-ready]');
    await page.waitForFunction(() => {
      const img = document.querySelector('.images img') as HTMLImageElement | null;
      return img?.complete && img.naturalWidth > 0;
    });
  });

  it('compares two runs: overlaid curves, params differences, parallel coordinates', async () => {
    await page.goto(`${ui.url}#/compare/${ids['iris-slow']},${ids['iris-fast']}`);
    await page.waitForSelector('main[data-ready]');
    assert.equal(
      await dataset('.chart[data-title="loss"]', 'series'),
      '4',
      'loss and batch_loss of each',
    );
    assert.ok((await canvasInk(page, '.chart[data-title="loss"] canvas')) > 500);
    const diff = await page.$$eval('#compare-params tr.diff', (rows) =>
      rows.map((r) => (r as HTMLElement).dataset.key),
    );
    assert.deepEqual(diff, ['name', 'optimizer.lr']);
    assert.ok((await canvasInk(page, '#parcoords canvas')) > 200, 'parallel coordinates drawn');
    assert.equal(await dataset('#parcoords', 'lines'), '2');
    assert.ok((await canvasInk(page, '#scatter canvas')) > 50, 'scatter drawn');
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
  });

  it('updates a live kiln train run without a reload; a killed run shows as killed', async () => {
    const live = train('iris-live', '0.05', '3000');
    live.done.catch(() => undefined);
    let id: string | undefined;
    for (let i = 0; i < 600 && !id; i++) {
      const found = (await store.listRuns()).find((r) => r.name === 'iris-live');
      if (found && Object.keys(found.metrics).length > 0) id = found.id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(id, 'the live run started logging');
    await page.goto(`${ui.url}#/run/${id}`);
    await page.waitForSelector('main[data-ready] .chart[data-title="loss"]');
    assert.equal(await page.$eval('#run-status .status', (e) => e.textContent), 'running');
    const first = Number(await dataset('.chart[data-title="loss"]', 'total'));
    await page.waitForFunction(
      (n) =>
        Number(document.querySelector('.chart[data-title="loss"]')?.getAttribute('data-total')) > n,
      first,
      { timeout: 30_000 },
    );
    assert.ok(Number(await dataset('.chart[data-title="loss"]', 'total')) > first);
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    live.child.kill('SIGKILL');
    await page.waitForSelector('#run-status .status[data-status="killed"]', { timeout: 30_000 });
    const samples = (await store.getSystemSamples(id)).length;
    if (samples > 0) {
      await page.reload();
      await page.waitForSelector('main[data-ready]');
      assert.equal(await dataset('.chart[data-title="RSS (MB)"]', 'points'), String(samples));
    }
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
