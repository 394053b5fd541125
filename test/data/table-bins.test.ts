// The piecewise-linear encoding of numeric columns (TablePreprocessor numericBins): quantile
// edges fitted on the training rows, each bin feature 0 below it, 1 above it and the position
// within it between; saved with the spec so new rows encode the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { parseTable, TablePreprocessor } = k.data;
const lines = [
  'x,flag,y',
  ...Array.from({ length: 9 }, (_, i) => `${i},${i % 2 ? 'yes' : 'no'},${i}`),
];
const table = parseTable(`${lines.join('\n')}\n10,no,10\n-5,yes,0\n`, 'bins.csv');
const train = Array.from({ length: 9 }, (_, i) => i); // x = 0..8; rows 9 and 10 are new

describe('TablePreprocessor numericBins', () => {
  it('adds one feature per quantile bin, encoded piecewise-linearly', () => {
    const prep = TablePreprocessor.fit(
      table,
      { target: 'y', task: 'regression', numericBins: 4 },
      train,
    );
    // Edges at the 0, 1/4, 2/4, 3/4, 1 quantiles of 0..8: 0, 2, 4, 6, 8.
    const spec = prep.toJSON().features[0]!;
    assert.equal(spec.kind, 'numeric');
    assert.deepEqual(spec.kind === 'numeric' ? spec.bins : null, [0, 2, 4, 6, 8]);
    assert.deepEqual(prep.featureNames, ['x', 'x.bin1', 'x.bin2', 'x.bin3', 'x.bin4', 'flag']);
    const rows = prep.transform(table).x.toArray() as number[][];
    const bins = (r: number) => rows[r]!.slice(1, 5).map((v) => Math.round(v * 1e6) / 1e6);
    assert.deepEqual(bins(0), [0, 0, 0, 0]);
    assert.deepEqual(bins(3), [1, 0.5, 0, 0]); // x = 3: past bin 1 (0..2), half through bin 2
    assert.deepEqual(bins(8), [1, 1, 1, 1]);
    // New rows outside the training range clamp to 0 and 1; the standardized value goes on.
    assert.deepEqual(bins(9), [1, 1, 1, 1]);
    assert.deepEqual(bins(10), [0, 0, 0, 0]);
    assert.ok(rows[10][0]! < rows[0][0]!);
    // The spec round-trips: a reloaded preprocessing encodes identically.
    const again = TablePreprocessor.fromJSON(prep.toJSON()).transform(table).x.toArray();
    assert.deepEqual(again, rows);
  });

  it('merges repeated edges and skips columns with too few distinct values', () => {
    const few = parseTable('a,y\n0,1\n0,2\n0,3\n1,4\n1,5\n', 'few.csv');
    const prep = TablePreprocessor.fit(few, { target: 'y', task: 'regression', numericBins: 8 });
    // Edges 0 and 1 only: a single bin adds nothing to the standardized value.
    assert.deepEqual(prep.featureNames, ['a']);
    const levels = parseTable('a,y\n0,1\n1,2\n2,3\n2,4\n2,5\n', 'levels.csv');
    const p2 = TablePreprocessor.fit(levels, { target: 'y', task: 'regression', numericBins: 4 });
    assert.deepEqual(p2.featureNames, ['a', 'a.bin1', 'a.bin2']);
  });

  it('rejects a bin count that is not an integer of at least 2', () => {
    for (const numericBins of [1, 2.5, -1])
      assert.throws(
        () => TablePreprocessor.fit(table, { target: 'y', numericBins }),
        /data\.numericBins: must be an integer in 2\.\.256/,
      );
  });
});
