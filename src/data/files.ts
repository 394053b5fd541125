import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DataError } from '../tensor/errors.js';

const gunzipAsync = promisify(gunzip);

/**
 * The bytes of a file, decompressed when it starts with the gzip magic (1f 8b), whatever its name.
 * Read and decompression failures become a `DataError` naming the file.
 *
 * @example
 * ```ts
 * const bytes = await readMaybeGzip('datasets/mnist/train-labels-idx1-ubyte.gz');
 * ```
 */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message);
    throw new DataError(`${path}: cannot read the file (${why})`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      const out = await gunzipAsync(raw);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new DataError(
        `${path}: corrupt or truncated gzip data (${(e as Error).message}); the file may be incomplete`,
      );
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}
