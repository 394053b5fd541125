// The table pipeline: RFC 4180 reading with exact line numbers, column kind inference, and the
// fitted preprocessing (imputation, one-hot with an 'other' bucket, standardization, targets),
// checked against values computed by hand from the cells.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { parseTable, TablePreprocessor } = k.data;

function throwsData(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof k.DataError || e instanceof k.ConfigError, `${e.name}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('parseTable', () => {
  it('reads quotes, doubled quotes, delimiters and line breaks inside quotes, BOM, CRLF, empty cells', () => {
    const text =
      '\uFEFF"name","note",n\r\n"Smith, J","said ""hi""",1\r\n"multi\nline",,2\r\n\r\nplain , x ,\r\n';
    const t = parseTable(text, 'people.csv');
    assert.deepEqual(t.columns, ['name', 'note', 'n']);
    assert.deepEqual(t.rows, [
      ['Smith, J', 'said "hi"', '1'],
      ['multi\nline', '', '2'],
      ['plain', 'x', ''],
    ]);
    // The quoted line break spans lines 3-4; blank line 5 is skipped.
    assert.deepEqual(t.lines, [2, 3, 6]);
  });

  it('detects ; and tab delimiters from the header, or takes one given', () => {
    assert.deepEqual(parseTable('a;b\n1;2\n', 'x.csv').rows, [['1', '2']]);
    assert.deepEqual(parseTable('a\tb\n1\t2\n', 'x.tsv').rows, [['1', '2']]);
    assert.deepEqual(parseTable('a|b\n1|2\n', 'x.txt', { delimiter: '|' }).rows, [['1', '2']]);
  });

  it('names file and line for every structural error', () => {
    const cases: [string, RegExp][] = [
      ['a,b\n1,2\n3\n', /^t\.csv line 3: expected 2 fields \(as in the header\), got 1$/],
      ['a,b\n1,2,3\n', /^t\.csv line 2: expected 2 fields/],
      [
        'a,b\n1,"open\n2,3\n',
        /^t\.csv line 2, column 2 \("b"\): a quote opens that is never closed$/,
      ],
      ['a,b\n"x"y,2\n', /^t\.csv line 2, column 1 \("a"\): text after a closing quote/],
      ['a,b\nx"y,2\n', /^t\.csv line 2, column 1 \("a"\): a quote inside an unquoted value/],
      ['a,a\n1,2\n', /^t\.csv line 1: column "a" appears twice$/],
      ['a,,c\n1,2,3\n', /^t\.csv line 1: header field 2 is empty$/],
      ['', /^t\.csv: empty file/],
    ];
    for (const [text, message] of cases) throwsData(() => parseTable(text, 't.csv'), message);
  });
});

const PENGUINS = `species,island,bill,mass,sex,seen
Adelie,Dream,39.1,3750,male,2007-11-11
Adelie,Dream,,3800,female,2007-11-16
Gentoo,Biscoe,46.1,NA,female,2008-06-01
Gentoo,Biscoe,50.0,5700,,2009-01-15
Chinstrap,Dream,46.5,3500,female,2008-03-02
Chinstrap,Torgersen,50.2,3800,male,2009-12-01
`;

describe('TablePreprocessor', () => {
  const table = parseTable(PENGUINS, 'p.csv');

  it('infers kinds and the task, keeps class names as written', () => {
    const prep = TablePreprocessor.fit(table, { target: 'species' });
    assert.deepEqual(prep.toJSON().kinds, {
      species: 'categorical',
      island: 'categorical',
      bill: 'numeric',
      mass: 'numeric',
      sex: 'categorical',
      seen: 'date',
    });
    assert.equal(prep.task, 'classification');
    assert.deepEqual(prep.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
    assert.deepEqual(Array.from(prep.transform(table).y!.dataSync()), [0, 0, 2, 2, 1, 1]);
  });

  it('fits imputation and standardization on the training rows only', () => {
    const train = [0, 1, 2, 3];
    const prep = TablePreprocessor.fit(
      table,
      { target: 'species', missingIndicator: true, dates: 'ignore' },
      train,
    );
    assert.deepEqual(prep.featureNames, [
      'island=Biscoe',
      'island=Dream',
      'bill',
      'bill.missing',
      'mass',
      'mass.missing',
      'sex=female',
      'sex=male',
      'sex.missing',
    ]);
    const { x } = prep.transform(table);
    const rows = x.toArray() as number[][];
    // bill on training rows: 39.1, (missing), 46.1, 50.0 -> median 46.1 fills row 1.
    const bills = [39.1, 46.1, 46.1, 50.0];
    const mean = bills.reduce((a, b) => a + b, 0) / 4;
    const std = Math.sqrt(bills.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    assert.ok(Math.abs(rows[1][2]! - (46.1 - mean) / std) < 1e-5);
    assert.equal(rows[1]![3], 1);
    assert.equal(rows[0]![3], 0);
    // Row 5's bill (50.2) is scaled with the training statistics, not refitted.
    assert.ok(Math.abs(rows[5][2]! - (50.2 - mean) / std) < 1e-5);
    // sex: most frequent training level ('female', 2 of 3) fills row 3.
    assert.deepEqual(rows[3]!.slice(6), [1, 0, 1]);
    // Torgersen was never seen in training and there is no 'other' column: no island column set.
    assert.deepEqual(rows[5]!.slice(0, 2), [0, 0]);
  });

  it('caps categorical levels, the rarer ones sharing an other column', () => {
    const prep = TablePreprocessor.fit(table, {
      target: 'species',
      maxCategories: 1,
      dates: 'ignore',
    });
    assert.deepEqual(prep.featureNames.slice(0, 2), ['island=Dream', 'island=(other)']);
    const rows = prep.transform(table).x.toArray() as number[][];
    assert.deepEqual(
      rows.map((r) => r.slice(0, 2)),
      [
        [1, 0],
        [1, 0],
        [0, 1],
        [0, 1],
        [1, 0],
        [0, 1],
      ],
    );
  });

  it('expands dates into year and month features', () => {
    const prep = TablePreprocessor.fit(table, {
      target: 'species',
      standardize: false,
      drop: ['island', 'sex'],
    });
    assert.deepEqual(prep.featureNames, [
      'bill',
      'mass',
      'seen.year',
      'seen.month_sin',
      'seen.month_cos',
    ]);
    const row = (prep.transform(table).x.toArray() as number[][])[3]!;
    assert.ok(Math.abs(row[2]! - (2009 + 14 / 365)) < 1e-3);
    assert.ok(Math.abs(row[3]! - 0) < 1e-6 && Math.abs(row[4]! - 1) < 1e-6);
  });

  it('round-trips through JSON and encodes a new file with the same columns', () => {
    const prep = TablePreprocessor.fit(table, { target: 'species' }, [0, 2, 4]);
    const again = TablePreprocessor.fromJSON(JSON.parse(JSON.stringify(prep.toJSON())));
    const other = parseTable(
      'island,bill,sex,mass,seen\nBiscoe,,male,4000,2010-05-01\n',
      'new.csv',
    );
    assert.deepEqual(again.transform(other).x.toArray(), prep.transform(other).x.toArray());
    assert.equal(again.transform(other).y, null);
    throwsData(
      () => again.transform(parseTable('island\nDream\n', 'short.csv')),
      /short\.csv: no column "bill"/,
    );
  });

  it('infers classification for few integer levels and regression otherwise; task overrides', () => {
    const ints = parseTable(
      'x,y\n1,0\n2,1\n3,0\n4,1\n5,2\n6,0\n7,1\n8,2\n9,0\n10,1\n11,2\n',
      'i.csv',
    );
    assert.equal(TablePreprocessor.fit(ints, { target: 'y' }).task, 'classification');
    assert.equal(TablePreprocessor.fit(ints, { target: 'x' }).task, 'regression');
    assert.equal(
      TablePreprocessor.fit(ints, { target: 'y', task: 'regression' }).task,
      'regression',
    );
    assert.deepEqual(TablePreprocessor.fit(ints, { target: 'y' }).classes, ['0', '1', '2']);
  });

  it('rejects non-finite and out-of-range numbers, stray words and unknown classes by cell', () => {
    const cases: [string, RegExp][] = [
      [
        'a,y\n1,0\nInfinity,1\n',
        /^c\.csv line 3, column 1 \("a"\): "Infinity" is not a finite number/,
      ],
      [
        'a,y\n1,0\n2,1\n1e39,0\n',
        /^c\.csv line 4, column 1 \("a"\): "1e39" is beyond the float32 range/,
      ],
      ['a,y\n1,0\n-nan,1\n', /^c\.csv line 3, column 1 \("a"\): "-nan" is not a finite number/],
      [
        `a,y\n${Array.from({ length: 30 }, (_, i) => `${i},${i % 2}`).join('\n')}\nabc,1\n`,
        /^c\.csv line 32, column 1 \("a"\): "abc" is not a number, but 30 of 31/,
      ],
      ['a,y\n1,0\n2,\n', /^c\.csv line 3, column 2 \("y"\): the target is missing/],
    ];
    for (const [text, message] of cases) {
      throwsData(() => {
        const t = parseTable(text, 'c.csv');
        TablePreprocessor.fit(t, { target: 'y' }).transform(t);
      }, message);
    }
    const prep = TablePreprocessor.fit(parseTable('a,y\n1,no\n2,yes\n', 'c.csv'), { target: 'y' });
    throwsData(
      () => prep.transform(parseTable('a,y\n1,maybe\n', 'd.csv')),
      /^d\.csv line 2, column 2 \("y"\): class "maybe" was not seen in training \(classes: no, yes\)/,
    );
    throwsData(
      () => TablePreprocessor.fit(parseTable('a,y\n1,0\n', 'c.csv'), { target: 'z' }),
      /data\.target: "z" is not a column of c\.csv/,
    );
  });
});
