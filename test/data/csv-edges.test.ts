// readCsv cases that mutation testing showed untested: numeric-string categories in numeric
// order, a label in column 0, an encoded column followed by another, missing categorical values,
// doubled-quote escapes, and the checks of the missing policy and the delimiter.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-csv-edges-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readCsv edge cases', () => {
  it('numbers category levels numerically: "2" < "9" < "10"', async () => {
    const path = write('sizes.csv', 'x,size\n1,10\n2,9\n3,2\n4,10\n');
    const r = await k.data.readCsv(path, { categorical: { size: 'index' } });
    assert.deepEqual(r.features.toArray(), [
      [1, 2],
      [2, 1],
      [3, 0],
      [4, 2],
    ]);
  });

  it('takes a label from column 0, by index and by name', async () => {
    const path = write('first.csv', 'species,a,b\ndog,1,2\ncat,3,4\n');
    for (const label of [0, 'species'] as const) {
      const r = await k.data.readCsv(path, { label });
      assert.deepEqual(r.featureNames, ['a', 'b']);
      assert.deepEqual(r.features.toArray(), [
        [1, 2],
        [3, 4],
      ]);
      assert.deepEqual(r.classes, ['cat', 'dog']);
      assert.deepEqual([...r.labels!.dataSync()], [1, 0]);
    }
  });

  it('keeps the column after a one-hot column in place; doubled quotes are one quote', async () => {
    const path = write('mixed.csv', 'x,color,z\n1,red,7\n2,"bl""ue",8\n3,red,9\n');
    const r = await k.data.readCsv(path, { categorical: { color: 'onehot' } });
    assert.deepEqual(r.featureNames, ['x', 'color=bl"ue', 'color=red', 'z']);
    assert.deepEqual(r.features.toArray(), [
      [1, 0, 1, 7],
      [2, 1, 0, 8],
      [3, 0, 1, 9],
    ]);
  });

  it('a missing categorical value is an error naming line and column, or dropped on request', async () => {
    const path = write('gap.csv', 'x,color\n1,red\n2,\n3,blue\n');
    await assert.rejects(k.data.readCsv(path, { categorical: { color: 'index' } }), {
      name: 'DataError',
      message: /gap\.csv line 3, column "color": missing value ""/,
    });
    const r = await k.data.readCsv(path, { categorical: { color: 'index' }, missing: 'drop' });
    assert.deepEqual(r.features.toArray(), [
      [1, 1],
      [3, 0],
    ]);
  });
});

describe('parseCsv option checks', () => {
  const text = 'a,b,c\n1,2,red\n,3,\n4,5,blue\n';
  const parse = (options: k.data.CsvOptions) =>
    k.data.parseCsv(text, 'm.csv', { categorical: { c: 'onehot' }, ...options });

  it("refuses a missing policy other than 'error', 'drop' or { fill: <finite number> }", () => {
    // Before, an unknown policy kept the row and wrote its missing cells as NaN features.
    for (const missing of [
      'zero',
      null,
      0,
      {},
      { fill: Number.NaN },
      { fill: Infinity },
      { fill: '0' },
    ]) {
      assert.throws(
        () => parse({ missing: missing as k.data.CsvOptions['missing'] }),
        (e: Error) =>
          e instanceof k.ConfigError &&
          e.message ===
            `m.csv: missing must be 'error', 'drop' or { fill: <finite number> }, got ${JSON.stringify(missing)}`,
      );
    }
  });

  it('applies each valid policy to numeric and one-hot cells', () => {
    assert.throws(() => parse({}), {
      name: 'DataError',
      message: /^m\.csv line 3, column "a": missing value ""/,
    });
    assert.throws(() => parse({ missing: 'error' }), { name: 'DataError' });
    assert.deepEqual(parse({ missing: 'drop' }).features.toArray(), [
      [1, 2, 0, 1],
      [4, 5, 1, 0],
    ]);
    for (const fill of [0, -1.5]) {
      assert.deepEqual(parse({ missing: { fill } }).features.toArray(), [
        [1, 2, 0, 1],
        [fill, 3, fill, fill],
        [4, 5, 1, 0],
      ]);
    }
  });

  it('refuses an empty delimiter instead of splitting lines into characters', () => {
    // Before, '' split a line into its characters, and looped forever on a line with a quote.
    for (const line of ['a,b\n1,2\n', '"a",b\n1,2\n']) {
      assert.throws(
        () => k.data.parseCsv(line, 'd.csv', { delimiter: '' }),
        (e: Error) =>
          e instanceof k.ConfigError &&
          e.message === "d.csv: delimiter must not be empty (or 'auto', 'whitespace')",
      );
    }
  });
});
