// Real-world tables through the real CLI: train the shipped examples, evaluate on a separate
// file, predict on raw rows (text categories, empty cells, no target column) with the stored
// preprocessing, and the eval/predict layouts that used to fail (CSV class labels, iris).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLine, ROOT, runKiln, runMain } from './helpers.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'kiln-tables-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
const example = (name: string) => join(ROOT, 'examples', name);
const dataset = (name: string) => join(ROOT, 'datasets', 'realworld', name);

/** `name value` pairs of the first line that starts with `prefix` (or of the first line). */
function scores(text: string, prefix = ''): Record<string, number> {
  const line = text.split('\n').find((l) => l.startsWith(prefix)) ?? '';
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/([a-z_0-9]+) (-?[\d.]+(?:e[-+]?\d+)?|NaN)/g))
    out[m[1]!] = Number(m[2]);
  return out;
}

/** A CSV of the header and the given data lines (1-based file lines) of a shipped table. */
function subset(file: string, lines: number[], name: string): string {
  const all = readFileSync(dataset(file), 'utf8').split('\n');
  const path = join(tmpRoot, name);
  writeFileSync(path, `${[all[0], ...lines.map((l) => all[l - 1])].join('\n')}\n`);
  return path;
}

async function train(
  config: string,
  ...extra: string[]
): Promise<{ runDir: string; test: Record<string, number> }> {
  const r = await runMain(['train', config, '--out', join(tmpRoot, 'runs'), ...extra]);
  assert.equal(r.code, 0, r.err);
  const runDir = /run saved to (.*)/.exec(r.out)?.[1] ?? '';
  return { runDir, test: scores(r.out, 'test:') };
}

