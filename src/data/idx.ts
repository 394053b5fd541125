import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, fmtShape, ValueError } from '../tensor/errors.js';
import { contiguousStrides } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { readMaybeGzip } from './files.js';

/** Element types of IDX files (the third byte of the magic number). */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array of each IDX element type. */
export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/** The contents of an IDX file. */
export interface IdxFile {
  /** The 32-bit magic number: 0x0000 then the type byte then the number of dims (2051 = uint8, 3 dims). */
  magic: number;
  shape: number[];
  dtype: IdxDType;
  /** The elements, row-major, in host byte order. */
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDType; size: number }> = {
  8: { dtype: 'uint8', size: 1 },
  9: { dtype: 'int8', size: 1 },
  11: { dtype: 'int16', size: 2 },
  12: { dtype: 'int32', size: 4 },
  13: { dtype: 'float32', size: 4 },
  14: { dtype: 'float64', size: 8 },
};

const hex = (m: number) => `0x${m.toString(16).padStart(8, '0')}`;

/**
 * Reads an IDX file (the format of MNIST), gzip-compressed (detected by its magic bytes 1f 8b) or
 * raw. The header is checked in full: the two zero bytes, the type byte, the number of dims and
 * the data size against the file length; each failure is a `DataError` naming the file, what was
 * expected and what was found.
 *
 * @example
 * ```ts
 * const { shape, dtype, data } = await k.data.readIdx('datasets/mnist/t10k-labels-idx1-ubyte.gz');
 * // shape [10000], dtype 'uint8'
 * ```
 */
export async function readIdx(path: string): Promise<IdxFile> {
  return parseIdx(await readMaybeGzip(path), path);
}

/** Parses IDX bytes; `name` is used in error messages. @example `parseIdx(bytes, 'x.idx')` */
export function parseIdx(bytes: Uint8Array, name: string): IdxFile {
  if (bytes.length < 4) {
    throw new DataError(
      `${name}: IDX file is ${bytes.length} bytes, too short for the 4-byte magic number`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = TYPES[bytes[2]!];
  const ndim = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type || ndim === 0) {
    throw new DataError(
      `${name}: not an IDX file: magic ${hex(magic)} should be 0x0000 then a type byte (08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64) then a non-zero number of dims`,
    );
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    throw new DataError(
      `${name}: truncated IDX header: ${ndim} dims need a ${header}-byte header, the file has ${bytes.length} bytes`,
    );
  }
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * type.size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new DataError(
      `${name}: IDX file ${what}: shape ${fmtShape(shape)} of ${type.dtype} needs ${expected} bytes (header ${header} + data ${count * type.size}), found ${bytes.length}`,
    );
  }
  return { magic, shape, dtype: type.dtype, data: decode(view, header, count, type.dtype) };
}

function decode(view: DataView, at: number, n: number, dtype: IdxDType): IdxData {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + at, n * TYPES_SIZE[dtype]);
  switch (dtype) {
    case 'uint8':
      // The bytes are a fresh buffer from the file read or gunzip; no copy needed.
      return bytes;
    case 'int8':
      return new Int8Array(bytes.slice().buffer);
    case 'int16':
      return Int16Array.from({ length: n }, (_, i) => view.getInt16(at + 2 * i, false));
    case 'int32':
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(at + 4 * i, false));
    case 'float32':
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(at + 4 * i, false));
    case 'float64':
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(at + 8 * i, false));
  }
}

const TYPES_SIZE: Record<IdxDType, number> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Which files: `train` (60,000 images) or `test` (10,000). Default 'train'. */
  split?: 'train' | 'test';
  /** Keep only the first `limit` images and labels. */
  limit?: number;
  /** Scale pixels to [0, 1] (default true); false keeps 0..255 as float32. */
  normalize?: boolean;
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

function mnistFile(dir: string, stem: string): string {
  const gz = join(dir, `${stem}.gz`);
  // The original distribution is gzipped, but unpacked copies are common; prefer what exists.
  if (existsSync(gz) || !existsSync(join(dir, stem))) return gz;
  return join(dir, stem);
}

/**
 * Loads MNIST (or a same-format set such as Fashion-MNIST) from the four IDX files in `dir`, gzip
 * or unpacked, as `{ images: [N,1,28,28] float32 in [0,1], labels: [N] int32 }`. Checks the magic
 * numbers (2051 images, 2049 labels), that image and label counts agree, and that labels are 0..9.
 * Never downloads anything.
 *
 * @example
 * ```ts
 * const { images, labels } = await k.data.loadMnist('datasets/mnist', { split: 'test', limit: 1000 });
 * ```
 */
export async function loadMnist(
  dir: string,
  options: MnistOptions = {},
): Promise<{ images: Tensor; labels: Tensor }> {
  const { split = 'train', limit, normalize = true } = options;
  if (split !== 'train' && split !== 'test') {
    throw new ValueError(
      `loadMnist: split must be 'train' or 'test', got ${JSON.stringify(split)}`,
    );
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new ValueError(`loadMnist: limit must be a non-negative integer, got ${limit}`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagePath = mnistFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelPath = mnistFile(dir, `${prefix}-labels-idx1-ubyte`);
  const [img, lab] = await Promise.all([readIdx(imagePath), readIdx(labelPath)]);
  if (img.magic !== IMAGES_MAGIC) {
    throw new DataError(
      `${imagePath}: IDX magic ${hex(img.magic)} is not an image file (expected ${IMAGES_MAGIC})`,
    );
  }
  if (lab.magic !== LABELS_MAGIC) {
    throw new DataError(
      `${labelPath}: IDX magic ${hex(lab.magic)} is not a label file (expected ${LABELS_MAGIC})`,
    );
  }
  const [n, h, w] = img.shape as [number, number, number];
  if (lab.shape[0] !== n) {
    throw new DataError(
      `${imagePath} has ${n} images but ${labelPath} has ${lab.shape[0]} labels; the counts must agree`,
    );
  }
  const keep = Math.min(limit ?? n, n);
  const pixels = img.data as Uint8Array;
  const images = new Float32Array(keep * h * w);
  const scale = normalize ? 1 / 255 : 1;
  for (let i = 0; i < images.length; i++) images[i] = pixels[i]! * scale;
  const labels = Int32Array.from((lab.data as Uint8Array).subarray(0, keep));
  const bad = labels.findIndex((v) => v > 9);
  if (bad >= 0) {
    throw new DataError(
      `${labelPath}: label ${labels[bad]} at item ${bad} is out of range (expected 0..9)`,
    );
  }
  return {
    // Wrapped without the copy `tensor()` makes: these arrays are fresh and owned by no one else.
    images: new Tensor(images, [keep, 1, h, w], contiguousStrides([keep, 1, h, w]), 0, 'float32'),
    labels: new Tensor(labels, [keep], [1], 0, 'int32'),
  };
}
