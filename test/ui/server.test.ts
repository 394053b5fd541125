import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrackStore } from '../../src/track/types.js';
import { type Dashboard, startDashboard } from '../../src/ui/server.js';
import { storeSource } from '../../src/ui/store-source.js';
import { logRun, openStore, request } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-ui-server-'));
const runDir = join(dir, 'runs', 'big');
mkdirSync(join(runDir, 'plots'), { recursive: true });
writeFileSync(join(runDir, 'plots', 'loss.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
writeFileSync(join(runDir, 'config.json'), '{}');
writeFileSync(join(dir, 'secret.txt'), 'root:x:0:0');
symlinkSync(join(dir, 'secret.txt'), join(runDir, 'escape.txt'));

let store: TrackStore;
let ui: Dashboard;
let port: number;
let big: string;
let small: string;

before(async () => {
  store = await openStore(join(dir, 'kiln.db'));
  big = await logRun(store, 'big', { n: 100_000, lr: 0.01, runDir });
  small = await logRun(store, 'small', { n: 50, lr: 0.1 });
  ui = await startDashboard({ source: storeSource(store), port: 0 });
  port = Number(new URL(ui.url).port);
});
after(async () => {
  await ui.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard API on a real SQLite store', () => {
  it('serves the page with a strict CSP and no token on loopback', async () => {
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /<script type="module" src="\/static\/app.js">/);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal((await request(port, '/vendor/uPlot.esm.js')).status, 200);
  });

  it('lists runs with params and final metrics as columns, and filters', async () => {
    const all = JSON.parse((await request(port, '/api/runs')).body);
    assert.deepEqual(all.params, ['optimizer.lr', 'optimizer.type']);
    assert.deepEqual(all.metrics, ['loss']);
    assert.equal(all.runs.length, 2);
    const filter = encodeURIComponent('params.optimizer.lr < 0.05');
    const some = JSON.parse((await request(port, `/api/runs?filter=${filter}`)).body);
    assert.deepEqual(
      some.runs.map((r: { name: string }) => r.name),
      ['big'],
    );
    const bad = await request(port, `/api/runs?filter=${encodeURIComponent('metrics.loss >')}`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /./);
  });

  it('thins a 100k-point curve to the budget, for the whole run and a zoomed range', async () => {
    const whole = JSON.parse(
      (await request(port, `/api/runs/${big}/metrics/loss?points=1000`)).body,
    );
    assert.equal(whole.total, 100_000);
    assert.equal(whole.x.length, 1000);
    assert.equal(whole.x[0], 0);
    assert.equal(whole.x.at(-1), 99_999);
    const zoom = JSON.parse(
      (await request(port, `/api/runs/${big}/metrics/loss?points=1000&min=5000&max=5100`)).body,
    );
    assert.equal(zoom.inRange, 103);
    assert.equal(zoom.x.length, 103, 'a short range comes back at full resolution');
    assert.equal(zoom.y[1], 1 / (1 + 5000 * 0.01));
    const bad = await request(port, `/api/runs/${big}/metrics/loss?points=nope`);
    assert.equal(bad.status, 400);
  });

  it('sends run-folder files, images inline in a sandbox', async () => {
    const svg = await request(port, `/api/runs/${big}/files/plots/loss.svg?inline=1`);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers['content-type'], 'image/svg+xml');
    assert.match(String(svg.headers['content-security-policy']), /sandbox/);
    const dl = await request(port, `/api/runs/${big}/files/config.json`);
    assert.match(String(dl.headers['content-disposition']), /attachment/);
    const page = JSON.parse((await request(port, `/api/runs/${big}`)).body);
    assert.deepEqual(page.images, ['plots/loss.svg']);
    assert.ok(
      !page.files.some((f: { path: string }) => f.path === 'escape.txt'),
      'symlinks unlisted',
    );
    assert.match(page.configYaml, /lr: 0.01/);
  });

  it('refuses paths that leave the run folder: "..", encoded "..", absolute, symlinks', async () => {
    for (const path of [
      '../../../../../../etc/passwd',
      '..%2f..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e/%2e%2e/secret.txt',
      '..%5csecret.txt',
      '%2fetc%2fpasswd',
      'escape.txt',
    ]) {
      const r = await request(port, `/api/runs/${big}/files/${path}`);
      assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /root:x/, path);
    }
  });

  it('refuses a foreign Host (DNS rebinding), other methods, and deletes when read-only', async () => {
    assert.equal(
      (await request(port, '/api/runs', { headers: { Host: 'evil.example' } })).status,
      403,
    );
    assert.equal((await request(port, '/api/runs', { method: 'POST' })).status, 405);
    assert.equal((await request(port, `/api/runs/${small}`, { method: 'DELETE' })).status, 403);
    assert.equal((await request(port, `/api/runs/${small}`)).status, 200);
  });

  it('streams live updates while a run grows, then an end event', async () => {
    const live = await logRun(store, 'live', { n: 10, lr: 0.1, end: false });
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      import('node:http').then(({ get }) =>
        get({ host: '127.0.0.1', port, path: `/api/runs/${live}/events` }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => events.push(c));
          res.on('end', () => resolve());
        }),
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    await store.logMetrics(live, [
      { key: 'loss', value: 0.5, step: 10, epoch: null, time: Date.now() },
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    await store.endRun(live, 'finished');
    await done;
    const text = events.join('');
    assert.match(text, /"count":10/);
    assert.match(text, /"count":11/);
    assert.match(text, /event: end\ndata: \{"status":"finished"\}/);
  });
});

