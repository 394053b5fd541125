// The run report and its SVG plots: the whole run across resumes, events, confusion matrix.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { confusionMatrixSvg, escapeXml, lineChart, niceTicks } from '../../src/cli/plots/svg.js';
import { ROOT, runMain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-report-'));

function config(name: string, extra = ''): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}
seed: 0
data: { format: csv, path: ${join(ROOT, 'datasets/realworld/penguins.csv')}, target: species }
split: { validation: 0.2, test: 0.2 }
model:
  - { type: Linear, outFeatures: 8 }
  - { type: ReLU }
  - { type: Linear, outFeatures: 3 }
optimizer: { type: Adam, lr: 0.01 }
loss: crossEntropy
training: { epochs: 3, batchSize: 32 }
metrics: [accuracy]
output: { dir: ${join(dir, 'runs')} }
${extra}`,
  );
  return path;
}

async function train(args: string[]): Promise<string> {
  const r = await runMain(['train', ...args]);
  assert.equal(r.code, 0, r.err + r.out);
  const m = /run saved to (.+)$/m.exec(r.out);
  assert.ok(m, r.out);
  return m[1]!.trim();
}

/** The y pixel of every point drawn for a series (the circles after its path). */
function circles(svg: string): number {
  return (svg.match(/<circle /g) ?? []).length;
}

describe('run report', () => {
  it('covers the whole run after a resume, numbered from 1, with the resume marked', async () => {
    const path = config('resumed');
    await train([path]);
    const runDir = await train([path, '--resume', '--epochs', '5']);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    for (let e = 1; e <= 5; e++) assert.match(report, new RegExp(`^\\| ${e} \\| `, 'm'));
    assert.match(report, /- epochs trained: 5 of 5/);
    assert.match(report, /- resumed after epoch 3 \(continuing from epoch 4\)/);
    assert.match(report, /- changed on resume: training\.epochs 3 -> 5 from epoch 4/);
    const loss = readFileSync(join(runDir, 'plots', 'loss.svg'), 'utf8');
    // Train and validation loss, five epochs each, and the resume line.
    assert.equal(circles(loss), 10);
    assert.match(loss, />resumed</);
    assert.match(report, /!\[loss\]\(plots\/loss\.svg\)/);
    for (const f of ['accuracy.svg', 'lr.svg', 'confusion-matrix.svg'])
      assert.ok(existsSync(join(runDir, 'plots', f)), f);
  });

  it('draws the test confusion matrix with the original class names and every test sample', async () => {
    const runDir = await train([config('confusion')]);
    const svg = readFileSync(join(runDir, 'plots', 'confusion-matrix.svg'), 'utf8');
    for (const name of ['Adelie', 'Chinstrap', 'Gentoo'])
      assert.match(svg, new RegExp(`>${name}<`));
    const counts = [...svg.matchAll(/font-size="(?:9|12)" font-family="sans-serif">(\d+)</g)].map(
      (m) => Number(m[1]),
    );
    assert.equal(counts.length, 9);
    const split = JSON.parse(readFileSync(join(runDir, 'split.json'), 'utf8'));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      split.test.length,
    );
  });

  it('marks early stopping and the best epoch', async () => {
    const runDir = await train([
      config(
        'stopped',
        'callbacks: { earlyStopping: { patience: 1, minDelta: 100, restoreBestWeights: true } }',
      ),
      '--epochs',
      '10',
    ]);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    assert.match(report, /## Events\n\n- early stopping: val_loss did not improve/);
    assert.match(report, /restored the weights of epoch 1/);
    assert.match(report, /- epochs trained: 3 of 10/);
    assert.match(readFileSync(join(runDir, 'plots', 'loss.svg'), 'utf8'), />best</);
  });
});

describe('svg plots', () => {
  it('picks round ticks covering the range', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(1, 10, 5), [2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(-0.05, 0.05, 4), [-0.05, 0, 0.05]);
  });

  it('escapes names and leaves non-finite points out', () => {
    assert.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    const svg = lineChart({
      title: '<script>',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        {
          name: 'train',
          points: [
            [1, 1],
            [2, Number.NaN],
            [3, Number.POSITIVE_INFINITY],
            [4, 0.5],
          ],
        },
      ],
    });
    assert.equal(circles(svg), 2);
    assert.doesNotMatch(svg, /<script>|NaN|Infinity/);
    const cm = confusionMatrixSvg(
      [
        [1, 0],
        [2, 3],
      ],
      ['<b>', 'ok'],
    );
    assert.match(cm, /&lt;b&gt;/);
    assert.doesNotMatch(cm, /<b>/);
  });
});
