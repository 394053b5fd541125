// Shared helpers for the io tests (not a test file itself).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '../../src/tensor/tensor.js';

/** The row-major bytes of a tensor's elements. */
export function bytesOf(t: Tensor): Uint8Array {
  const d = t.dataSync();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Same shape, dtype, and bit-identical elements (NaN payloads and -0 included). */
export function assertSameTensor(actual: Tensor, expected: Tensor, what = 'tensor'): void {
  assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  assert.equal(Buffer.compare(bytesOf(actual), bytesOf(expected)), 0, `${what}: bytes differ`);
}

/** A fresh temporary folder and a function that removes it. */
export function makeTempDir(prefix = 'kiln-io-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small deterministic PRNG (mulberry32) for fuzzing, independent of kiln's own generator. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds a safetensors file from a header (an object to stringify, exact text, or raw bytes used
 * as they are) and data bytes; `headerLength` overrides the length prefix.
 */
export function buildFile(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  options: { headerLength?: bigint } = {},
): Uint8Array {
  let json: Uint8Array;
  if (header instanceof Uint8Array) json = header;
  else {
    const text = typeof header === 'string' ? header : JSON.stringify(header);
    json = Buffer.from(text + ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8));
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
