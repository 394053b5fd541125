// Fuzzing the table reader: hundreds of mutated CSV files (ragged rows, stray and unterminated
// quotes, BOM, CRLF, huge and non-finite numbers, empty cells, words in numeric columns,
// truncations). Each either loads into finite features or fails with a DataError naming the file
// and line; through the real CLI each gives exit 1 with one line, or a run with finite scores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertOneLine, mulberry32, runMain } from './helpers.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'kiln-table-fuzz-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

/** A small clean table: text categories, numbers, a yes/no column, a few empty cells. */
function baseTable(): string[] {
  const rand = mulberry32(7);
  const lines = ['"species","island","bill","mass","tagged"'];
  for (let i = 0; i < 40; i++) {
    const s = ['Adelie', 'Gentoo', 'Chinstrap'][i % 3]!;
    const island = ['Dream', 'Biscoe', 'Torgersen'][Math.floor(rand() * 3)]!;
    const bill = (35 + (i % 3) * 6 + rand() * 3).toFixed(1);
    const mass = i % 11 === 4 ? '' : String(3000 + (i % 3) * 900 + Math.floor(rand() * 300));
    lines.push(`"${s}","${island}",${bill},${mass},${rand() < 0.5 ? '"yes"' : '"no"'}`);
  }
  return lines;
}

type Mutation = (lines: string[], rand: () => number) => string;
const pick = (n: number, rand: () => number) => Math.floor(rand() * n);
const row = (lines: string[], rand: () => number) => 1 + pick(lines.length - 1, rand);
const setCell = (lines: string[], r: number, c: number, value: string) => {
  const cells = lines[r]!.split(',');
  cells[c] = value;
  lines[r] = cells.join(',');
};

const MUTATIONS: Record<string, Mutation> = {
  ragged: (l, rand) => {
    const r = row(l, rand);
    l[r] = rand() < 0.5 ? `${l[r]},9` : l[r]!.slice(0, l[r]!.lastIndexOf(','));
    return l.join('\n');
  },
  strayQuote: (l, rand) => {
    const r = row(l, rand);
    const at = pick(l[r]!.length, rand);
    l[r] = `${l[r]!.slice(0, at)}"${l[r]!.slice(at)}`;
    return l.join('\n');
  },
  hugeNumber: (l, rand) => {
    setCell(
      l,
      row(l, rand),
      2 + pick(2, rand),
      ['1e39', '-3.5e38', '1e400', '9'.repeat(60)][pick(4, rand)]!,
    );
    return l.join('\n');
  },
  nonFinite: (l, rand) => {
    setCell(
      l,
      row(l, rand),
      2 + pick(2, rand),
      ['Infinity', '-inf', 'NaN', 'nan', '+Inf'][pick(5, rand)]!,
    );
    return l.join('\n');
  },
  wordInNumbers: (l, rand) => {
    setCell(
      l,
      row(l, rand),
      2 + pick(2, rand),
      ['abc', '"12 kg"', '1,5', '0x10', '--3'][pick(5, rand)]!,
    );
    return l.join('\n');
  },
  emptyCells: (l, rand) => {
    for (let i = 0; i < 5; i++)
      setCell(l, row(l, rand), 1 + pick(4, rand), rand() < 0.5 ? '' : 'NA');
    return l.join('\n');
  },
  emptyTarget: (l, rand) => {
    setCell(l, row(l, rand), 0, '');
    return l.join('\n');
  },
  bomCrlf: (l, rand) =>
    `${rand() < 0.5 ? '\uFEFF' : ''}${l.join('\r\n')}${rand() < 0.5 ? '\r\n' : ''}`,
  quotedNewline: (l, rand) => {
    setCell(l, row(l, rand), 1, '"Dre\nam"');
    return l.join('\n');
  },
  header: (l, rand) => {
    const cells = l[0]!.split(',');
    const c = pick(cells.length, rand);
    cells[c] = rand() < 0.5 ? '' : cells[(c + 1) % cells.length]!;
    l[0] = cells.join(',');
    return l.join('\n');
  },
  truncate: (l, rand) => {
    const text = l.join('\n');
    return text.slice(0, pick(text.length, rand));
  },
  byteFlip: (l, rand) => {
    const text = l.join('\n');
    const at = pick(text.length, rand);
    return `${text.slice(0, at)}${[',', '"', '\n', 'x', '\r', ';'][pick(6, rand)]}${text.slice(at + 1)}`;
  },
};

function mutated(count: number, seed: number): { name: string; text: string }[] {
  const rand = mulberry32(seed);
  const names = Object.keys(MUTATIONS);
  return Array.from({ length: count }, (_, i) => {
    const kind = names[i % names.length]!;
    return { name: `fuzz-${i}-${kind}.csv`, text: MUTATIONS[kind]!(baseTable(), rand) };
  });
}

/** An error message is acceptable when it names the file, and the line for cell-level problems. */
function checkMessage(message: string, file: string): void {
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  assert.ok(message.includes(file), `names the file ${file}: ${message}`);
  if (/fields|column \d|cell|quote|target is missing/.test(message))
    assert.match(message, /line \d+/, `names the line: ${message}`);
}

describe('table reader fuzz', () => {
  it('400 mutated files: finite features or a DataError naming file and line', () => {
    let failed = 0;
    for (const { name, text } of mutated(400, 1)) {
      try {
        const table = k.data.parseTable(text, name);
        const prep = k.data.TablePreprocessor.fit(table, { target: 'species' });
        const { x, y } = prep.transform(table);
        for (const v of x.dataSync()) assert.ok(Number.isFinite(v), `${name}: non-finite feature`);
        assert.ok(y !== null && y.shape[0] === table.rows.length);
      } catch (e) {
        if (!(e instanceof k.DataError || e instanceof k.ConfigError)) throw e;
        checkMessage((e as Error).message, name);
        failed++;
      }
    }
    // Most mutations break the file; some (BOM, CRLF, empty cells) must load.
    assert.ok(failed > 150 && failed < 390, `${failed} of 400 failed`);
  });

  it('80 mutated files through kiln train: exit 1 with one line, or a run with finite scores', async () => {
    let ok = 0;
    for (const { name, text } of mutated(80, 2)) {
      const csv = join(tmpRoot, name);
      writeFileSync(csv, text);
      const config = join(tmpRoot, `${name}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          name: 'fuzz',
          data: { format: 'csv', path: csv, target: 'species' },
          model: [{ type: 'Linear', outFeatures: 3 }],
          optimizer: { type: 'Adam', lr: 0.01 },
          loss: 'crossEntropy',
          training: { epochs: 1, batchSize: 8 },
          output: { dir: join(tmpRoot, 'runs') },
        }),
      );
      const r = await runMain(['train', config]);
      if (r.code === 0) {
        ok++;
        const test = /test: (.*)/.exec(r.out)?.[1] ?? '';
        assert.ok(test !== '' && !/NaN|Infinity/.test(test), `${name}: ${test}`);
      } else {
        assert.equal(r.code, 1, `${name}: ${r.err}`);
        checkMessage(assertOneLine(r.err).slice('kiln: '.length), name);
      }
    }
    assert.ok(ok > 5 && ok < 75, `${ok} of 80 trained`);
  });
});
