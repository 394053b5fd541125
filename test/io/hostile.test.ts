// Malformed and hostile safetensors files: one case per validation rule, then a seeded fuzz loop.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from '../../src/io/index.js';
import { tensor } from '../../src/ops/creation.js';
import { CheckpointError } from '../../src/tensor/errors.js';
import { assertSameTensor, buildFile, mulberry32 } from './helpers.js';

const f32 = (shape: number[], begin: number) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});
const data = (n: number) => new Uint8Array(n).map((_, i) => i);
const bytes = (...v: number[]) => new Uint8Array(v);

// [rule, file, expected message fragment]
const cases: [string, Uint8Array, RegExp][] = [
  ['empty file', bytes(), /truncated: the file has 0 bytes/],
  ['shorter than the length prefix', bytes(16, 0, 0), /truncated/],
  [
    'header length past the end',
    buildFile({}, data(0), { headerLength: 64n }),
    /header length 64 runs past the end/,
  ],
  [
    'header length above the cap',
    buildFile({}, data(0), { headerLength: BigInt(MAX_HEADER_BYTES + 8) }),
    /exceeds the 100000000-byte limit/,
  ],
  [
    'header length near 2^64',
    buildFile({}, data(0), { headerLength: 0xfffffffffffffff8n }),
    /exceeds/,
  ],
  ['header length zero', buildFile(bytes(), data(8), { headerLength: 0n }), /too small/],
  ['invalid UTF-8', buildFile(bytes(0x7b, 0xff, 0xfe, 0x7d, 32, 32, 32, 32)), /not valid UTF-8/],
  ['invalid JSON', buildFile('{"a": '), /not valid JSON/],
  ['leading whitespace', buildFile(' {}'), /does not start with "\{"/],
  ['header is a list', buildFile('[]'), /does not start with|not a JSON object/],
  ['header is null', buildFile('null'), /does not start/],
  ['entry is a number', buildFile({ w: 3 }), /tensor "w": expected an object, got number/],
  ['entry is null', buildFile({ w: null }), /tensor "w": expected an object, got null/],
  ['entry is a list', buildFile({ w: [] }), /tensor "w": expected an object, got a list/],
  [
    'unknown dtype',
    buildFile({ w: { ...f32([1], 0), dtype: 'Q7' } }, data(4)),
    /"dtype": unknown dtype "Q7"/,
  ],
  [
    'unsupported dtype',
    buildFile({ w: { ...f32([1], 0), dtype: 'F8_E4M3' } }, data(4)),
    /unsupported dtype "F8_E4M3"/,
  ],
  [
    'missing dtype',
    buildFile({ w: { shape: [1], data_offsets: [0, 4] } }, data(4)),
    /"dtype": unknown dtype undefined/,
  ],
  [
    'shape not a list',
    buildFile({ w: { ...f32([1], 0), shape: 4 } }, data(4)),
    /"shape": expected a list/,
  ],
  [
    'negative dim',
    buildFile({ w: { ...f32([1], 0), shape: [-1] } }, data(4)),
    /"shape": \[-1\] is not a list/,
  ],
  ['fractional dim', buildFile({ w: { ...f32([1], 0), shape: [0.5] } }, data(4)), /"shape"/],
  ['string dim', buildFile({ w: { ...f32([1], 0), shape: ['1'] } }, data(4)), /"shape"/],
  ['unsafe dim', buildFile({ w: { ...f32([1], 0), shape: [2 ** 60] } }, data(4)), /"shape"/],
  [
    'numel overflow',
    buildFile({ w: { ...f32([1], 0), shape: [2 ** 30, 2 ** 30, 2 ** 30] } }, data(4)),
    /too many elements/,
  ],
  [
    'offsets missing',
    buildFile({ w: { dtype: 'F32', shape: [1] } }, data(4)),
    /"data_offsets": expected \[begin, end\]/,
  ],
  [
    'offsets of length 3',
    buildFile({ w: { ...f32([1], 0), data_offsets: [0, 4, 8] } }, data(4)),
    /"data_offsets"/,
  ],
  [
    'negative offset',
    buildFile({ w: { ...f32([1], 0), data_offsets: [-4, 0] } }, data(4)),
    /"data_offsets"/,
  ],
  [
    'fractional offset',
    buildFile({ w: { ...f32([1], 0), data_offsets: [0, 4.5] } }, data(4)),
    /"data_offsets"/,
  ],
  [
    'begin after end',
    buildFile({ w: { ...f32([0], 0), data_offsets: [4, 0] } }, data(4)),
    /begin 4 > end 0/,
  ],
  [
    'size does not match shape',
    buildFile({ w: { ...f32([2], 0), data_offsets: [0, 4] } }, data(8)),
    /holds 4 bytes, shape \[2\] of F32 needs 8/,
  ],
  [
    'offset past the buffer',
    buildFile({ w: f32([2], 0) }, data(4)),
    /end 8 is past the data buffer \(4 bytes\)/,
  ],
  [
    'overlap',
    buildFile({ a: f32([2], 0), b: f32([2], 4) }, data(12)),
    /overlaps the previous tensor/,
  ],
  [
    'gap',
    buildFile({ a: f32([1], 0), b: f32([1], 8) }, data(12)),
    /bytes 4\.\.8 before it belong to no tensor/,
  ],
  ['leading hole', buildFile({ a: f32([1], 4) }, data(8)), /bytes 0\.\.4/],
  ['trailing bytes', buildFile({ a: f32([1], 0) }, data(8)), /trailing bytes/],
  [
    'truncated data',
    encodeSafetensors({ w: tensor(new Float32Array(8)) }).subarray(0, -4),
    /end 32 is past the data buffer/,
  ],
  [
    'metadata not an object',
    buildFile({ __metadata__: ['x'] }),
    /"__metadata__": expected an object of strings/,
  ],
  ['metadata null', buildFile({ __metadata__: null }), /"__metadata__"/],
  [
    'metadata value not a string',
    buildFile({ __metadata__: { epoch: 3 } }),
    /"__metadata__\.epoch": expected a string, got number/,
  ],
  [
    'I64 out of int32 range',
    buildFile(
      { w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
      bytes(0, 0, 0, 0x80, 0, 0, 0, 0),
    ),
    /element 0 is 2147483648, outside the int32 range/,
  ],
  [
    'negative I64 out of range',
    buildFile(
      { w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } },
      bytes(0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff),
    ),
    /element 0 is -2147483649/,
  ],
  [
    'U32 out of int32 range',
    buildFile({ w: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, bytes(0, 0, 0, 0x80)),
    /element 0 is 2147483648/,
  ],
];

describe('hostile safetensors files', () => {
  for (const [rule, file, message] of cases) {
    test(rule, () => {
      assert.throws(
        () => decodeSafetensors(file, { source: 'bad.safetensors' }),
        (e: unknown) => {
          assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${e}`);
          assert.match(e.message, /^safetensors: bad\.safetensors: /);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  test('the cases are otherwise well-formed: the minimal good files decode', () => {
    assert.deepEqual(
      Object.keys(
        decodeSafetensors(buildFile({ a: f32([1], 0), b: f32([1], 4) }, data(8))).tensors,
      ),
      ['a', 'b'],
    );
    assert.deepEqual(decodeSafetensors(buildFile({})).tensors, {});
    const zero = decodeSafetensors(
      buildFile({ e: f32([0, 5], 0), a: f32([1], 0), z: f32([0], 4) }, data(4)),
    );
    assert.deepEqual(zero.tensors.e!.shape, [0, 5]);
    const unaligned = buildFile(
      {
        b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        f: { dtype: 'F64', shape: [1], data_offsets: [1, 9] },
      },
      bytes(7, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f),
    );
    assert.equal(decodeSafetensors(unaligned).tensors.f!.item(), 1);
  });
});

/** A valid file with a bit of everything, small enough to mutate thousands of times. */
function seedFile(): Uint8Array {
  return encodeSafetensors(
    {
      w: tensor(new Float32Array([1, -2, 3.5, Number.NaN, 0, 7]), { shape: [2, 3] }),
      d: tensor(new Float64Array([1e-300, -0])),
      i: tensor(new Int32Array([5, -6, 7]), { shape: [3, 1] }),
      m: tensor([true, false]),
      s: tensor(new Float32Array([2]), { shape: [] }),
      e: tensor(new Int32Array(0), { shape: [0, 2] }),
    },
    { note: 'fuzz' },
  );
}

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  const n = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
  const out = src.slice();
  switch (pick(6)) {
    case 0: // flip bytes anywhere
      for (let k = 1 + pick(4); k > 0; k--) out[pick(out.length)] = pick(256);
      return out;
    case 1: // flip bytes in the header text, where the structure lives
      for (let k = 1 + pick(3); k > 0; k--)
        out[8 + pick(n)] = ' {}[],:"0123456789-eE.FIBU'.charCodeAt(pick(27));
      return out;
    case 2: // truncate
      return out.subarray(0, pick(out.length));
    case 3: // extend with junk
      return Uint8Array.from([...out, ...Array.from({ length: 1 + pick(16) }, () => pick(256))]);
    case 4: // corrupt the length prefix
      new DataView(out.buffer).setUint32(
        pick(2) * 4,
        pick(2) ? pick(2 ** 32) : n + pick(33) - 16,
        true,
      );
      return out;
    default: {
      // rewrite a number in the header, e.g. a shape or an offset
      const text = Buffer.from(out.subarray(8, 8 + n)).toString('latin1');
      const nums = [...text.matchAll(/\d+/g)];
      if (nums.length === 0) return out;
      const hit = nums[pick(nums.length)]!;
      const repl = String([0, 1, 2, 8, 2 ** 31, 2 ** 53, 1e21][pick(7)]);
      const next = text.slice(0, hit.index) + repl + text.slice(hit.index! + hit[0].length);
      return buildFile(Buffer.from(next, 'latin1'), out.subarray(8 + n));
    }
  }
}

test('fuzz: thousands of mutations either decode consistently or throw CheckpointError', () => {
  const rand = mulberry32(20240601);
  const base = seedFile();
  const before = process.memoryUsage().arrayBuffers;
  const started = Date.now();
  let ok = 0;
  let failed = 0;
  for (let iter = 0; iter < 4000; iter++) {
    const file = mutate(base, rand);
    let decoded: ReturnType<typeof decodeSafetensors>;
    try {
      decoded = decodeSafetensors(file);
    } catch (e) {
      if (!(e instanceof CheckpointError)) {
        assert.fail(`iteration ${iter}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      }
      failed++;
      continue;
    }
    ok++;
    // A success must be self-consistent: re-encoding and decoding again gives the same tensors.
    const again = decodeSafetensors(encodeSafetensors(decoded.tensors, decoded.metadata));
    assert.deepEqual(again.metadata, decoded.metadata);
    for (const [name, t] of Object.entries(decoded.tensors)) {
      assert.equal(t.storage.length, t.numel(), `iteration ${iter}: ${name} storage`);
      assertSameTensor(again.tensors[name]!, t, `iteration ${iter}: ${name}`);
    }
  }
  assert.ok(failed > 1000, `most mutations should be rejected (${failed})`);
  assert.ok(ok > 50, `some mutations keep the file valid (${ok})`);
  assert.ok(Date.now() - started < 20_000, 'fuzz loop took too long');
  assert.ok(
    process.memoryUsage().arrayBuffers - before < 64 * 2 ** 20,
    'fuzzing allocated too much',
  );
});
