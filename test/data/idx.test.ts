// IDX and MNIST loading on the shipped files, and the checks that reject malformed IDX files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as k from '../../src/index.js';

const MNIST = 'datasets/mnist';
const dir = mkdtempSync(join(tmpdir(), 'kiln-idx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX file: magic (type byte, dims) + big-endian dims + payload. */
function idx(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint8(2, type);
  head.setUint8(3, dims.length);
  dims.forEach((d, i) => {
    head.setUint32(4 + 4 * i, d, false);
  });
  const out = new Uint8Array(head.byteLength + payload.length);
  out.set(new Uint8Array(head.buffer), 0);
  out.set(payload, head.byteLength);
  return out;
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function rejectsData(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof k.DataError, `expected DataError, got ${e}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

describe('readIdx', () => {
  it('reads the gzip MNIST label file', async () => {
    const f = await k.data.readIdx(`${MNIST}/t10k-labels-idx1-ubyte.gz`);
    assert.equal(f.magic, 2049);
    assert.deepEqual(f.shape, [10000]);
    assert.equal(f.dtype, 'uint8');
    assert.deepEqual([...f.data.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });

  it('reads raw and gzip files of every element type, big-endian', async () => {
    const be = new DataView(new ArrayBuffer(24));
    [1.5, -2.25, 3].forEach((v, i) => {
      be.setFloat64(8 * i, v, false);
    });
    const f64 = await k.data.readIdx(write('f64.idx', idx(0x0e, [3], new Uint8Array(be.buffer))));
    assert.equal(f64.dtype, 'float64');
    assert.deepEqual([...f64.data], [1.5, -2.25, 3]);
    const i16 = new DataView(new ArrayBuffer(4));
    i16.setInt16(0, -300, false);
    i16.setInt16(2, 513, false);
    const raw = idx(0x0b, [1, 2], new Uint8Array(i16.buffer));
    const gz = await k.data.readIdx(write('i16.gz', gzipSync(raw)));
    assert.deepEqual(gz.shape, [1, 2]);
    assert.equal(gz.dtype, 'int16');
    assert.deepEqual([...gz.data], [-300, 513]);
    const i8 = await k.data.readIdx(write('i8.idx', idx(0x09, [2], new Uint8Array([255, 1]))));
    assert.deepEqual([...i8.data], [-1, 1]);
  });

  it('rejects a bad magic number, naming the file', async () => {
    const path = write('bad-magic.idx', new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]));
    await rejectsData(k.data.readIdx(path), /bad-magic\.idx: not an IDX file: magic 0x01000801/);
    const badType = write('bad-type.idx', new Uint8Array([0, 0, 7, 1, 0, 0, 0, 0]));
    await rejectsData(k.data.readIdx(badType), /bad-type\.idx.*type byte/);
  });

  it('rejects truncated data and trailing bytes with expected and found sizes', async () => {
    const short = write('short.idx', idx(0x08, [2, 3], new Uint8Array(5)));
    await rejectsData(
      k.data.readIdx(short),
      /short\.idx: IDX file truncated.*needs 18 bytes \(header 12 \+ data 6\), found 17/,
    );
    const long = write('long.idx', idx(0x08, [2], new Uint8Array(3)));
    await rejectsData(
      k.data.readIdx(long),
      /long\.idx: IDX file has trailing bytes.*needs 10 bytes.*found 11/,
    );
    const header = write('header.idx', new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]));
    await rejectsData(
      k.data.readIdx(header),
      /header\.idx: truncated IDX header: 3 dims need a 16-byte header/,
    );
  });

  it('rejects a corrupt gzip stream and a missing file', async () => {
    const gz = gzipSync(idx(0x08, [100], new Uint8Array(100)));
    const cut = write('cut.gz', gz.subarray(0, gz.length - 10));
    await rejectsData(k.data.readIdx(cut), /cut\.gz: corrupt or truncated gzip/);
    await rejectsData(
      k.data.readIdx(join(dir, 'nope.idx')),
      /nope\.idx: cannot read the file \(no such file\)/,
    );
  });
});

describe('loadMnist', () => {
  it('loads the first training images and labels', async () => {
    const { images, labels } = await k.data.loadMnist(MNIST, { split: 'train', limit: 10 });
    assert.deepEqual(images.shape, [10, 1, 28, 28]);
    assert.equal(images.dtype, 'float32');
    assert.equal(labels.dtype, 'int32');
    assert.deepEqual([...labels.dataSync()], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    const px = images.dataSync();
    assert.ok(px.every((v) => v >= 0 && v <= 1));
    assert.equal(Math.max(...px), 1);
    // Digits are drawn on a black background: the corners are 0, some strokes saturate.
    assert.equal(images.select(0, 0).select(0, 0).select(0, 0).select(0, 0).item(), 0);
  });

  it('loads the test split; normalize false keeps 0..255', async () => {
    const { images, labels } = await k.data.loadMnist(MNIST, {
      split: 'test',
      limit: 10,
      normalize: false,
    });
    assert.deepEqual([...labels.dataSync()], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert.equal(Math.max(...images.dataSync()), 255);
    assert.ok(images.dataSync().every(Number.isInteger));
  });

  it('checks magic numbers, counts and label range', async () => {
    const imgs = idx(0x08, [2, 2, 2], new Uint8Array(8).fill(255));
    const labs = idx(0x08, [2], new Uint8Array([3, 4]));
    const ok = join(dir, 'ok');
    const swapped = join(dir, 'swapped');
    const counts = join(dir, 'counts');
    const range = join(dir, 'range');
    for (const d of [ok, swapped, counts, range]) rmSync(d, { recursive: true, force: true });
    for (const d of [ok, swapped, counts, range]) mkdirSync(d);
    writeFileSync(join(ok, 'train-images-idx3-ubyte'), imgs);
    writeFileSync(join(ok, 'train-labels-idx1-ubyte.gz'), gzipSync(labs));
    const loaded = await k.data.loadMnist(ok);
    assert.deepEqual(loaded.images.shape, [2, 1, 2, 2]);
    assert.deepEqual([...loaded.labels.dataSync()], [3, 4]);

    writeFileSync(
      join(swapped, 'train-images-idx3-ubyte.gz'),
      gzipSync(idx(0x08, [2], new Uint8Array(2))),
    );
    writeFileSync(join(swapped, 'train-labels-idx1-ubyte.gz'), gzipSync(labs));
    await rejectsData(
      k.data.loadMnist(swapped),
      /train-images-idx3-ubyte\.gz: IDX magic 0x00000801 is not an image file \(expected 2051\)/,
    );

    writeFileSync(join(counts, 'train-images-idx3-ubyte'), imgs);
    writeFileSync(join(counts, 'train-labels-idx1-ubyte'), idx(0x08, [3], new Uint8Array(3)));
    await rejectsData(k.data.loadMnist(counts), /has 2 images but .* has 3 labels/);

    writeFileSync(join(range, 't10k-images-idx3-ubyte'), imgs);
    writeFileSync(join(range, 't10k-labels-idx1-ubyte'), idx(0x08, [2], new Uint8Array([1, 12])));
    await rejectsData(
      k.data.loadMnist(range, { split: 'test' }),
      /t10k-labels-idx1-ubyte: label 12 at item 1 is out of range \(expected 0\.\.9\)/,
    );
  });
});
