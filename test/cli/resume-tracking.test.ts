// `kiln train --resume` continues the tracked run of the folder it resumes (as MLflow's
// start_run(run_id)): one run in the store, metric steps that continue, params kept as first
// logged, and what the resume changed recorded as tags. A resume pointed at another store starts
// a new run there instead.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/track/open.js';
import { ROOT, runMain } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-resume-track-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function config(name: string): string {
  const path = join(tmp, `${name}.json`);
  const body = {
    name,
    seed: 1,
    data: { format: 'sklearn', path: join(ROOT, 'datasets', 'iris', 'iris.csv') },
    split: { validation: 0.2 },
    preprocess: { standardize: true },
    model: [
      { type: 'Linear', outFeatures: 8 },
      { type: 'ReLU' },
      { type: 'Linear', outFeatures: 3 },
    ],
    optimizer: { type: 'SGD', lr: 0.05 },
    loss: 'crossEntropy',
    training: { epochs: 2, batchSize: 16 },
    output: { dir: join(tmp, 'runs') },
  };
  writeFileSync(path, JSON.stringify(body));
  return path;
}

async function train(args: string[]): Promise<string> {
  const r = await runMain(['train', ...args]);
  assert.equal(r.code, 0, r.err);
  const runDir = /run saved to (.+)$/m.exec(r.out)?.[1];
  assert.ok(runDir, r.out);
  return runDir;
}

describe('kiln train --resume and tracking', () => {
  it('continues the same tracked run, with steps that continue and changes as tags', async () => {
    const path = config('tracked');
    const runDir = await train([path]);
    const first = JSON.parse(readFileSync(join(runDir, 'tracking.json'), 'utf8'));
    assert.equal(await train([path, '--resume', '--epochs', '4', '--lr', '0.5']), runDir);
    const second = JSON.parse(readFileSync(join(runDir, 'tracking.json'), 'utf8'));
    assert.equal(second.runId, first.runId);

    const store = await openStore(join(tmp, 'runs', 'kiln.db'));
    try {
      const runs = await store.listRuns({ filter: "experiment = 'tracked'" });
      assert.equal(runs.length, 1, 'one tracked run for the training and its resume');
      const run = (await store.getRun(first.runId))!;
      assert.equal(run.status, 'finished');
      const loss = await store.getMetrics(run.id, { keys: ['loss'] });
      assert.equal(loss.length, 4, 'epochs 1-2 and 3-4 in one curve');
      for (let i = 1; i < loss.length; i++) assert.ok(loss[i]!.step > loss[i - 1]!.step);
      const lr = (await store.getMetrics(run.id, { keys: ['lr'] })).map((p) => p.value);
      assert.deepEqual(lr, [0.05, 0.05, 0.5, 0.5]);
      const params = await store.getParams(run.id);
      assert.equal(params['optimizer.lr'], 0.05, 'params are immutable: the first value stays');
      const tags = await store.getTags(run.id);
      assert.equal(tags.resumes, '1');
      assert.equal(tags['resume1.optimizer.lr'], '0.5');
      assert.equal(tags['resume1.training.epochs'], '4');
      const files = (await store.listArtifacts(run.id)).map((a) => a.path);
      assert.ok(files.includes('model.safetensors'), files.join(', '));
    } finally {
      await store.close();
    }
  });

  it('a resume tracked in another store starts a run there, tagged resumed', async () => {
    const path = config('moved');
    const runDir = await train([path]);
    const other = join(tmp, 'other.db');
    assert.equal(await train([path, '--resume', '--epochs', '3', '--store', other]), runDir);
    const store = await openStore(other);
    try {
      const runs = await store.listRuns({});
      assert.equal(runs.length, 1);
      assert.equal((await store.getTags(runs[0]!.id)).resumed, 'true');
    } finally {
      await store.close();
    }
  });
});