describe('penguins: text categories and empty cells', () => {
  let runDir = '';
  it('trains examples/penguins.yaml to >= 95% test accuracy and records the split', async () => {
    const r = await train(example('penguins.yaml'));
    runDir = r.runDir;
    assert.ok(r.test.accuracy! >= 0.95, JSON.stringify(r.test));
    assert.ok(r.test.f1! >= 0.95, JSON.stringify(r.test));
    const split = JSON.parse(readFileSync(join(runDir, 'split.json'), 'utf8'));
    const rows = [...split.train, ...split.validation, ...split.test].sort(
      (a: number, b: number) => a - b,
    );
    assert.deepEqual(
      rows,
      Array.from({ length: 344 }, (_, i) => i),
    );
    const record = JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8'));
    assert.deepEqual(record.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    assert.equal(record.preprocessing.table.kinds.island, 'categorical');
  });

  it('evaluates a separate file (rows with empty cells included) with the stored preprocessing', async () => {
    // Lines 5 and 273 have empty cells; the others are a few birds of each species.
    const file = subset(
      'penguins.csv',
      [2, 3, 5, 160, 161, 273, 290, 300, 310, 340],
      'penguins-eval.csv',
    );
    const r = await runMain(['eval', runDir, '--data', file]);
    assert.equal(r.code, 0, r.err);
    assert.ok(scores(r.out).accuracy! >= 0.9, r.out);
    assert.match(r.out, /confusion matrix/);
    assert.match(r.out, / +Adelie +Chinstrap +Gentoo\n/);
  });

  it('predicts original species names for raw rows without the target column', async () => {
    const raw = join(tmpRoot, 'penguins-raw.csv');
    writeFileSync(
      raw,
      '\uFEFF"island","bill_length_mm","bill_depth_mm","flipper_length_mm","body_mass_g","sex"\r\n' +
        '"Biscoe",49.9,16.1,213,5400,"male"\r\n' +
        '"Torgersen",38.6,21.2,191,3800,\r\n' +
        '"Dream",50.9,19.1,196,3550,"male"\r\n' +
        '"Atlantis",,,,,\r\n',
    );
    const r = await runMain(['predict', runDir, raw]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines[0], 'prediction,p_Adelie,p_Chinstrap,p_Gentoo');
    assert.deepEqual(
      lines.slice(1, 4).map((l) => l.split(',')[0]),
      ['Gentoo', 'Adelie', 'Chinstrap'],
    );
    // An unseen island and no measurements still give a class name and probabilities summing to 1.
    const last = lines[4]!.split(',');
    assert.ok(['Adelie', 'Chinstrap', 'Gentoo'].includes(last[0]!));
    assert.ok(Math.abs(last.slice(1).reduce((s, p) => s + Number(p), 0) - 1) < 1e-4);
  });

  it('a bad cell in the predict file is one line naming file, line and column', async () => {
    const bad = join(tmpRoot, 'penguins-bad.csv');
    writeFileSync(
      bad,
      'island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\nDream,40,18,190,Infinity,male\n',
    );
    const r = await runMain(['predict', runDir, bad]);
    assert.equal(r.code, 1);
    assert.match(
      assertOneLine(r.err),
      /penguins-bad\.csv line 2, column 5 \("body_mass_g"\): "Infinity" is not a finite number/,
    );
  });

  it('kiln summary infers the feature count from the whole table', async () => {
    const r = await runMain(['summary', example('penguins.yaml')]);
    assert.equal(r.code, 0, r.err);
    // 14 features: 3 islands, 4 numbers, 2 sexes, and missing indicators for the 4 numbers and
    // sex (all have empty cells): 14 * 32 + 32 = 480 parameters in the first layer.
    assert.match(r.out, /0 \(Linear\) +\[1, 32\] +480\n/);
  });

  it('table and forecast fields on other data are refused, not ignored', async () => {
    const cases: [string, string, RegExp][] = [
      ['iris.yaml', '  path: datasets/iris/iris.csv', /data\.drop: only used for tables/],
      ['penguins.yaml', '  target: species', /data\.window: only used with task: forecast/],
    ];
    for (const [file, anchor, message] of cases) {
      const config = join(tmpRoot, `extra-${file}`);
      const extra = file === 'iris.yaml' ? '\n  drop: [a]' : '\n  window: 12';
      writeFileSync(
        config,
        readFileSync(example(file), 'utf8').replace(anchor, `${anchor}${extra}`),
      );
      const r = await runMain(['train', config, '--out', join(tmpRoot, 'runs')]);
      assert.equal(r.code, 1, file);
      assert.match(assertOneLine(r.err), message);
    }
  });

  it('a regression loss on a text target is refused with the reason', async () => {
    const config = join(tmpRoot, 'penguins-mse.yaml');
    writeFileSync(
      config,
      readFileSync(example('penguins.yaml'), 'utf8').replace('loss: crossEntropy', 'loss: mseLoss'),
    );
    const r = await runMain(['train', config, '--out', join(tmpRoot, 'runs')]);
    assert.equal(r.code, 1);
    assert.match(
      assertOneLine(r.err),
      /column "species" holds 3 classes \(Adelie, Chinstrap, Gentoo\), so the task is classification, but the loss is a regression loss/,
    );
  });
});

describe('concrete: regression in original units', () => {
  it('trains, evaluates a separate file and predicts strengths in MPa', async () => {
    const { runDir, test } = await train(example('concrete.yaml'), '--epochs', '40');
    assert.ok(test.r2! >= 0.8, JSON.stringify(test));
    assert.ok(test.rmse! < 8, JSON.stringify(test));
    const file = subset(
      'concrete.csv',
      [2, 3, 4, 5, 100, 200, 300, 400, 500, 600, 700, 800],
      'concrete-eval.csv',
    );
    const r = await runMain(['eval', runDir, '--data', file]);
    assert.equal(r.code, 0, r.err);
    assert.ok(Number.isFinite(scores(r.out).rmse) && Number.isFinite(scores(r.out).r2), r.out);
    const p = await runMain(['predict', runDir, file]);
    assert.equal(p.code, 0, p.err);
    const values = p.out.trim().split('\n').slice(1).map(Number);
    assert.equal(values.length, 12);
    // Row 1 of the file is 79.99 MPa; predictions are in MPa, not standardized units.
    assert.ok(
      values.every((v) => v > 0 && v < 100),
      values.join(' '),
    );
    assert.ok(Math.abs(values[0]! - 79.99) < 20, String(values[0]));
  });
});

describe('churn: imbalanced binary table with a 51-level category', () => {
  it('trains with the task metrics (accuracy, F1, ROC-AUC), evaluates and predicts yes/no', async () => {
    const { runDir, test } = await train(example('churn.yaml'), '--epochs', '6');
    assert.ok(test.roc_auc! >= 0.85, JSON.stringify(test));
    assert.ok('f1' in test && 'accuracy' in test, JSON.stringify(test));
    const file = subset(
      'mlc_churn.csv',
      Array.from({ length: 60 }, (_, i) => 2 + i * 80),
      'churn-eval.csv',
    );
    const r = await runMain(['eval', runDir, '--data', file]);
    assert.equal(r.code, 0, r.err);
    assert.ok(Number.isFinite(scores(r.out).roc_auc), r.out);
    const p = await runMain(['predict', runDir, file]);
    assert.equal(p.code, 0, p.err);
    const classes = new Set(
      p.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    );
    assert.ok(
      [...classes].every((c) => c === 'no' || c === 'yes'),
      [...classes].join(' '),
    );
  });

  it('data.sampling: balanced draws classes evenly and trains', async () => {
    const config = join(tmpRoot, 'churn-balanced.yaml');
    writeFileSync(
      config,
      readFileSync(example('churn.yaml'), 'utf8')
        .replace('maxCategories: 16', 'maxCategories: 16\n  sampling: balanced\n  limit: 1500')
        .replace('name: churn', 'name: churn-balanced'),
    );
    const { test } = await train(config, '--epochs', '2');
    assert.ok(Number.isFinite(test.roc_auc), JSON.stringify(test));
  });
});

describe('eval and predict read the layouts train reads', () => {
  it('a CSV classification run with class-index labels evaluates with --data', async () => {
    const csv = join(tmpRoot, 'blobs.csv');
    const lines = ['a,b,label'];
    for (let i = 0; i < 90; i++) {
      const c = i % 3;
      lines.push(`${c * 3 + Math.sin(i)},${c * -2 + Math.cos(i * 7)},${c}`);
    }
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const config = join(tmpRoot, 'blobs.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'blobs',
        data: { format: 'csv', path: csv, label: 'label' },
        model: [{ type: 'Linear', outFeatures: 3 }],
        optimizer: { type: 'Adam', lr: 0.05 },
        loss: 'crossEntropy',
        training: { epochs: 20, batchSize: 16 },
        metrics: ['accuracy'],
      }),
    );
    const { runDir } = await train(config);
    const r = await runMain(['eval', runDir, '--data', csv]);
    assert.equal(r.code, 0, r.err);
    assert.ok(scores(r.out).accuracy! >= 0.9, r.out);
  });

  it("the README's `kiln predict runs/iris datasets/iris/iris.csv` prints species names", async () => {
    const cwd = mkdtempSync(join(tmpRoot, 'readme-'));
    const t = await runMain(['train', example('iris.yaml'), '--out', join(cwd, 'runs')]);
    assert.equal(t.code, 0, t.err);
    const runDir = join(cwd, 'runs', 'iris');
    const p = await runKiln(['predict', runDir, join(ROOT, 'datasets', 'iris', 'iris.csv')]);
    assert.equal(p.code, 0, p.err);
    const rows = p.out.trim().split('\n');
    assert.equal(rows[0], 'prediction,p_setosa,p_versicolor,p_virginica');
    assert.equal(rows.length, 151);
    assert.equal(rows[1]!.split(',')[0], 'setosa');
    assert.equal(rows[150]!.split(',')[0], 'virginica');
    const e = await runMain(['eval', runDir, '--data', join(ROOT, 'datasets', 'iris', 'iris.csv')]);
    assert.equal(e.code, 0, e.err);
    assert.ok(scores(e.out).accuracy! >= 0.9, e.out);
  });

  it('a diabetes-layout run evaluates with --data and --labels', async () => {
    const { runDir } = await train(example('diabetes.yaml'), '--epochs', '5');
    const d = join(ROOT, 'datasets', 'diabetes');
    const r = await runMain([
      'eval',
      runDir,
      '--data',
      join(d, 'diabetes_data_raw.csv.gz'),
      '--labels',
      join(d, 'diabetes_target.csv.gz'),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.ok(Number.isFinite(scores(r.out).rmse), r.out);
    const p = await runMain(['predict', runDir, join(d, 'diabetes_data_raw.csv.gz')]);
    assert.equal(p.code, 0, p.err);
    assert.equal(p.out.trim().split('\n').length, 443);
  });
});

describe('drinks: forecasting a monthly series', () => {
  it('an MLP on level-scaled windows beats seasonal-naive on the held-out tail; eval and predict', async () => {
    const config = join(tmpRoot, 'drinks-mlp.yaml');
    const text = readFileSync(example('drinks-forecast.yaml'), 'utf8');
    const model =
      '\nmodel:\n  - type: Flatten\n  - type: Linear\n    outFeatures: 32\n  - type: ReLU\n  - type: Linear\n    outFeatures: 1\noptimizer:';
    writeFileSync(
      config,
      text
        .replace(/\nmodel:[\s\S]*?\noptimizer:/, model)
        .replace('name: drinks-forecast', 'name: drinks-mlp'),
    );
    const { runDir, test } = await train(config, '--epochs', '60');
    assert.ok(test.rmse! < test.naive_rmse!, JSON.stringify(test));
    // Seasonal-naive on this tail, computed independently from the file.
    const values = readFileSync(dataset('drinks.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[1]));
    const windows = values.length - 24;
    const tail = Math.ceil(windows * 0.15);
    let se = 0;
    for (let t = values.length - tail; t < values.length; t++)
      se += (values[t]! - values[t - 12]!) ** 2;
    assert.ok(
      Math.abs(Math.sqrt(se / tail) - test.naive_rmse!) < 1e-3,
      `${Math.sqrt(se / tail)} vs ${test.naive_rmse}`,
    );
    const e = await runMain(['eval', runDir]);
    assert.equal(e.code, 0, e.err);
    assert.ok(Math.abs(scores(e.out).rmse! - test.rmse!) < 1e-3, e.out);
    // Predict the month after the first 300 rows (2016-12: 14431 in the file).
    const head = join(tmpRoot, 'drinks-head.csv');
    writeFileSync(
      head,
      `${readFileSync(dataset('drinks.csv'), 'utf8').split('\n').slice(0, 300).join('\n')}\n`,
    );
    const p = await runMain(['predict', runDir, head]);
    assert.equal(p.code, 0, p.err);
    const [header, first] = p.out.trim().split('\n');
    assert.equal(header, 'step,prediction');
    assert.ok(Math.abs(Number(first!.split(',')[1]) - 14431) < 2000, first);
  });

  it('examples/drinks-forecast.yaml (recurrent) trains, evaluates a separate file and predicts', async () => {
    const { runDir, test } = await train(example('drinks-forecast.yaml'), '--epochs', '3');
    assert.ok(Number.isFinite(test.rmse) && Number.isFinite(test.naive_rmse), JSON.stringify(test));
    const file = subset(
      'drinks.csv',
      Array.from({ length: 60 }, (_, i) => 200 + i),
      'drinks-part.csv',
    );
    const e = await runMain(['eval', runDir, '--data', file]);
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /\(36 windows\)/);
    const bad = join(tmpRoot, 'drinks-bad.csv');
    writeFileSync(bad, '"date","S4248SM144NCEN"\n1992-01-01,3459\n1992-02-01,\n');
    const b = await runMain(['predict', runDir, bad]);
    assert.equal(b.code, 1);
    assert.match(
      assertOneLine(b.err),
      /drinks-bad\.csv line 3, column 2 \("S4248SM144NCEN"\): missing value in a series/,
    );
  });
});
