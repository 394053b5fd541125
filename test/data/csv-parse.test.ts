// parseCsv behaviour that mutation testing showed untested: delimiter detection and splitting,
// header detection, column references, missing-value tokens and policies, categorical levels and
// their order, label inference, the float32 range, and the exact error messages (file, line, field).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { parseCsv } = k.data;

/** Throws `cls` with exactly `message`. */
function throwsExact(fn: () => unknown, cls: typeof k.DataError, message: string): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e.name}: ${e.message}`);
    assert.equal(e.message, message);
    return true;
  });
}

const rows = (r: k.data.CsvData) => r.features.toArray() as number[][];
const labels = (r: k.data.CsvData) => [...r.labels!.dataSync()];

describe('parseCsv delimiters and lines', () => {
  it('detects , then tab then ; then whitespace from the first line read', () => {
    assert.deepEqual(parseCsv('a;b,c\n', 'd.csv').featureNames, ['a;b', 'c']);
    assert.deepEqual(parseCsv('a\tb,c\n', 'd.csv').featureNames, ['a\tb', 'c']);
    assert.deepEqual(parseCsv('a;b\tc\n', 'd.csv').featureNames, ['a;b', 'c']);
    assert.deepEqual(parseCsv('a b;c\n', 'd.csv').featureNames, ['a b', 'c']);
    assert.deepEqual(rows(parseCsv('  1   2\n3 4  \n', 'd.txt')), [
      [1, 2],
      [3, 4],
    ]);
    // Detection reads the first line after skipRows and blank lines; an explicit 'auto' is the same.
    const skipped = parseCsv('x,y,z\n\n  \na;b\n1;2\n', 'd.csv', {
      skipRows: 1,
      delimiter: 'auto',
    });
    assert.deepEqual(skipped.featureNames, ['a', 'b']);
    assert.deepEqual(rows(skipped), [[1, 2]]);
    // A given delimiter is not second-guessed.
    assert.deepEqual(parseCsv('a,b;c\n', 'd.csv', { delimiter: ';' }).featureNames, ['a,b', 'c']);
  });

  it("keeps the first line's delimiter for the whole file", () => {
    throwsExact(
      () => parseCsv('a,b\n1,2\n3;4\n', 'k.csv'),
      k.DataError,
      'k.csv line 3: expected 2 fields, got 1',
    );
  });

  it('splits quoted fields with a multi-character delimiter, doubled quotes and quotes at the ends', () => {
    const r = parseCsv('x::"y::z"::w\n1::"2"::3\n', 'm.txt', { delimiter: '::' });
    assert.deepEqual(r.featureNames, ['x', 'y::z', 'w']);
    assert.deepEqual(rows(r), [[1, 2, 3]]);
    const q = parseCsv('n,s\n1,"""a"""\n2,"b""""c"\n3,"d,e"\n4,f\n', 'q.csv', {
      categorical: { s: 'onehot' },
    });
    assert.deepEqual(q.featureNames, ['n', 's="a"', 's=b""c', 's=d,e', 's=f']);
  });

  it('skips blank and whitespace-only lines, CR LF ends and a BOM, counting lines for errors', () => {
    const r = parseCsv('\uFEFFa,b\r\n1,2\r\n   \r\n\t\r\n3,4\r\n', 'c.csv');
    assert.deepEqual(r.featureNames, ['a', 'b']);
    assert.deepEqual(rows(r), [
      [1, 2],
      [3, 4],
    ]);
    throwsExact(
      () => parseCsv('meta\nmeta\na,b\n\n1,2\n3\n', 'c.csv', { skipRows: 2 }),
      k.DataError,
      'c.csv line 6: expected 2 fields, got 1',
    );
    // A byte order mark inside the text is data, not stripped.
    const bom = parseCsv('a,c\n1,x\uFEFFy\n', 'b.csv', { categorical: { c: 'onehot' } });
    assert.deepEqual(bom.featureNames, ['a', 'c=x\uFEFFy']);
  });
});

describe('parseCsv header', () => {
  it('auto: the first row is a header only when none of its fields is a number', () => {
    const named = parseCsv('a,,c\n1,2,3\n', 'h.csv');
    assert.deepEqual(named.featureNames, ['a', '', 'c']);
    assert.deepEqual(rows(named), [[1, 2, 3]]);
    const data = parseCsv('x,2\n1,3\n', 'h.csv', { categorical: { 0: 'index' } });
    assert.deepEqual(data.featureNames, ['col0', 'col1']);
    assert.deepEqual(rows(data), [
      [1, 2],
      [0, 3],
    ]);
    // Only the first row can be the header: later rows of words are data, with or without one.
    const later = parseCsv('x,2\ny,z\n', 'h.csv', { categorical: { 0: 'index', 1: 'index' } });
    assert.deepEqual(later.featureNames, ['col0', 'col1']);
    assert.deepEqual(rows(later), [
      [0, 0],
      [1, 1],
    ]);
    const words = parseCsv('a,b\nx,y\nz,w\n', 'h.csv', { categorical: { a: 'index', b: 'index' } });
    assert.deepEqual(rows(words), [
      [0, 1],
      [1, 0],
    ]);
  });

  it('true takes a numeric first row as names; false reads a row of words as data', () => {
    const r = parseCsv('1,2\n3,4\n', 'h.csv', { header: true, label: '2' });
    assert.deepEqual(r.featureNames, ['1']);
    assert.deepEqual(labels(r), [4]);
    throwsExact(
      () => parseCsv('a,b\n1,2\n', 'h.csv', { header: false }),
      k.DataError,
      'h.csv line 1, column "col0": "a" is not a number (declare the column in categorical to encode strings)',
    );
  });

  it('trims the spaces around names and values', () => {
    const r = parseCsv('a , b \n1, red \n2,red\n', 's.csv', { categorical: { b: 'index' } });
    assert.deepEqual(r.featureNames, ['a', 'b']);
    assert.deepEqual(rows(r), [
      [1, 0],
      [2, 0],
    ]);
  });

  it('the header fixes the field count for the rows', () => {
    throwsExact(
      () => parseCsv('a,b,c\n1,2\n3,4\n', 'w.csv'),
      k.DataError,
      'w.csv line 2: expected 3 fields, got 2',
    );
  });
});

describe('parseCsv column references', () => {
  const text = 'a,b,c\n1,2,3\n4,5,6\n';

  it('takes names and indices from either end, in the order given', () => {
    const r = parseCsv(text, 'r.csv', { columns: ['c', 0, -2], label: -3 });
    assert.deepEqual(r.featureNames, ['c', 'a', 'b']);
    assert.deepEqual(rows(r), [
      [3, 1, 2],
      [6, 4, 5],
    ]);
    assert.deepEqual(labels(r), [1, 4]);
    // Without a label every column is a feature.
    assert.deepEqual(parseCsv(text, 'r.csv').featureNames, ['a', 'b', 'c']);
    assert.equal(parseCsv(text, 'r.csv').labels, undefined);
  });

  it('rejects references outside the columns with a ConfigError listing them', () => {
    const cols = 'the columns are "a", "b", "c"';
    const cases: [k.data.CsvOptions, string][] = [
      [{ label: 3 }, `r.csv: label column 3 is not a column; ${cols}`],
      [{ label: -4 }, `r.csv: label column -4 is not a column; ${cols}`],
      [{ label: 1.5 }, `r.csv: label column 1.5 is not a column; ${cols}`],
      [{ columns: ['a', 'd'] }, `r.csv: feature column "d" is not a column; ${cols}`],
      [{ categorical: { x1: 'index' } }, `r.csv: categorical column "x1" is not a column; ${cols}`],
      [
        { categorical: { '1x': 'index' } },
        `r.csv: categorical column "1x" is not a column; ${cols}`,
      ],
      [{ categorical: { '3': 'index' } }, `r.csv: categorical column 3 is not a column; ${cols}`],
      [
        { categorical: { '--1': 'index' } },
        `r.csv: categorical column "--1" is not a column; ${cols}`,
      ],
    ];
    for (const [options, message] of cases) {
      throwsExact(() => parseCsv(text, 'r.csv', options), k.ConfigError, message);
    }
  });

  it('reads a categorical key of digits as an index unless a column has that name', () => {
    const wide = `${Array.from({ length: 12 }, (_, j) => `c${j}`).join(',')}\n${Array.from({ length: 12 }, (_, j) => (j === 10 ? 'q' : `${j}`)).join(',')}\n`;
    assert.deepEqual(rows(parseCsv(wide, 'w.csv', { categorical: { '10': 'index' } }))[0]![10], 0);
    const last = parseCsv('a,b\n1,x\n2,y\n', 'l.csv', { categorical: { '-1': 'onehot' } });
    assert.deepEqual(last.featureNames, ['a', 'b=x', 'b=y']);
    // The column named "0" is the second one.
    const named = parseCsv('1,0\n5,b\n6,a\n', 'n.csv', {
      header: true,
      categorical: { '0': 'index' },
    });
    assert.deepEqual(rows(named), [
      [5, 1],
      [6, 0],
    ]);
  });
});

describe('parseCsv missing values', () => {
  it('knows "", NA, NaN, N/A, null and ? in any case, and nothing else', () => {
    const text = 'a,b\n1,NA\n2,nan\n3,n/a\n4,NULL\n5,?\n6,\n7,""\n8,9\n9,Na\n';
    assert.deepEqual(rows(parseCsv(text, 'm.csv', { missing: 'drop' })), [[8, 9]]);
    assert.deepEqual(
      rows(parseCsv(text, 'm.csv', { missing: { fill: -7 } })).map((r) => r[1]),
      [-7, -7, -7, -7, -7, -7, -7, 9, -7],
    );
    throwsExact(
      () => parseCsv('a,b\n1,none\n', 'm.csv', { missing: 'drop' }),
      k.DataError,
      'm.csv line 2, column "b": "none" is not a number (declare the column in categorical to encode strings)',
    );
    throwsExact(
      () => parseCsv('a,b\n1,2\n3,N/A\n', 'm.csv'),
      k.DataError,
      'm.csv line 3, column "b": missing value "N/A" (pass missing: \'drop\' or { fill } to accept it)',
    );
  });

  it('looks only at the used columns, the label included', () => {
    const text = 'y,a,b\n0,1,NA\n1,2,3\n,4,5\n';
    const r = parseCsv(text, 'u.csv', { columns: ['a'], label: 0, missing: 'drop' });
    assert.deepEqual(rows(r), [[1], [2]]);
    assert.deepEqual(labels(r), [0, 1]);
    throwsExact(
      () => parseCsv(text, 'u.csv', { columns: ['a'], label: 'y', missing: { fill: 0 } }),
      k.DataError,
      'u.csv line 4, column "y": missing value "" (pass missing: \'drop\' or { fill } to accept it)',
    );
    assert.deepEqual(rows(parseCsv(text, 'u.csv', { columns: ['y', 'a'], missing: { fill: 9 } })), [
      [0, 1],
      [1, 2],
      [9, 4],
    ]);
  });

  it('fills categorical cells, which are not a level: the index, or every one-hot column', () => {
    const text = 'x,c\n1,red\n2,NA\n3,blue\n';
    const idx = parseCsv(text, 'f.csv', { categorical: { c: 'index' }, missing: { fill: -5 } });
    assert.deepEqual(rows(idx), [
      [1, 1],
      [2, -5],
      [3, 0],
    ]);
    const oh = parseCsv(text, 'f.csv', { categorical: { c: 'onehot' }, missing: { fill: 0.5 } });
    assert.deepEqual(oh.featureNames, ['x', 'c=blue', 'c=red']);
    assert.deepEqual(rows(oh), [
      [1, 0, 1],
      [2, 0.5, 0.5],
      [3, 1, 0],
    ]);
  });
});

describe('parseCsv levels and labels', () => {
  it('orders levels numerically when both are numbers, else by code point', () => {
    const r = parseCsv('x,c\n1,10\n2,-1\n3,0.5\n4,2\n5,b\n6,a\n7,B\n8,9\n', 'o.csv', {
      categorical: { c: 'onehot' },
    });
    assert.deepEqual(r.featureNames.slice(1), [
      'c=-1',
      'c=0.5',
      'c=2',
      'c=9',
      'c=10',
      'c=B',
      'c=a',
      'c=b',
    ]);
  });

  it('numbers levels the same whatever the row order: numbers, then strings', () => {
    const values = ['10', '9', '5x', '1.0', '#', '1'];
    // Every rotation of the values and of their reverse: each pair meets in both orders.
    const orders = [values, [...values].reverse()].flatMap((vs) =>
      vs.map((_, i) => [...vs.slice(i), ...vs.slice(0, i)]),
    );
    for (const order of orders) {
      const text = `x,y\n${order.map((v, i) => `${i},${v}`).join('\n')}\n`;
      const r = parseCsv(text, 'p.csv', { label: 'y' });
      assert.deepEqual(r.classes, ['1', '1.0', '9', '10', '#', '5x'], order.join(' '));
      assert.deepEqual(
        labels(r).map((c) => r.classes![c]),
        order,
      );
    }
  });

  it('a label column with any string is categorical; its classes are the sorted levels', () => {
    const r = parseCsv('a,y\n1,2\n2,10\n3,x\n4,2\n', 'l.csv', { label: 'y' });
    assert.deepEqual(r.classes, ['2', '10', 'x']);
    assert.equal(r.labels!.dtype, 'int32');
    assert.deepEqual(labels(r), [0, 1, 2, 0]);
    // A declared categorical label of numbers is numbered the same way.
    const cat = parseCsv('a,y\n1,10\n2,9\n', 'l.csv', { label: 'y', categorical: { y: 'onehot' } });
    assert.deepEqual(cat.classes, ['9', '10']);
    assert.deepEqual(labels(cat), [1, 0]);
    assert.deepEqual(cat.featureNames, ['a']);
    // A label that is also a feature keeps its declared one-hot encoding there.
    const both = parseCsv('a,y\n1,dog\n2,cat\n', 'l.csv', {
      columns: ['a', 'y'],
      label: 'y',
      categorical: { y: 'onehot' },
    });
    assert.deepEqual(both.featureNames, ['a', 'y=cat', 'y=dog']);
    assert.deepEqual(rows(both), [
      [1, 0, 1],
      [2, 1, 0],
    ]);
    assert.deepEqual(labels(both), [1, 0]);
    // A string label that is also a feature is index-encoded there, declared or not.
    const feat = parseCsv('a,y\n1,dog\n2,cat\n', 'l.csv', { columns: ['a', 'y'], label: 'y' });
    assert.deepEqual(feat.featureNames, ['a', 'y']);
    assert.deepEqual(rows(feat), [
      [1, 1],
      [2, 0],
    ]);
    assert.deepEqual(labels(feat), [1, 0]);
    // With labelDtype int32 a string label column is still categorical.
    const int = parseCsv('a,y\n1,dog\n2,cat\n', 'l.csv', { label: 'y', labelDtype: 'int32' });
    assert.deepEqual(int.classes, ['cat', 'dog']);
    assert.deepEqual(labels(int), [1, 0]);
  });

  it('a float32 label must be a number', () => {
    throwsExact(
      () => parseCsv('a,y\n1,2\n2,x\n', 'l.csv', { label: 'y', labelDtype: 'float32' }),
      k.DataError,
      'l.csv line 3, column "y": "x" is not a number',
    );
    const r = parseCsv('y,a\n1.5,1\n-2,2\n', 'l.csv', { label: 0 });
    assert.equal(r.labels!.dtype, 'float32');
    assert.deepEqual(labels(r), [1.5, -2]);
    assert.equal(r.classes, undefined);
  });

  it('checks class indices against numClasses, naming the first bad row', () => {
    const ints = 'a,y\n1,0\n2,2\n3,3\n4,5\n';
    const ok = parseCsv(ints, 'n.csv', { label: 'y', labelDtype: 'int32', numClasses: 6 });
    assert.equal(ok.labels!.dtype, 'int32');
    assert.deepEqual(labels(ok), [0, 2, 3, 5]);
    assert.equal(ok.classes, undefined);
    throwsExact(
      () => parseCsv(ints, 'n.csv', { label: 'y', labelDtype: 'int32', numClasses: 3 }),
      k.DataError,
      'n.csv line 4, column "y": label 3 is out of range (expected 0..2 for 3 classes)',
    );
    throwsExact(
      () =>
        parseCsv('a,y\n1,3\n2,0\n', 'n.csv', { label: 'y', labelDtype: 'int32', numClasses: 3 }),
      k.DataError,
      'n.csv line 2, column "y": label 3 is out of range (expected 0..2 for 3 classes)',
    );
    throwsExact(
      () => parseCsv('a,y\n1,cat\n2,dog\n3,emu\n', 'n.csv', { label: 'y', numClasses: 2 }),
      k.DataError,
      'n.csv line 4, column "y": label 2 is out of range (expected 0..1 for 2 classes)',
    );
    throwsExact(
      () => parseCsv('a,y\n1,0\n2,-3\n', 'n.csv', { label: 'y', labelDtype: 'int32' }),
      k.DataError,
      'n.csv line 3, column "y": label -3 is out of range (expected a non-negative class index)',
    );
    throwsExact(
      () => parseCsv('a,y\n1,0\n2,Infinity\n', 'n.csv', { label: 'y', labelDtype: 'int32' }),
      k.DataError,
      'n.csv line 3, column "y": class label "Infinity" is not an integer',
    );
  });
});

describe('parseCsv float32 range', () => {
  const MAX = '3.4028234663852886e38';

  it('accepts the largest float32 of either sign and rejects beyond it, in features and labels', () => {
    const r = parseCsv(`a,y\n${MAX},-${MAX}\n-${MAX},${MAX}\n`, 'f.csv', { label: 'y' });
    assert.deepEqual(rows(r), [[3.4028234663852886e38], [-3.4028234663852886e38]]);
    assert.deepEqual(labels(r), [-3.4028234663852886e38, 3.4028234663852886e38]);
    const beyond = 'is beyond the float32 range (|x| <= 3.4e38)';
    const cases: [string, string][] = [
      ['a,y\n1,0\n3.5e38,1\n', `f.csv line 3, column "a": "3.5e38" ${beyond}`],
      ['a,y\n1,0\n-1e39,1\n', `f.csv line 3, column "a": "-1e39" ${beyond}`],
      ['a,y\n1,0\nInfinity,1\n', 'f.csv line 3, column "a": "Infinity" is not finite'],
      ['a,y\n-Infinity,1\n', 'f.csv line 2, column "a": "-Infinity" is not finite'],
      ['a,y\n1,0\n2,-1e39\n', `f.csv line 3, column "y": "-1e39" ${beyond}`],
      ['a,y\n1,Infinity\n', 'f.csv line 2, column "y": "Infinity" is not finite'],
    ];
    for (const [text, message] of cases) {
      throwsExact(() => parseCsv(text, 'f.csv', { label: 'y' }), k.DataError, message);
    }
  });
});
