// `kiln automl` through real processes: a tiny search on penguins (text categories, empty
// cells) writes a run that `kiln predict` applies to the raw CSV, whose automl.yaml retrains
// with `kiln train` to the same test scores, and whose leaderboard lists every trial. Bad
// arguments give one line and exit 1.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLine, ROOT, runKiln } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-automl-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const penguins = join(ROOT, 'datasets', 'realworld', 'penguins.csv');

/** The scores of the `test:` line of a command's output (`test (...): ` for ensembles). */
function testLine(out: string, which: RegExp = /^test(?: \(ensemble of \d\))?: /): string {
  const line = out.split('\n').find((l) => which.test(l));
  assert.ok(line, `no ${which} line in:\n${out}`);
  return line.replace(which, '');
}

/** The test scores of the best trial's refit alone (with or without an ensemble). */
function singleLine(out: string): string {
  return testLine(out, /^test(?: \(trial \d+ alone\))?: /);
}

describe('kiln automl', () => {
  it('searches penguins; the run predicts raw rows and its YAML retrains to the same scores', async () => {
    const out = join(tmp, 'runs');
    const r = await runKiln([
      'automl',
      penguins,
      '--target',
      'species',
      '--time-budget',
      '60s',
      '--trials',
      '2',
      '--folds',
      '1',
      '--out',
      out,
      '--name',
      'peng',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /automl: 2 trials \(\d complete, \d pruned, \d failed\)/);
    assert.match(r.out, /one validation split \(55 of 275 training rows\)/);
    const runDir = join(out, 'peng');
    const automlTest = testLine(r.out);
    assert.match(automlTest, /accuracy (0\.9\d+|1\.0+)/);

    const board = readFileSync(join(runDir, 'leaderboard.csv'), 'utf8').trim().split('\n');
    assert.equal(board.length, 3);
    assert.deepEqual(
      board
        .slice(1)
        .map((l) => l.split(',')[1])
        .sort(),
      ['0', '1'],
    );

    // Raw CSV (empty sex cells, text islands): one prediction per row, with species names.
    const p = await runKiln(['predict', runDir, penguins]);
    assert.equal(p.code, 0, p.err);
    const lines = p.out.trim().split('\n');
    assert.equal(lines.length, 345);
    assert.equal(lines[0], 'prediction,p_Adelie,p_Chinstrap,p_Gentoo');
    assert.ok(
      lines.slice(1).every((l) => /^(Adelie|Chinstrap|Gentoo),/.test(l)),
      lines[1],
    );

    // The reproducing config: same seed, same split, same training, same test scores as the
    // best trial's refit (the run's first member when it saved an ensemble).
    const again = await runKiln([
      'train',
      join(runDir, 'automl.yaml'),
      '--out',
      join(tmp, 'again'),
    ]);
    assert.equal(again.code, 0, again.err);
    assert.equal(testLine(again.out), singleLine(r.out));
  });

  it('gives one line and exit 1 for bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['automl', penguins, '--target', 'species', '--bogus'], /Unknown option '--bogus'/],
      [['automl', penguins, '--target', 'mass'], /"mass" is not a column of .*penguins\.csv/],
      [['automl', penguins, '--target', 'species', '--task', 'ranking'], /--task: expected auto/],
      [['automl', penguins], /--target <column> is required/],
      [
        ['automl', penguins, '--target', 'species', '--ensemble', '0'],
        /--ensemble: expected an integer >= 1/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await runKiln(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
      assert.match(assertOneLine(r.err), pattern);
    }
  });

  it('is in the main help and has its own', async () => {
    const main = await runKiln(['--help']);
    assert.match(main.out, /kiln automl <data\.csv> --target COL/);
    const help = await runKiln(['automl', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /--time-budget D/);
  });
});
