// readCsv cases that mutation testing showed untested: numeric-string categories in numeric
// order, a label in column 0, an encoded column followed by another, missing categorical values,
// and doubled-quote escapes.
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
