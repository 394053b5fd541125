// CSV reading: the shipped iris and diabetes files, options, and line-numbered errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as k from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string, gzip = false): string {
  const path = join(dir, name);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

async function rejectsData(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof k.DataError, `expected DataError, got ${e}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

const IRIS_HEAD = '5,4,a,b,c\n5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,0\n7.0,3.2,4.7,1.4,1\n';

describe('loadIris', () => {
  it('loads 150 x 4 with 50 samples per class and the class names', async () => {
    const { features, labels, classes, featureNames } =
      await k.data.loadIris('datasets/iris/iris.csv');
    assert.deepEqual(features.shape, [150, 4]);
    assert.equal(labels.dtype, 'int32');
    assert.deepEqual(classes, ['setosa', 'versicolor', 'virginica']);
    assert.equal(featureNames.length, 4);
    const counts = [0, 0, 0];
    for (const c of labels.dataSync()) counts[c]!++;
    assert.deepEqual(counts, [50, 50, 50]);
    assert.deepEqual(
      [...features.select(0, 0).dataSync()].map((v) => Math.round(v * 10) / 10),
      [5.1, 3.5, 1.4, 0.2],
    );
  });

  it('names the line of a ragged row and of a class out of range', async () => {
    const ragged = write('iris.csv', `${IRIS_HEAD}6.4,3.2,4.5,1\n6.9,3.1,4.9,1.5,1\n`);
    await rejectsData(k.data.loadIris(ragged), /iris\.csv line 5: expected 5 fields, got 4/);
    const range = write('iris-range.csv', `${IRIS_HEAD}6.4,3.2,4.5,1.5,3\n6.9,3.1,4.9,1.5,1\n`);
    await rejectsData(
      k.data.loadIris(range),
      /iris-range\.csv line 5, column "col4": label 3 is out of range \(expected 0\.\.2 for 3 classes\)/,
    );
    const count = write('iris-count.csv', IRIS_HEAD);
    await rejectsData(k.data.loadIris(count), /announces 5 samples, the file has 3/);
    const meta = write('iris-meta.csv', 'sepal,petal\n1,2\n');
    await rejectsData(k.data.loadIris(meta), /iris-meta\.csv line 1: expected the metadata line/);
  });
});

describe('loadDiabetes', () => {
  it('loads 442 x 10 features and 442 targets from gzip', async () => {
    const { features, labels, featureNames } = await k.data.loadDiabetes(
      'datasets/diabetes/diabetes_data_raw.csv.gz',
      'datasets/diabetes/diabetes_target.csv.gz',
    );
    assert.deepEqual(features.shape, [442, 10]);
    assert.deepEqual(labels.shape, [442]);
    assert.equal(labels.dtype, 'float32');
    assert.deepEqual([...labels.dataSync().subarray(0, 3)], [151, 75, 141]);
    assert.deepEqual(
      [...features.select(0, 0).dataSync().subarray(0, 4)].map(Math.round),
      [59, 2, 32, 101],
    );
    assert.deepEqual(featureNames.slice(0, 4), ['age', 'sex', 'bmi', 'bp']);
  });

  it('rejects target files whose count differs', async () => {
    const data = write('d.txt.gz', '1 2\n3 4\n', true);
    const target = write('t.txt', '1\n2\n3\n');
    await rejectsData(
      k.data.loadDiabetes(data, target),
      /has 2 samples but .*t\.txt has 3 targets/,
    );
  });
});

describe('readCsv', () => {
  it('reads a header, picks columns by name, encodes string labels as sorted classes', async () => {
    const path = write('p.csv', 'a,b,species\n1,2,dog\n3,4,cat\n5,6,dog\n');
    const r = await k.data.readCsv(path, { label: 'species' });
    assert.deepEqual(r.featureNames, ['a', 'b']);
    assert.deepEqual(r.features.toArray(), [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    assert.deepEqual(r.classes, ['cat', 'dog']);
    assert.deepEqual([...r.labels!.dataSync()], [1, 0, 1]);
    const only = await k.data.readCsv(path, { columns: ['b'], label: -1 });
    assert.deepEqual(only.features.toArray(), [[2], [4], [6]]);
  });

  it('encodes categorical features as index or one-hot columns', async () => {
    const path = write('c.csv', 'x,color\n1,red\n2,blue\n3,red\n4,green\n');
    const idx = await k.data.readCsv(path, { categorical: { color: 'index' } });
    assert.deepEqual(idx.features.toArray(), [
      [1, 2],
      [2, 0],
      [3, 2],
      [4, 1],
    ]);
    const oh = await k.data.readCsv(path, { categorical: { color: 'onehot' } });
    assert.deepEqual(oh.featureNames, ['x', 'color=blue', 'color=green', 'color=red']);
    assert.deepEqual(oh.features.select(0, 1).toArray(), [2, 1, 0, 0]);
  });

  it('handles whitespace and auto delimiters, quotes, CRLF, skipRows and no header', async () => {
    const ws = await k.data.readCsv(write('w.txt', '# comment\n1  2\t3\n4 5 6\n'), {
      skipRows: 1,
      delimiter: 'whitespace',
    });
    assert.deepEqual(ws.features.shape, [2, 3]);
    assert.deepEqual(ws.featureNames, ['col0', 'col1', 'col2']);
    const semi = await k.data.readCsv(write('s.csv', 'a;b\r\n1;2\r\n\r\n3;4\r\n'));
    assert.deepEqual(semi.features.toArray(), [
      [1, 2],
      [3, 4],
    ]);
    const quoted = await k.data.readCsv(write('q.csv', 'v,"name, full"\n1,"a, ""b"""\n2,c\n'), {
      categorical: { 'name, full': 'index' },
    });
    assert.deepEqual(quoted.features.toArray(), [
      [1, 0],
      [2, 1],
    ]);
    const headerless = await k.data.readCsv(write('h.csv', '1,2\n3,4\n'), {
      header: false,
      label: 1,
    });
    assert.equal(headerless.labels!.dtype, 'float32');
    assert.deepEqual([...headerless.labels!.dataSync()], [2, 4]);
  });

  it('applies the missing-value policies', async () => {
    const path = write('m.csv', 'a,b,y\n1,2,0\n3,NA,1\n5,,1\n7,8,0\n');
    await rejectsData(
      k.data.readCsv(path, { label: 'y' }),
      /m\.csv line 3, column "b": missing value "NA"/,
    );
    const dropped = await k.data.readCsv(path, { label: 'y', missing: 'drop' });
    assert.deepEqual(dropped.features.toArray(), [
      [1, 2],
      [7, 8],
    ]);
    assert.deepEqual([...dropped.labels!.dataSync()], [0, 0]);
    const filled = await k.data.readCsv(path, { label: 'y', missing: { fill: -1 } });
    assert.deepEqual(filled.features.toArray(), [
      [1, 2],
      [3, -1],
      [5, -1],
      [7, 8],
    ]);
    const noLabel = write('ml.csv', 'a,y\n1,0\n2,\n');
    await rejectsData(
      k.data.readCsv(noLabel, { label: 'y', missing: { fill: 0 } }),
      /ml\.csv line 3, column "y": missing value/,
    );
  });

  it('reports ragged rows, non-numeric values and bad integer labels with line numbers', async () => {
    await rejectsData(
      k.data.readCsv(write('r.csv', 'a,b\n1,2\n3,4,5\n')),
      /r\.csv line 3: expected 2 fields, got 3/,
    );
    await rejectsData(
      k.data.readCsv(write('n.csv', 'a,b\n1,2\n3,x4\n')),
      /n\.csv line 3, column "b": "x4" is not a number/,
    );
    await rejectsData(
      k.data.readCsv(write('i.csv', 'a,y\n1,0\n2,1.5\n'), { label: 'y', labelDtype: 'int32' }),
      /i\.csv line 3, column "y": class label "1\.5" is not an integer/,
    );
    await rejectsData(
      k.data.readCsv(write('neg.csv', 'a,y\n1,0\n2,-1\n'), { label: 'y', labelDtype: 'int32' }),
      /neg\.csv line 3, column "y": label -1 is out of range/,
    );
  });

  it('rejects unknown columns with a ConfigError listing the columns', async () => {
    await assert.rejects(
      k.data.readCsv(write('u.csv', 'a,b\n1,2\n'), { label: 'z' }),
      (e: unknown) => e instanceof k.ConfigError && /"z" is not a column.*"a", "b"/.test(e.message),
    );
  });
});
