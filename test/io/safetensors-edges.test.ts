// Header edge cases that mutation testing showed the other safetensors tests let through:
// tensors listed out of offset order, header lengths with high bytes set or just past the end,
// and decoded tensors owning their bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/index.js';
import { tensor } from '../../src/ops/creation.js';
import { CheckpointError } from '../../src/tensor/errors.js';
import { buildFile } from './helpers.js';

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('safetensors header order and lengths', () => {
  test('tensors listed in the header out of offset order decode to their own bytes', () => {
    const data = new Uint8Array(16);
    data.set(f32Bytes([1, 2]), 0);
    data.set(f32Bytes([3, 4]), 8);
    const file = buildFile(
      {
        late: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
        early: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      },
      data,
    );
    const { tensors } = decodeSafetensors(file);
    assert.deepEqual(tensors.early!.toArray(), [1, 2]);
    assert.deepEqual(tensors.late!.toArray(), [3, 4]);
  });

  test('a header length with a high byte set is refused by the cap, not wrapped', () => {
    const good = buildFile({});
    const json = BigInt(good.length - 8);
    for (const high of [1n << 32n, 1n << 40n, 1n << 56n, 0xffn << 56n]) {
      const file = buildFile({}, new Uint8Array(0), { headerLength: high + json });
      assert.throws(() => decodeSafetensors(file), {
        name: 'CheckpointError',
        message: /exceeds the 100000000-byte limit/,
      });
    }
  });

  test('header lengths 1 to 8 bytes past the end of the file are refused; exactly to the end is fine', () => {
    const good = buildFile({});
    const n = good.length - 8;
    assert.deepEqual(Object.keys(decodeSafetensors(good).tensors), []);
    for (let extra = 1; extra <= 8; extra++) {
      const file = buildFile({}, new Uint8Array(0), { headerLength: BigInt(n + extra) });
      assert.throws(
        () => decodeSafetensors(file),
        (e: unknown) =>
          e instanceof CheckpointError && /runs past the end of the file/.test(e.message),
      );
    }
  });

  test('the smallest header, "{}" with length 2, decodes to nothing', () => {
    const file = buildFile(new Uint8Array(Buffer.from('{}')));
    assert.equal(file.length, 10);
    assert.deepEqual(decodeSafetensors(file), { tensors: {}, metadata: {} });
  });

  test('header lengths 0 and 1 are too small for a JSON object', () => {
    for (const len of [0n, 1n]) {
      const file = buildFile({}, new Uint8Array(0), { headerLength: len });
      assert.throws(() => decodeSafetensors(file), { message: /too small for a JSON object/ });
    }
  });

  test('files shorter than the 8-byte length prefix are truncated', () => {
    for (let size = 0; size < 8; size++) {
      assert.throws(() => decodeSafetensors(new Uint8Array(size)), { message: /truncated/ });
    }
  });
});

describe('safetensors decoded tensors own their bytes', () => {
  test('changing the file bytes after decoding leaves the tensors unchanged, and the reverse', () => {
    const bytes = encodeSafetensors({
      a: tensor([1.5, -2.5, 3.5]),
      b: tensor(new Int32Array([7, 8])),
    });
    const before = Uint8Array.from(bytes);
    const { tensors } = decodeSafetensors(bytes);
    bytes.fill(0xff, 8);
    assert.deepEqual(tensors.a!.toArray(), [1.5, -2.5, 3.5]);
    assert.deepEqual(tensors.b!.toArray(), [7, 8]);
    const again = decodeSafetensors(Uint8Array.from(before));
    (again.tensors.a!.storage as Float32Array)[0] = 99;
    assert.deepEqual(decodeSafetensors(before).tensors.a!.toArray(), [1.5, -2.5, 3.5]);
    assert.notEqual(tensors.a!.storage.buffer, bytes.buffer);
  });
});
