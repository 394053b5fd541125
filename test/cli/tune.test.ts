// `kiln tune` end to end on iris in a real SQLite store: trials, progress, the study's files
// (best.yaml a valid kiln train config, trials.csv), the final retrain on train + validation with
// test metrics, resuming with more trials, and one-line errors for bad search/tune sections.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tuneSchema } from '../../src/cli/commands/tune-config.js';
import { finalConfig } from '../../src/cli/commands/tune-final.js';
import { loadConfig } from '../../src/cli/config.js';
import { openStore } from '../../src/track/open.js';
import type { TrialRecord } from '../../src/track/types.js';
import { assertOneLine, ROOT, runMain } from './helpers.js';
import { irisTuneConfig } from './tune-helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-tune-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
async function trialsOf(store: string, study: string) {
  const s = await openStore(store);
  try {
    const record = await s.getStudy(study);
    assert.ok(record, `study ${study} exists`);
    return await s.listTrials(record.id);
  } finally {
    await s.close();
  }
}

describe('kiln tune', () => {
  it('runs the trials, writes best.yaml and trials.csv, retrains and tests; a rerun continues', async () => {
    const dir = mkdtempSync(join(tmp, 'run-'));
    const config = irisTuneConfig(dir);
    const first = await runMain(['tune', config]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /study iris-t in .*kiln\.db: 4 trials, val_accuracy \(maximize\)/);
    for (let n = 0; n < 4; n++) assert.match(first.out, new RegExp(`trial ${n} \\(\\d/4\\) `));
    assert.match(first.out, /best [\d.]+ \(trial \d\) \| ETA /);
    assert.match(first.out, /parameter importance \(fANOVA\):\n {2}parameter/);
    assert.match(first.out, /final model test: loss [\d.]+ {2}accuracy [\d.]+/);

    const studyDir = join(dir, 'runs', 'iris-t');
    const best = await loadConfig(join(studyDir, 'best.yaml'));
    const store = join(dir, 'runs', 'kiln.db');
    const trials = await trialsOf(store, 'iris-t');
    assert.deepEqual(
      trials.map((t) => t.number),
      [0, 1, 2, 3],
    );
    assert.ok(trials.every((t) => t.state === 'complete' && t.runId !== null));
    const top = trials.reduce((a, b) => (b.value! > a.value! ? b : a));
    assert.equal(best.optimizer.lr, top.params['optimizer.lr']);
    assert.equal(best.optimizer.type, top.params['optimizer.type']);
    assert.equal(best.model[0]!.outFeatures, top.params['model.0.outFeatures']);
    assert.equal(best.split.validation, 0.2);
    const final = await loadConfig(join(studyDir, 'final.yaml'));
    assert.equal(
      final.split.validation,
      undefined,
      'the final model learns from train + validation',
    );
    assert.equal(final.optimizer.lr, best.optimizer.lr);
    const finalRun = join(studyDir, 'iris-t-final');
    assert.ok(existsSync(join(finalRun, 'model.safetensors')));
    assert.ok(first.out.includes(`final model saved to ${finalRun}`));
    // Train + validation: 120 of iris's 150 flowers (the test fifth is held out as in tuning).
    assert.match(first.out, /training iris-t-final: 120 samples/);
    const csv = readFileSync(join(studyDir, 'trials.csv'), 'utf8').trim().split('\n');
    assert.equal(
      csv[0],
      'number,state,value,seconds,optimizer.lr,model.0.outFeatures,optimizer.type,error',
    );
    assert.equal(csv.length, 5);
    assert.equal(csv[1]!.split(',')[2], String(trials[0]!.value));

    const again = await runMain(['tune', config, '--trials', '6']);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /6 trials \(4 already run, continuing\)/);
    assert.doesNotMatch(again.out, /trial [0-3] \(/, 'finished trials are not run again');
    const after6 = await trialsOf(store, 'iris-t');
    assert.deepEqual(
      after6.map((t) => t.number),
      [0, 1, 2, 3, 4, 5],
    );
    for (const t of trials) {
      assert.equal(after6[t.number]!.value, t.value, 'earlier values are kept');
      assert.deepEqual(after6[t.number]!.params, t.params);
    }
  });

  it('prunes with a pruner and scores val_loss (minimized) by default', async () => {
    const dir = mkdtempSync(join(tmp, 'prune-'));
    const config = irisTuneConfig(dir, (doc) => {
      doc.training = { epochs: 6, batchSize: 16 };
      doc.search = { 'optimizer.lr': { float: [1e-4, 1e-1], log: true } };
      doc.tune = {
        trials: 8,
        sampler: { type: 'random', seed: 3 },
        pruner: { type: 'median', nStartupTrials: 2 },
      };
    });
    const r = await runMain(['tune', config, '--study', 'pruned']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /val_loss \(minimize\), sampler random, pruner median/);
    const trials = await trialsOf(join(dir, 'runs', 'kiln.db'), 'pruned');
    assert.equal(trials.length, 8);
    const pruned = trials.filter((t) => t.state === 'pruned');
    assert.ok(pruned.length > 0, 'the median pruner stopped some trials');
    for (const t of pruned) assert.ok(t.intermediate.length < 6);
    assert.match(r.out, /pruned val_loss [\d.]+ at epoch \d/);
  });

  it('a fresh single-process study is reproducible under its sampler seed', async () => {
    const runs = [];
    for (const name of ['a', 'b']) {
      const dir = mkdtempSync(join(tmp, `seed-${name}-`));
      const config = irisTuneConfig(dir, (doc) => {
        doc.tune = { trials: 3, sampler: { type: 'tpe', seed: 7 } };
      });
      const r = await runMain(['tune', config]);
      assert.equal(r.code, 0, r.err);
      runs.push(await trialsOf(join(dir, 'runs', 'kiln.db'), 'iris-t'));
    }
    const [a, b] = runs as [TrialRecord[], TrialRecord[]];
    assert.deepEqual(
      a.map((t) => [t.params, t.value]),
      b.map((t) => [t.params, t.value]),
    );
    assert.notDeepEqual(a[0]!.params, a[1]!.params);
  });

  it('a rerun whose search section changed is refused, naming the paths; --allow-search-change continues', async () => {
    const dir = mkdtempSync(join(tmp, 'space-'));
    const store = join(dir, 'runs', 'kiln.db');
    const first = irisTuneConfig(dir, (doc) => {
      doc.tune = { trials: 2, sampler: { type: 'random', seed: 1 } };
    });
    assert.equal((await runMain(['tune', first])).code, 0);
    const changed = irisTuneConfig(dir, (doc) => {
      doc.search = {
        'optimizer.lr': { float: [1e-4, 1e-1], log: true },
        'optimizer.type': { categorical: ['Adam', 'SGD'] },
        'training.batchSize': { int: [8, 32] },
      };
      doc.tune = { trials: 3, sampler: { type: 'random', seed: 1 } };
    });
    const expected =
      /search: study 'iris-t' in .*kiln\.db was run with another search space \(model\.0\.outFeatures: removed; optimizer\.lr: float\(0\.001, 0\.1, log\) -> float\(0\.0001, 0\.1, log\); training\.batchSize: added\); .*--allow-search-change/;
    const refused = await runMain(['tune', changed]);
    assert.notEqual(refused.code, 0);
    assert.match(assertOneLine(refused.err), expected);
    assert.equal((await trialsOf(store, 'iris-t')).length, 2, 'no trial of the new space ran');

    // A study from before the space was recorded: its trials' distributions tell the space.
    const s = await openStore(store);
    try {
      const record = (await s.getStudy('iris-t'))!;
      assert.deepEqual(Object.keys(record.attrs.search as object).sort(), [
        'model.0.outFeatures',
        'optimizer.lr',
        'optimizer.type',
      ]);
      await s.setStudyAttrs(record.id, { search: undefined });
    } finally {
      await s.close();
    }
    const fromTrials = await runMain(['tune', changed]);
    assert.match(assertOneLine(fromTrials.err), expected);

    const allowed = await runMain(['tune', changed, '--allow-search-change']);
    assert.equal(allowed.code, 0, allowed.err);
    assert.match(
      allowed.out,
      /note: study iris-t: search space changed \(model\.0\.outFeatures: removed;/,
    );
    const trials = await trialsOf(store, 'iris-t');
    assert.equal(trials.length, 3);
    assert.ok('training.batchSize' in trials[2]!.params);
    // The new space is the study's now: the same config continues without the flag.
    const next = await runMain(['tune', changed, '--trials', '4']);
    assert.equal(next.code, 0, next.err);
    assert.equal((await trialsOf(store, 'iris-t')).length, 4);
  });

  it('the final config learns from train + validation; validation-watching callbacks adapt', () => {
    const best = {
      split: { validation: 0.2 },
      training: { epochs: 50, batchSize: 16 },
      callbacks: {
        earlyStopping: { patience: 3 },
        reduceLROnPlateau: { factor: 0.5 },
        checkpoint: { monitor: 'val_accuracy' },
      },
    };
    assert.deepEqual(finalConfig(best, 12), {
      training: { epochs: 12, batchSize: 16 },
      callbacks: {
        reduceLROnPlateau: { factor: 0.5, monitor: 'loss' },
        checkpoint: { monitor: 'accuracy' },
      },
    });
    assert.deepEqual(best.split, { validation: 0.2 }, 'the best config itself is unchanged');
  });

  it('rejects bad search and tune sections with one line naming the file and field', async () => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    const cases: [(doc: Record<string, unknown>) => void, RegExp][] = [
      [
        (d) => {
          d.search = { 'optimizer.lr': { flaot: [0, 1] } };
        },
        /search\.optimizer\.lr: unknown field 'flaot'; did you mean 'float'\?/,
      ],
      [
        (d) => {
          d.search = { 'optimizer.lr': { float: [0.1, 0.01] } };
        },
        /search\.optimizer\.lr: float: low must be below high/,
      ],
      [
        (d) => {
          d.search = { 'optimizer.lr': { float: [0, 0.1], log: true } };
        },
        /search\.optimizer\.lr: .*log scale needs low > 0/,
      ],
      [
        (d) => {
          d.search = { 'optimzer.lr': { float: [0.01, 0.1] } };
        },
        /search\.optimzer\.lr: the config has no 'optimzer'; did you mean 'optimizer'\?/,
      ],
      [
        (d) => {
          d.search = { 'model.5.outFeatures': { int: [4, 8] } };
        },
        /search\.model\.5\.outFeatures: model has no '5' \(it has 3 entries, 0 to 2\)/,
      ],
      [
        (d) => {
          d.search = { 'optimizer.type': { categorical: ['Adam', 'Adamm'] } };
        },
        /search optimizer\.type = "Adamm": invalid config: optimizer\.type: unknown optimizer 'Adamm'/,
      ],
      [
        (d) => {
          d.search = { 'training.batchSize': { float: [8, 32] } };
        },
        /search training\.batchSize = [\d.]+: invalid config: training\.batchSize/,
      ],
      [
        (d) => {
          d.search = { 'optimizer.momentun': { float: [0.1, 0.9] } };
        },
        /optimizer \(Adam\).*momentun/,
      ],
      [
        (d) => {
          d.tune = { trails: 3 };
        },
        /tune: unknown field 'trails'; did you mean 'trials'\?/,
      ],
      [
        (d) => {
          d.tune = { sampler: 'bayes' };
        },
        /tune\.sampler: must be one of tpe, random, grid, cmaes/,
      ],
      [
        (d) => {
          d.tune = { sampler: { type: 'tpe', nStartup: 3 } };
        },
        /tune\.sampler: TPESampler: unknown option 'nStartup'/,
      ],
      [
        (d) => {
          d.tune = { metric: 'val_thing' };
        },
        /tune\.direction: required for metric 'val_thing'/,
      ],
      [
        (d) => {
          d.tune = { sampler: 'grid' };
        },
        /search\.optimizer\.lr: the grid sampler needs a step/,
      ],
      [
        (d) => {
          delete d.search;
        },
        /search: required/,
      ],
    ];
    for (const [edit, expected] of cases) {
      const path = irisTuneConfig(dir, edit);
      const r = await runMain(['tune', path]);
      assert.equal(r.code, 1, `${expected}: ${r.out}`);
      const line = assertOneLine(r.err);
      assert.ok(line.includes(path), `${line} names the file`);
      assert.match(line, expected);
    }
    const unknown = await runMain(['tune', irisTuneConfig(dir), '--trails', '3']);
    assert.equal(unknown.code, 1);
    assert.match(assertOneLine(unknown.err), /--trails/);
    const help = await runMain(['tune', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /kiln tune <config\.yaml> \[options\]/);
    const reference = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8');
    for (const field of Object.keys(tuneSchema.shape))
      assert.match(reference, new RegExp(`^\\| \`tune\\.${field}\` \\|`, 'm'), field);
    const train = await runMain(['train', irisTuneConfig(dir)]);
    assert.equal(train.code, 1, 'kiln train does not take a tuning config');
    assert.match(assertOneLine(train.err), /unknown field 'search'/);
  });
});
