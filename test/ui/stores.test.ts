// The dashboard's API over both store kinds: the same answers from SQLite and from a real
// PostgreSQL server (started privately by the track tests' helper).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TrackStore } from '../../src/track/types.js';
import { type Dashboard, startDashboard } from '../../src/ui/server.js';
import { storeSource } from '../../src/ui/store-source.js';
import { forEachStore } from '../track/helpers.js';
import { logRun, openStore, request } from './helpers.js';

forEachStore('dashboard API', (target) => {
  let store: TrackStore;
  let ui: Dashboard;
  let port: number;
  let id: string;
  before(async () => {
    const location = await target.fresh();
    store = await openStore(location);
    id = await logRun(store, 'curve', { n: 5000, lr: 0.01 });
    await logRun(store, 'other', { n: 10, lr: 0.1 });
    ui = await startDashboard({ source: storeSource(await openStore(location)), port: 0 });
    port = Number(new URL(ui.url).port);
  });
  after(async () => {
    await ui?.close();
    await store?.close();
  });

  it('lists, filters, shows a run and thins its curve', async () => {
    const filter = encodeURIComponent('metrics.loss < 0.5');
    const runs = JSON.parse((await request(port, `/api/runs?filter=${filter}`)).body);
    assert.deepEqual(
      runs.runs.map((r: { name: string }) => r.name),
      ['curve'],
    );
    const page = JSON.parse((await request(port, `/api/runs/${id}`)).body);
    assert.equal(page.params['optimizer.lr'], 0.01);
    assert.deepEqual(page.metricKeys, [{ key: 'loss', count: 5000, lastStep: 4999 }]);
    const c = JSON.parse((await request(port, `/api/runs/${id}/metrics/loss?points=500`)).body);
    assert.equal(c.total, 5000);
    assert.equal(c.x.length, 500);
    assert.equal(c.y[0], 1);
    assert.equal(c.y.at(-1), 1 / (1 + 4999 * 0.01));
  });
});
