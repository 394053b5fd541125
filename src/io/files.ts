import { type FileHandle, open } from 'node:fs/promises';
import { CheckpointError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ioError, writeFileAtomic } from './atomic.js';
import type { SaveOptions } from './half.js';
import {
  encodeParts,
  entryTensor,
  parseHeader,
  readHeaderLength,
  type SafetensorsContents,
  setOwn,
} from './safetensors.js';

/**
 * Saves tensors to a safetensors file, atomically (see `writeFileAtomic`): after a crash the file
 * is either the old one or the complete new one. The tensors' values are copied before the first
 * await, so training may continue while the file is written. Non-contiguous tensors are written
 * row-major. Layout and order are those of `encodeSafetensors`.
 *
 * @example
 * ```ts
 * await k.io.save('model.safetensors', model.stateDict(), { epoch: '3' });
 * ```
 */
export async function save(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
  options: SaveOptions = {},
): Promise<void> {
  const { head, parts } = encodeParts(tensors, metadata, options);
  await writeFileAtomic(path, [head, ...parts]);
}

async function readExactly(
  handle: FileHandle,
  into: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    // The size was checked with fstat; a short read means the file shrank under us.
    if (bytesRead === 0) {
      throw new CheckpointError(`safetensors: ${path}: truncated while reading (file changed?)`);
    }
    done += bytesRead;
  }
}

/**
 * Loads a safetensors file written by kiln, PyTorch (`safetensors.torch.save_file`) or any other
 * conforming writer. F32/F64/I32/BOOL load as float32/float64/int32/bool; F16 and BF16 widen to
 * float32; I64, U32 (range-checked), I8, U8, I16 and U16 narrow or widen to int32. The file is read
 * piecewise: the header is validated against the file size before any tensor is allocated.
 * Returns `{ tensors, metadata }` (metadata `{}` when the file has none).
 *
 * @example
 * ```ts
 * const { tensors, metadata } = await k.io.load('model.safetensors');
 * model.loadStateDict(tensors);
 * ```
 */
export async function load(path: string): Promise<SafetensorsContents> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw ioError(`safetensors: cannot open ${path}`, e);
  }
  try {
    const size = (await handle.stat()).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, path);
    const n = readHeaderLength(prefix, size, path);
    const headerBytes = new Uint8Array(n);
    await readExactly(handle, headerBytes, 8, path);
    const dataStart = 8 + n;
    const { entries, metadata } = parseHeader(headerBytes, size - dataStart, path);
    const tensors: Record<string, Tensor> = {};
    for (const e of entries) {
      const raw = new Uint8Array(e.end - e.begin);
      await readExactly(handle, raw, dataStart + e.begin, path);
      setOwn(tensors, e.name, entryTensor(e, raw, path, true));
    }
    return { tensors, metadata };
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw ioError(`safetensors: cannot read ${path}`, e);
  } finally {
    await handle.close();
  }
}
