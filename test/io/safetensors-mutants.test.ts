// Safetensors behaviour that mutation testing (scripts/mutation.sh safetensors) found unpinned:
// exact boundaries of the header checks, the wording of each refusal, the writer's dtype order
// with half precision, the byte layout of the smallest file, and copies that must not alias.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from '../../src/io/index.js';
import { encodeParts, readHeaderLength } from '../../src/io/safetensors.js';
import { tensor } from '../../src/ops/creation.js';
import { CheckpointError } from '../../src/tensor/errors.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { buildFile } from './helpers.js';

function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CheckpointError && message.test(e.message));
}

/** The tensor names of a file in header order (the writer's order). */
function headerNames(bytes: Uint8Array): string[] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  return Object.keys(header).filter((k) => k !== '__metadata__');
}

describe('safetensors header length boundaries', () => {
  test('an 8-byte file has a length but no header: it runs past the end, it is not truncated', () => {
    const file = buildFile({}, new Uint8Array(0), { headerLength: 2n }).subarray(0, 8);
    refuses(
      () => decodeSafetensors(file),
      /header length 2 runs past the end of the file \(8 bytes\)/,
    );
  });

  test('a prefix shorter than 8 bytes is truncated whatever the file size claims', () => {
    refuses(() => readHeaderLength(new Uint8Array(4), 100, 'f'), /^safetensors: f: truncated/);
  });

  test('a header of exactly the cap passes the cap check; one byte more does not', () => {
    const at = buildFile({}, new Uint8Array(0), { headerLength: BigInt(MAX_HEADER_BYTES) });
    refuses(() => decodeSafetensors(at), /runs past the end of the file/);
    const over = buildFile({}, new Uint8Array(0), { headerLength: BigInt(MAX_HEADER_BYTES + 1) });
    refuses(
      () => decodeSafetensors(over),
      /header length 100000001 exceeds the 100000000-byte limit/,
    );
  });

  test('a header starting with a UTF-8 byte-order mark is refused (the reference requires "{")', () => {
    const json = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{}     ')]);
    refuses(
      () => decodeSafetensors(buildFile(new Uint8Array(json))),
      /header does not start with "\{"/,
    );
  });

  test('errors name "<bytes>" when no source is given, and a non-Uint8Array input is refused', () => {
    refuses(() => decodeSafetensors(new Uint8Array(3)), /^safetensors: <bytes>: truncated/);
    refuses(
      () => decodeSafetensors([1, 2, 3] as unknown as Uint8Array, { source: 'x.st' }),
      /^safetensors: x\.st: expected a Uint8Array$/,
    );
  });
});

describe('safetensors header entries', () => {
  const entry = (fields: Record<string, unknown>) =>
    buildFile(
      { t: { dtype: 'F32', shape: [1], data_offsets: [0, 4], ...fields } },
      new Uint8Array(4),
    );

  test('an unknown dtype is "unknown", a known one kiln cannot read is "unsupported"', () => {
    refuses(() => decodeSafetensors(entry({ dtype: 'Q7' })), /field "dtype": unknown dtype "Q7"/);
    refuses(() => decodeSafetensors(entry({ dtype: 7 })), /field "dtype": unknown dtype 7/);
  });

  test('shape entries must be non-negative safe integers', () => {
    for (const shape of [[-1], [1.5], ['1'], [null], [2 ** 53]]) {
      refuses(
        () => decodeSafetensors(entry({ shape })),
        /tensor "t": field "shape": .* is not a list of non-negative integers/,
      );
    }
  });

  test('the element count may reach 2^53 - 1 but not more', () => {
    refuses(
      () => decodeSafetensors(entry({ shape: [Number.MAX_SAFE_INTEGER] })),
      /field "data_offsets": \[0, 4\] holds 4 bytes, shape \[9007199254740991\] of F32 needs/,
    );
    refuses(
      () => decodeSafetensors(entry({ shape: [2 ** 26, 2 ** 27] })),
      /field "shape": too many elements/,
    );
  });

  test('data_offsets must be two non-negative safe integers', () => {
    for (const data_offsets of [
      [-4, 0],
      [0, -4],
      [0, 4.5],
      ['0', 4],
      [0, '4'],
      [0],
      [0, 4, 8],
      [null, 4],
    ]) {
      refuses(
        () => decodeSafetensors(entry({ data_offsets })),
        /tensor "t": field "data_offsets": expected \[begin, end\] non-negative integers, got /,
      );
    }
  });

  test('a size mismatch names the bytes held and needed', () => {
    const file = buildFile(
      { t: { dtype: 'F32', shape: [3], data_offsets: [4, 8] } },
      new Uint8Array(8),
    );
    refuses(() => decodeSafetensors(file), /\[4, 8\] holds 4 bytes, shape \[3\] of F32 needs 12/);
  });

  test('an empty tensor and a full one starting at the same offset tile the buffer in either order', () => {
    const data = new Uint8Array(new Float32Array([5, 6]).buffer);
    const full = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    const empty = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
    for (const header of [
      { full, empty },
      { empty, full },
    ]) {
      const { tensors } = decodeSafetensors(buildFile(header, data));
      assert.deepEqual(tensors.full!.toArray(), [5, 6]);
      assert.deepEqual(tensors.empty!.shape, [0]);
    }
  });
});

