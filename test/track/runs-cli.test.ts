// `kiln train` tracking and the `kiln runs` commands in-process on a real SQLite store: list
// with filters, sorting and columns, show, compare, export, delete (confirmation, files), and
// bad input (one line, exit 1).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/track/open.js';
import type { RunSummary } from '../../src/track/types.js';
import { assertOneLine, ROOT, runMain } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-runs-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'kiln.db');
const iris = join(ROOT, 'examples', 'iris.yaml');
const runs = (...args: string[]) => runMain(['runs', ...args, '--store', db]);
const json = async (...args: string[]) => {
  const r = await runs(...args, '--json');
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as RunSummary[];
};

describe('kiln train tracking and kiln runs', () => {
  before(async () => {
    for (const extra of [
      ['--epochs', '3', '--log-every', '4'],
      ['--epochs', '2', '--lr', '0.05'],
    ]) {
      const r = await runMain(['train', iris, '--out', dir, ...extra]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /tracking run [0-9a-f]{8} in .*kiln\.db/);
    }
  });

  it('kiln train records params, epoch and batch metrics, test metrics and artifacts', async () => {
    const store = await openStore(db);
    try {
      const run = (await store.getRunSummary('iris'))!;
      assert.equal(run.status, 'finished');
      assert.equal(run.experiment, 'iris');
      assert.equal(run.runDir, join(dir, 'iris'));
      assert.deepEqual(
        run.config,
        JSON.parse(readFileSync(join(dir, 'iris', 'config.json'), 'utf8')),
      );
      assert.equal(run.params['optimizer.lr'], 0.01);
      assert.equal(run.params['model.0.outFeatures'], 16);
      assert.equal(run.tags.source, 'kiln train');
      const loss = await store.getMetrics(run.id, { keys: ['loss'] });
      assert.deepEqual(
        loss.map((p) => p.epoch),
        [0, 1, 2],
      );
      const csv = readFileSync(join(dir, 'iris', 'metrics.csv'), 'utf8')
        .trim()
        .split('\n');
      const lossColumn = csv[0]!.split(',').indexOf('loss');
      assert.deepEqual(
        loss.map((p) => p.value.toFixed(5)),
        csv.slice(1).map((l) => Number(l.split(',')[lossColumn]).toFixed(5)),
      );
      const batches = await store.getMetrics(run.id, { keys: ['batch_loss'] });
      assert.ok(
        batches.length >= 3 && batches.every((p) => p.step % 4 === 0),
        'batch loss every 4 batches',
      );
      assert.equal(
        run.metrics.test_accuracy !== undefined && run.metrics.test_accuracy > 0.3,
        true,
      );
      const artifacts = await store.listArtifacts(run.id);
      const weights = artifacts.find((a) => a.path === 'model.safetensors')!;
      const bytes = readFileSync(join(dir, 'iris', 'model.safetensors'));
      assert.equal(weights.size, bytes.length);
      assert.equal(weights.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.ok(artifacts.some((a) => a.path === 'checkpoints/last/model.safetensors'));
      assert.ok(artifacts.some((a) => a.path === 'report.md'));
    } finally {
      await store.close();
    }
  });

  it('lists runs with filters, sorting, limits and columns', async () => {
    assert.deepEqual(
      (await json('--filter', 'params.optimizer.lr < 0.02')).map((r) => r.name),
      ['iris'],
    );
    assert.deepEqual(
      (await json('list', '--sort', 'params.optimizer.lr', '--desc')).map((r) => r.name),
      ['iris-2', 'iris'],
    );
    assert.deepEqual(
      (await json('--sort', 'params.training.epochs:asc', '--limit', '1')).map((r) => r.name),
      ['iris-2'],
    );
    const table = await runs(
      '--columns',
      'params.optimizer.lr,metrics.test_accuracy',
      '--sort',
      'name',
    );
    assert.equal(table.code, 0, table.err);
    const [header, first, second, footer] = table.out.trim().split('\n');
    assert.match(
      header!,
      /^id\s+name\s+experiment\s+status\s+started\s+duration\s+params\.optimizer\.lr\s+test_accuracy$/,
    );
    assert.match(first!, /^[0-9a-f]{8}\s+iris\s+iris\s+finished\s.*\s0\.01\s+0\.\d+$/);
    assert.match(second!, /\s0\.05\s+0\.\d+$/);
    assert.match(footer!, /^2 runs in /);
  });

  it('shows and compares runs', async () => {
    const show = await runs('show', 'iris-2');
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /^name\s+iris-2$/m);
    assert.match(show.out, /^optimizer\.lr\s+0\.05$/m);
    assert.match(show.out, /^model\.safetensors\s+\d+\s+[0-9a-f]{16}$/m);
    const compare = await runs('compare', 'iris', 'iris-2');
    assert.equal(compare.code, 0, compare.err);
    assert.match(compare.out, /params that differ \(2; \d+ equal params not shown\)/);
    assert.match(compare.out, /^optimizer\.lr\s+0\.01\s+0\.05$/m);
    assert.match(compare.out, /^training\.epochs\s+3\s+2$/m);
    assert.match(compare.out, /^test_accuracy\s+0\.\d+\s+0\.\d+$/m);
  });

  it('exports CSV: one long file per run and a runs table', async () => {
    const out = join(dir, 'csv');
    const r = await runs('export', '--format', 'csv', '--out', out);
    assert.equal(r.code, 0, r.err);
    const table = readFileSync(join(out, 'runs.csv'), 'utf8').trim().split('\n');
    assert.equal(table.length, 3);
    assert.ok(
      table[0]!.includes('params.optimizer.lr') && table[0]!.includes('metrics.test_accuracy'),
    );
    const [one] = await json('--filter', "name = 'iris'");
    const lines = readFileSync(join(out, `iris-${one!.id.slice(0, 8)}.csv`), 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines[0], 'key,step,epoch,value,wall_time');
    assert.ok(lines.some((l) => /^loss,\d+,2,[\d.]+,\d{4}-\d\d-\d\dT/.test(l)));
  });

  it('gives one clear line and exit 1 for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--filter', 'metrics.test_accuracy > > 1'],
        /bad filter at column 25: expected a field or a value after '>', found '>'/,
      ],
      [['--sort', 'nonsense'], /unknown field 'nonsense'/],
      [['frobnicate'], /unknown subcommand 'frobnicate'/],
      [['show', 'no-such-run'], /no run 'no-such-run' in /],
      [['compare', 'iris'], /give two or more runs/],
      [['export'], /--format tensorboard\|csv is required/],
      [['export', '--format', 'parquet'], /expected tensorboard or csv, got 'parquet'/],
      [['--limit', '0'], /--limit: expected a positive integer/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['delete', 'iris'], /pass --yes to delete/],
    ];
    for (const [args, message] of cases) {
      const r = await runs(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(assertOneLine(r.err), message);
    }
    const missing = await runMain(['runs', '--store', join(dir, 'nope', 'kiln.db')]);
    assert.match(assertOneLine(missing.err), /no tracking store at .*nope\/kiln\.db/);
    assert.equal(existsSync(join(dir, 'nope')), false, 'listing must not create a store');
  });

  it('deletes a run with --yes, with the folder kiln train made for it', async () => {
    assert.ok(existsSync(join(dir, 'iris-2', 'model.safetensors')));
    const r = await runs('delete', 'iris-2', '--yes');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deleted [0-9a-f]{8} iris-2 \(folder .*iris-2\)/);
    assert.equal(existsSync(join(dir, 'iris-2')), false);
    assert.deepEqual(
      (await json()).map((x) => x.name),
      ['iris'],
    );
    assert.ok(existsSync(join(dir, 'iris', 'model.safetensors')), 'other runs keep their files');
  });
});
