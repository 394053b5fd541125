import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { assertOneLine, runMain } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-class-weights-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An imbalanced 3-class CSV: 60 rows of class 0, 15 of class 1, 5 of class 2. */
function writeImbalanced(): string {
  const rows = ['x1,x2,label'];
  const counts = [60, 15, 5];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) rows.push(`${c + 0.1 * (i % 7)},${2 * c - 0.05 * (i % 5)},${c}`);
  });
  const path = join(tmp, 'imbalanced.csv');
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

function writeConfig(name: string, loss: unknown): string {
  const file = writeImbalanced();
  const config = {
    name,
    // An explicit test file (the same rows) keeps every row in training: counts 60/15/5.
    data: { format: 'csv', train: file, test: file, label: 'label' },
    model: [{ type: 'Linear', outFeatures: 3 }],
    optimizer: { type: 'Adam', lr: 0.05 },
    loss,
    training: { epochs: 2, batchSize: 16 },
    metrics: ['accuracy'],
    output: { dir: tmp },
  };
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('kiln train with classWeights: balanced', () => {
  it('fits n / (classes * count) on the training split and reuses it in eval', async () => {
    const r = await runMain([
      'train',
      writeConfig('weighted', { type: 'crossEntropy', classWeights: 'balanced' }),
    ]);
    assert.equal(r.code, 0, r.err);
    const record = JSON.parse(readFileSync(join(tmp, 'weighted', 'model.json'), 'utf8'));
    const train = [60, 15, 5];
    const n = train.reduce((a, b) => a + b, 0);
    const expected = train.map((c) => n / (3 * c));
    assert.equal(record.lossWeight.length, 3);
    record.lossWeight.forEach((w: number, i: number) => {
      assert.ok(Math.abs(w - expected[i]!) < 1e-5, `class ${i}: ${w} vs ${expected[i]}`);
    });
    const ev = await runMain(['eval', join(tmp, 'weighted')]);
    assert.equal(ev.code, 0, ev.err);
    assert.match(ev.out, /loss [\d.]+/);
  });

  it('rejects class weights on a loss without them, and unknown values, in one line', async () => {
    const mse = await runMain([
      'train',
      writeConfig('bad1', { type: 'mseLoss', classWeights: 'balanced' }),
    ]);
    assert.equal(mse.code, 1);
    assert.match(assertOneLine(mse.err), /loss\.classWeights: mseLoss takes no class weights/);
    const bad = await runMain([
      'train',
      writeConfig('bad2', { type: 'crossEntropy', classWeights: 'inverse' }),
    ]);
    assert.equal(bad.code, 1);
    assert.match(
      assertOneLine(bad.err),
      /loss \(crossEntropy\)\.classWeights: must be one of 'balanced', got "inverse"/,
    );
  });
});