describe('safetensors decoded records', () => {
  test('tensors and metadata are ordinary records: entries can be replaced and deleted', () => {
    const { tensors, metadata } = decodeSafetensors(
      encodeSafetensors({ a: tensor([1]) }, { k: 'v' }),
    );
    tensors.a = tensor([2]);
    assert.deepEqual(tensors.a.toArray(), [2]);
    delete tensors.a;
    assert.deepEqual(Object.keys(tensors), []);
    metadata.k = 'w';
    assert.equal(metadata.k, 'w');
    delete metadata.k;
    assert.deepEqual(metadata, {});
  });
});

describe('safetensors writer', () => {
  test('the smallest file: 8-byte length 8, "{}" and six spaces', () => {
    const bytes = encodeSafetensors({});
    assert.deepEqual(
      [...bytes],
      [8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
    );
  });

  test('half-precision floats sort as the reference: I32, then BF16 / F16, then BOOL', () => {
    // The reference sorts by its Rust Dtype enum, descending: ... F64, F32, I32, BF16, F16, ..., BOOL.
    const tensors = {
      b_bool: new Tensor(new Uint8Array([1]), [1], [1], 0, 'bool'),
      a_f32: tensor([1]),
      c_f64: tensor(new Float64Array([1])),
      d_i32: tensor(new Int32Array([1])),
    };
    assert.deepEqual(headerNames(encodeSafetensors(tensors)), [
      'c_f64',
      'a_f32',
      'd_i32',
      'b_bool',
    ]);
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const bytes = encodeSafetensors(tensors, {}, { dtype });
      assert.deepEqual(headerNames(bytes), ['d_i32', 'a_f32', 'c_f64', 'b_bool'], dtype);
      const decoded = decodeSafetensors(bytes).tensors;
      assert.equal(decoded.d_i32!.dtype, 'int32');
      assert.equal(decoded.b_bool!.dtype, 'bool');
    }
    // Mixed: one file with both half kinds cannot happen, but BF16 ranks before F16 against I32/BOOL.
    const mixed = { z: tensor([1]), a: tensor(new Int32Array([2])) };
    assert.deepEqual(headerNames(encodeSafetensors(mixed, {}, { dtype: 'bfloat16' })), ['a', 'z']);
  });

  test('bool tensors are written as 0/1 bytes whatever their storage holds', () => {
    const t = new Tensor(new Uint8Array([0, 2, 255, 1]), [4], [1], 0, 'bool');
    const bytes = encodeSafetensors({ t });
    assert.deepEqual([...bytes.subarray(bytes.length - 4)], [0, 1, 1, 1]);
    assert.deepEqual([...(t.storage as Uint8Array)], [0, 2, 255, 1], 'the tensor is not changed');
  });

  test("encodeParts's parts are copies: later changes to the tensor do not reach them", () => {
    const t = tensor([1, 2, 3]);
    const { parts } = encodeParts({ t });
    (t.storage as Float32Array)[0] = 42;
    assert.deepEqual([...new Float32Array(parts[0]!.slice().buffer)], [1, 2, 3]);
  });

  test('tensors must be an object of tensors', () => {
    for (const bad of [null, [tensor([1])], 'x']) {
      refuses(
        () => encodeSafetensors(bad as unknown as Record<string, Tensor>),
        /^safetensors: tensors must be an object of name -> Tensor$/,
      );
    }
  });

  test('names, metadata keys and values must be well-formed Unicode, each named in the error', () => {
    const lone = 'a\ud800';
    refuses(
      () => encodeSafetensors({ [lone]: tensor([1]) }),
      /^safetensors: tensor name "a\\ud800" is not well-formed Unicode$/,
    );
    refuses(
      () => encodeSafetensors({}, { [lone]: 'v' }),
      /^safetensors: metadata key "a\\ud800" is not well-formed/,
    );
    refuses(
      () => encodeSafetensors({}, { k: lone }),
      /^safetensors: metadata value "a\\ud800" is not well-formed/,
    );
  });
});