describe('dashboard with a token', () => {
  it('on 0.0.0.0 refuses requests without the token; accepts header, query and cookie', async () => {
    const open = await startDashboard({
      source: storeSource(await openStore(join(dir, 'kiln.db'))),
      host: '0.0.0.0',
      port: 0,
    });
    try {
      assert.ok(open.token && open.token.length >= 32, 'a token is generated');
      const p = Number(new URL(open.url).port);
      assert.equal((await request(p, '/')).status, 401);
      assert.equal((await request(p, '/api/runs')).status, 401);
      assert.equal((await request(p, '/static/app.js')).status, 401);
      assert.equal((await request(p, '/api/runs?token=wrong')).status, 401);
      const withQuery = await request(p, `/?token=${open.token}`);
      assert.equal(withQuery.status, 200);
      const cookie = String(withQuery.headers['set-cookie']).split(';')[0]!;
      assert.match(String(withQuery.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      assert.equal((await request(p, '/api/runs', { headers: { Cookie: cookie } })).status, 200);
      const auth = { Authorization: `Bearer ${open.token}` };
      assert.equal((await request(p, '/api/runs', { headers: auth })).status, 200);
    } finally {
      await open.close();
    }
  });

  it('deletes only with --allow-delete and the token in a header (not the cookie)', async () => {
    const folder = join(dir, 'runs', 'doomed');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'model.safetensors'), 'x');
    const doomed = await logRun(store, 'doomed', {
      n: 5,
      lr: 0.1,
      runDir: folder,
      ownsRunDir: true,
    });
    const rw = await startDashboard({
      source: storeSource(await openStore(join(dir, 'kiln.db'))),
      port: 0,
      allowDelete: true,
    });
    try {
      const p = Number(new URL(rw.url).port);
      const cookie = { Cookie: `kiln_token=${rw.token}` };
      assert.equal(
        (await request(p, `/api/runs/${doomed}`, { method: 'DELETE', headers: cookie })).status,
        403,
      );
      const ok = await request(p, `/api/runs/${doomed}`, {
        method: 'DELETE',
        headers: { ...cookie, 'X-Kiln-Token': rw.token! },
      });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(await store.getRun(doomed), null);
      assert.ok(!existsSync(folder), 'the run folder it owned is gone');
    } finally {
      await rw.close();
    }
  });
});
