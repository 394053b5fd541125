// parseTable / readTable / showNames / cellWhere details that mutation testing showed untested:
// delimiter detection from the header only, spaces around quoted fields, tab-delimited empty
// cells, blank and all-empty records, lone-CR line ends, line numbers after quoted line breaks,
// errors inside the header (no column name yet), delimiter validation, non-UTF-8 files, gzip.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { cellWhere, showNames } from '../../src/data/table/read.js';
import * as k from '../../src/index.js';

const { parseTable, readTable } = k.data;

function throwsData(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof k.DataError, `${e.name}: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

describe('parseTable delimiters', () => {
  it('detects the delimiter from the header line only, preferring , then tab then ;', () => {
    // The header has no delimiter: ',' (the default), although a later line holds ';'.
    assert.deepEqual(parseTable('a\n1;2\n', 'x.csv').rows, [['1;2']]);
    assert.deepEqual(parseTable('a\r\n1;2\r\n', 'x.csv').rows, [['1;2']]);
    assert.deepEqual(parseTable('a\n1\t2\n', 'x.csv').rows, [['1\t2']]);
    // A header without a line end is the whole text.
    assert.deepEqual(parseTable('a;b', 'x.csv').columns, ['a', 'b']);
    throwsData(() => parseTable('a;b,', 'x.csv'), /^x\.csv line 1: header field 2 is empty$/);
    // Several candidates in the header: ',' wins over tab and ';', tab over ';'.
    assert.deepEqual(parseTable('a;b,c\n1;2,3\n', 'x.csv').columns, ['a;b', 'c']);
    assert.deepEqual(parseTable('a\tb,c\n1\t2,3\n', 'x.csv').columns, ['a\tb', 'c']);
    assert.deepEqual(parseTable('a;b\tc\n1;2\t3\n', 'x.csv').columns, ['a;b', 'c']);
    // A given delimiter overrides detection.
    assert.deepEqual(parseTable('a,b;c\n1,2;3\n', 'x.csv', { delimiter: ';' }).rows, [
      ['1,2', '3'],
    ]);
  });

  it('rejects a delimiter that is not one character, or is a quote or a line break', () => {
    for (const d of ['', '||', '"', '\n', '\r']) {
      assert.throws(
        () => parseTable('a,b\n1,2\n', 'd.csv', { delimiter: d }),
        (e: Error) =>
          e instanceof k.DataError &&
          e.message ===
            `d.csv: delimiter must be one character other than a quote or line break, got ${JSON.stringify(d)}`,
      );
    }
  });

  it('keeps empty cells of a tab-delimited file, also before a quoted field', () => {
    const t = parseTable('a\tb\tc\n1\t\t"x y"\n\t2\t\n', 't.tsv');
    assert.deepEqual(t.rows, [
      ['1', '', 'x y'],
      ['', '2', ''],
    ]);
    // After a quoted field too.
    assert.deepEqual(parseTable('a\tb\tc\n"x"\t\t2\n', 't.tsv').rows, [['x', '', '2']]);
    // A space delimiter: spaces are fields, not padding.
    assert.deepEqual(parseTable('a b c\n1  "q"\n', 's.txt', { delimiter: ' ' }).rows, [
      ['1', '', 'q'],
    ]);
  });
});

describe('parseTable records', () => {
  it('allows spaces and tabs around a quoted field, keeping the spaces inside it', () => {
    const t = parseTable('a,b,c\n  " x " \t,\t"y"  ,"z"\t\n', 'p.csv');
    assert.deepEqual(t.rows, [[' x ', 'y', 'z']]);
    // Before a CR LF and at the end of the text as well.
    assert.deepEqual(parseTable('a,b\r\n"1" ,"2" \r\n"3","4"  ', 'p.csv').rows, [
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('keeps a record of empty fields or of one empty quoted field; skips whitespace-only lines', () => {
    const t = parseTable('a,b\n,\n  \n\t\n"",x\n', 'e.csv');
    assert.deepEqual(t.rows, [
      ['', ''],
      ['', 'x'],
    ]);
    assert.deepEqual(t.lines, [2, 5]);
    const one = parseTable('a\n""\n\n1\n', 'o.csv');
    assert.deepEqual(one.rows, [[''], ['1']]);
    assert.deepEqual(one.lines, [2, 4]);
  });

  it('ends records at CR LF, LF or a lone CR, and counts lines for each', () => {
    const t = parseTable('a,b\r1,2\r\n3,4\n5,6\r\r7,8', 'cr.csv');
    assert.deepEqual(t.rows, [
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
      ['7', '8'],
    ]);
    assert.deepEqual(t.lines, [2, 3, 4, 6]);
  });

  it('counts the line breaks inside quoted fields (LF and CR LF) for the rows after them', () => {
    const t = parseTable('a,b\n"x\r\ny\nz",1\n2,"\n"\n3,4\n', 'q.csv');
    assert.deepEqual(t.rows, [
      ['x\r\ny\nz', '1'],
      ['2', '\n'],
      ['3', '4'],
    ]);
    assert.deepEqual(t.lines, [2, 5, 7]);
    // Doubled quotes at the start, the end and side by side.
    assert.deepEqual(parseTable('a\n""""\n"""x"""\n"a""""b"\n', 'd.csv').rows, [
      ['"'],
      ['"x"'],
      ['a""b'],
    ]);
  });

  it('names the line where the text after a closing quote is, after a quoted line break', () => {
    throwsData(
      () => parseTable('a,b\n1,"x\ny"z\n', 'm.csv'),
      /^m\.csv line 3, column 2 \("b"\): text after a closing quote \(write a quote inside a quoted field as ""\)$/,
    );
    throwsData(
      () => parseTable('a,b\n"x" y,1\n', 'm.csv'),
      /^m\.csv line 2, column 1 \("a"\): text after a closing quote/,
    );
    throwsData(
      () => parseTable('a,b\n1,2\n3,"never\n\n', 'm.csv'),
      /^m\.csv line 3, column 2 \("b"\): a quote opens that is never closed$/,
    );
    throwsData(
      () => parseTable('a,b\n1,"\n2,3\n4,x"y\n', 'm.csv'),
      /^m\.csv line 4, column 2 \("b"\): text after a closing quote/,
    );
    throwsData(
      () => parseTable('a,b\n1,2\n3,4 "5"\n', 'm.csv'),
      /^m\.csv line 3, column 2 \("b"\): a quote inside an unquoted value \(quote the whole field and double the quote: "a""b"\)$/,
    );
  });

  it('names a column by number only inside the header, where it has no name yet', () => {
    throwsData(
      () => parseTable('a,"b\n1,2\n', 'h.csv'),
      /^h\.csv line 1, column 2: a quote opens that is never closed$/,
    );
    throwsData(
      () => parseTable('"a"x,b\n1,2\n', 'h.csv'),
      /^h\.csv line 1, column 1: text after a closing quote/,
    );
    throwsData(
      () => parseTable('a,b,c"\n1,2,3\n', 'h.csv'),
      /^h\.csv line 1, column 3: a quote inside an unquoted value/,
    );
    // A row longer than the header: the extra column has no name either.
    throwsData(
      () => parseTable('a,b\n1,2,"x\n', 'h.csv'),
      /^h\.csv line 2, column 3: a quote opens that is never closed$/,
    );
  });

  it('checks the header after blank lines and a BOM, and only the header, for names', () => {
    // Only a leading byte order mark is dropped; one inside a value stays.
    assert.deepEqual(parseTable('a\nx\uFEFFy\n', 'b.csv').rows, [['x\uFEFFy']]);
    const t = parseTable('\uFEFF\n\n"a",b\n,\n', 'b.csv');
    assert.deepEqual(t.columns, ['a', 'b']);
    assert.deepEqual(t.lines, [4]);
    throwsData(
      () => parseTable('\n\nx,y,x\n1,2,3\n', 'b.csv'),
      /^b\.csv line 3: column "x" appears twice$/,
    );
    throwsData(
      () => parseTable('x,""\n1,2\n', 'b.csv'),
      /^b\.csv line 1: header field 2 is empty$/,
    );
    throwsData(
      () => parseTable('\n \n\n', 'b.csv'),
      /^b\.csv: empty file \(expected a header row of column names\)$/,
    );
    throwsData(
      () => parseTable('a,b\n1,2\n\n3\n', 'b.csv'),
      /^b\.csv line 4: expected 2 fields \(as in the header\), got 1$/,
    );
  });
});

describe('readTable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-table-read-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzip files, names errors by path, rejects bytes that are not UTF-8', async () => {
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'a;b\n1;2\n');
    const t = await readTable(plain);
    assert.equal(t.name, plain);
    assert.deepEqual(t.rows, [['1', '2']]);
    const gz = join(dir, 'packed.csv.gz');
    writeFileSync(gz, gzipSync('a|b\n"é"|2\n'));
    assert.deepEqual((await readTable(gz, { delimiter: '|' })).rows, [['é', '2']]);
    const bad = join(dir, 'latin1.csv');
    writeFileSync(bad, Buffer.from([0x61, 0x0a, 0xe9, 0x0a]));
    await assert.rejects(readTable(bad), (e: Error) => {
      assert.ok(e instanceof k.DataError);
      assert.equal(e.message, `${bad}: not UTF-8 text`);
      return true;
    });
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, 'a,b\n1\n');
    await assert.rejects(readTable(ragged), (e: Error) =>
      e.message.startsWith(`${ragged} line 2: expected 2 fields`),
    );
  });
});

describe('showNames and cellWhere', () => {
  it('shows plain names as they are and quotes the others', () => {
    assert.equal(showNames(['Adelie', 'Chin\nstrap']), 'Adelie, "Chin\\nstrap"');
    assert.equal(showNames(['a_b 1.5+c-d/e(f)']), 'a_b 1.5+c-d/e(f)');
    assert.equal(
      showNames(['', 'a,b', 'say "x"', 'x:y', 'é']),
      '"", "a,b", "say \\"x\\"", "x:y", "é"',
    );
    assert.equal(showNames([]), '');
  });

  it('shows at most max names, then the count', () => {
    const names = Array.from({ length: 13 }, (_, i) => `c${i}`);
    assert.equal(showNames(names.slice(0, 12)), names.slice(0, 12).join(', '));
    assert.equal(showNames(names), `${names.slice(0, 12).join(', ')}, ... (13 in all)`);
    assert.equal(showNames(['a', 'b', 'c'], 2), 'a, b, ... (3 in all)');
    assert.equal(showNames(['a', 'b'], 2), 'a, b');
  });

  it('names the file, line, 1-based column and column name of a cell', () => {
    const t = parseTable('a,"b c"\n1,2\n\n3,4\n', 'w.csv');
    assert.equal(cellWhere(t, 1, 1), 'w.csv line 4, column 2 ("b c")');
    assert.equal(cellWhere(t, 0, 0), 'w.csv line 2, column 1 ("a")');
  });
});
