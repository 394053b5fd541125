import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, load, save } from '../../src/io/index.js';
import { tensor } from '../../src/ops/creation.js';
import { CheckpointError } from '../../src/tensor/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertSameTensor, buildFile, makeTempDir } from './helpers.js';

function roundTrip(tensors: Record<string, Tensor>, metadata?: Record<string, string>) {
  return decodeSafetensors(encodeSafetensors(tensors, metadata));
}

function header(bytes: Uint8Array): { n: number; json: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) };
}

// Bit patterns that a lossy path would change: NaN payloads, -0, subnormals, infinities.
const f32Bits = new Uint32Array([
  0x7fc00001, 0x80000000, 0x00000001, 0x7f800000, 0xff800000, 0x3f800000,
]);
const f64 = new Float64Array([
  Math.PI,
  -0,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Infinity,
  Number.NaN,
]);
const i32 = new Int32Array([-2147483648, 2147483647, 0, -1, 42, 7]);

const samples: Record<string, Tensor> = {
  f32: tensor(new Float32Array(f32Bits.buffer), { shape: [2, 3] }),
  f64: tensor(f64, { shape: [3, 2] }),
  i32: tensor(i32, { shape: [6] }),
  bool: tensor([
    [true, false, true],
    [false, false, true],
  ]),
};

describe('safetensors round trips', () => {
  test('every dtype comes back bit-identical', () => {
    const { tensors, metadata } = roundTrip(samples);
    assert.deepEqual(Object.keys(tensors).sort(), ['bool', 'f32', 'f64', 'i32']);
    for (const [name, t] of Object.entries(samples)) assertSameTensor(tensors[name]!, t, name);
    assert.deepEqual(metadata, {});
    assert.ok(Number.isNaN(tensors.f64!.dataSync()[5]));
  });

  test('0-d and empty tensors', () => {
    const src = {
      scalar: tensor(new Float64Array([-2.5]), { shape: [] }),
      iscalar: tensor(new Int32Array([9]), { shape: [] }),
      empty: tensor(new Float32Array(0), { shape: [0] }),
      empty3: tensor(new Int32Array(0), { shape: [2, 0, 3] }),
      emptyBool: tensor(new Uint8Array(0), { shape: [0, 4], dtype: 'bool' }),
    };
    const { tensors } = roundTrip(src);
    for (const [name, t] of Object.entries(src)) assertSameTensor(tensors[name]!, t, name);
    assert.equal(tensors.scalar!.item(), -2.5);
  });

  test('non-contiguous and offset views are written row-major', () => {
    const base = tensor(
      new Float32Array(24).map((_, i) => i * 1.5 - 3),
      { shape: [4, 6] },
    );
    const views = {
      transposed: base.transpose(0, 1),
      strided: base.slice(1, 0, 6, 2),
      narrowed: base.narrow(0, 1, 2),
      expanded: tensor(new Int32Array([1, 2, 3]), { shape: [3, 1] }).expand([3, 4]),
      boolT: tensor([
        [true, false],
        [false, false],
        [true, true],
      ]).transpose(0, 1),
    };
    assert.equal(views.transposed.isContiguous(), false);
    const { tensors } = roundTrip(views);
    for (const [name, t] of Object.entries(views)) {
      assertSameTensor(tensors[name]!, t, name);
      assert.ok(tensors[name]!.isContiguous(), `${name} decoded contiguous`);
      assert.deepEqual(tensors[name]!.toArray(), t.toArray(), name);
    }
  });

  test('metadata round trips, unicode included; absent metadata is omitted from the header', () => {
    const meta = { format: 'pt', ключ: 'значение ✓ 🚀', empty: '', quote: 'a"b\\c\n' };
    const bytes = encodeSafetensors({ w: samples.f32! }, meta);
    assert.deepEqual(decodeSafetensors(bytes).metadata, meta);
    assert.deepEqual(Object.keys(header(bytes).json)[0], '__metadata__');
    assert.ok(!('__metadata__' in header(encodeSafetensors({ w: samples.f32! })).json));
    assert.ok(!('__metadata__' in header(encodeSafetensors({ w: samples.f32! }, {})).json));
  });

  test('tensor names are data, even __proto__ and non-ASCII ones', () => {
    const src: Record<string, Tensor> = {};
    Object.defineProperty(src, '__proto__', { value: samples.i32, enumerable: true });
    src['layers.0.weight'] = samples.f32!;
    src.名前 = samples.bool!;
    src[''] = samples.f64!;
    const { tensors } = roundTrip(src);
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(src).sort());
    assertSameTensor(Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value, samples.i32!);
    assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  });
});

describe('safetensors layout', () => {
  test('data starts 8-byte aligned and every tensor is aligned to its item size', () => {
    for (let len = 1; len <= 17; len++) {
      const bytes = encodeSafetensors({
        ['n'.repeat(len)]: samples.bool!,
        b: samples.f64!,
        c: samples.i32!,
        d: tensor(new Float32Array(3)),
      });
      const { n, json } = header(bytes);
      assert.equal(n % 8, 0, `header length ${n} for name length ${len}`);
      const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
      assert.match(text, /^\{.*\} *$/s);
      for (const [name, info] of Object.entries(json)) {
        const {
          dtype,
          data_offsets: [begin],
        } = info as { dtype: string; data_offsets: number[] };
        const size = { F64: 8, F32: 4, I32: 4, BOOL: 1 }[dtype]!;
        assert.equal((8 + n + begin!) % size, 0, `${name} (${dtype}) at ${begin}`);
      }
    }
  });

  test('order is deterministic: dtype (F64, F32, I32, BOOL) then UTF-8 name, whatever the insertion order', () => {
    const a = {
      z: samples.f32!,
      a: samples.bool!,
      m: samples.f64!,
      b: samples.f32!,
      i: samples.i32!,
    };
    const b = {
      i: samples.i32!,
      b: samples.f32!,
      m: samples.f64!,
      a: samples.bool!,
      z: samples.f32!,
    };
    const bytesA = encodeSafetensors(a, { y: '1', x: '2' });
    const bytesB = encodeSafetensors(b, { x: '2', y: '1' });
    assert.deepEqual(bytesA, bytesB);
    assert.deepEqual(Object.keys(header(bytesA).json), ['__metadata__', 'm', 'b', 'z', 'i', 'a']);
    // UTF-8 byte order puts U+FFFD (EF BF BD) before U+1F600 (F0 9F 98 80); UTF-16 order would not.
    const c = encodeSafetensors({ '😀': samples.i32!, '\uFFFD': samples.i32! });
    assert.deepEqual(Object.keys(header(c).json), ['\uFFFD', '😀']);
  });

  test('exact bytes of a small file', () => {
    const bytes = encodeSafetensors({ x: tensor(new Int32Array([1, -1]), { shape: [2] }) });
    const json = '{"x":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = Buffer.concat([
      Buffer.from([padded.length, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(padded),
      Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    ]);
    assert.deepEqual(Buffer.from(bytes), expected);
  });
});

describe('safetensors encode errors', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['reserved name', () => encodeSafetensors({ __metadata__: samples.f32! }), /reserved/],
    [
      'non-tensor value',
      () => encodeSafetensors({ w: [1, 2] as unknown as Tensor }),
      /"w" is not a Tensor/,
    ],
    [
      'non-string metadata',
      () => encodeSafetensors({}, { n: 3 as unknown as string }),
      /metadata "n" must be a string/,
    ],
    ['lone surrogate name', () => encodeSafetensors({ '\uD800': samples.f32! }), /not well-formed/],
  ];
  for (const [what, fn, message] of bad) {
    test(what, () =>
      assert.throws(fn, (e: unknown) => e instanceof CheckpointError && message.test(e.message)),
    );
  }
});

describe('safetensors files', () => {
  test('save and load round trip; no temporary files left behind', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const path = join(dir, 'w.safetensors');
      await save(path, samples, { step: '7' });
      assert.deepEqual(readdirSync(dir), ['w.safetensors']);
      assert.deepEqual(
        new Uint8Array(readFileSync(path)),
        encodeSafetensors(samples, { step: '7' }),
      );
      const { tensors, metadata } = await load(path);
      for (const [name, t] of Object.entries(samples)) assertSameTensor(tensors[name]!, t, name);
      assert.deepEqual(metadata, { step: '7' });
      await save(path, { only: samples.i32! });
      assert.deepEqual(Object.keys((await load(path)).tensors), ['only']);
    } finally {
      cleanup();
    }
  });

  test('load errors name the path', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const missing = join(dir, 'missing.safetensors');
      await assert.rejects(
        load(missing),
        (e: unknown) => e instanceof CheckpointError && e.message.includes(missing),
      );
      const truncated = join(dir, 'cut.safetensors');
      writeFileSync(truncated, encodeSafetensors(samples).subarray(0, 100));
      await assert.rejects(
        load(truncated),
        (e: unknown) => e instanceof CheckpointError && e.message.includes(truncated),
      );
      const tiny = join(dir, 'tiny.safetensors');
      writeFileSync(tiny, new Uint8Array([1, 2, 3]));
      await assert.rejects(load(tiny), /tiny\.safetensors: truncated/);
    } finally {
      cleanup();
    }
  });
});

describe('safetensors foreign dtypes', () => {
  const file = (dtype: string, shape: number[], raw: number[]) =>
    buildFile({ t: { dtype, shape, data_offsets: [0, raw.length] } }, new Uint8Array(raw));
  const values = (bytes: Uint8Array) => {
    const t = decodeSafetensors(bytes).tensors.t!;
    return { dtype: t.dtype, values: Array.from(t.dataSync()) };
  };

  test('F16 special values widen exactly to float32', () => {
    // 1, -0, +inf, -inf, NaN, smallest subnormal 2^-24, largest 65504
    const bits = [0x3c00, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x7bff];
    const got = values(
      file(
        'F16',
        [7],
        bits.flatMap((b) => [b & 0xff, b >> 8]),
      ),
    );
    assert.equal(got.dtype, 'float32');
    assert.ok(Object.is(got.values[1], -0));
    assert.ok(Number.isNaN(got.values[4]));
    assert.deepEqual(
      [got.values[0], got.values[2], got.values[3], got.values[5], got.values[6]],
      [1, Infinity, -Infinity, 2 ** -24, 65504],
    );
  });

  test('BF16 keeps the top half of float32 bits', () => {
    const bits = [0x3f80, 0xc020, 0x7f80, 0x0001];
    const got = values(
      file(
        'BF16',
        [2, 2],
        bits.flatMap((b) => [b & 0xff, b >> 8]),
      ),
    );
    assert.deepEqual(got, { dtype: 'float32', values: [1, -2.5, Infinity, 2 ** -133] });
  });

  test('integer dtypes become int32', () => {
    assert.deepEqual(values(file('I8', [2], [0x80, 0x7f])), {
      dtype: 'int32',
      values: [-128, 127],
    });
    assert.deepEqual(values(file('U8', [2], [0, 255])), { dtype: 'int32', values: [0, 255] });
    assert.deepEqual(values(file('I16', [2], [0, 0x80, 0xff, 0x7f])), {
      dtype: 'int32',
      values: [-32768, 32767],
    });
    assert.deepEqual(values(file('U16', [1], [0xff, 0xff])), { dtype: 'int32', values: [65535] });
    assert.deepEqual(values(file('U32', [1], [0xff, 0xff, 0xff, 0x7f])), {
      dtype: 'int32',
      values: [2147483647],
    });
    const i64 = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 0, 0, 0, 0, 0, 0];
    assert.deepEqual(values(file('I64', [2], i64)), { dtype: 'int32', values: [-2, 5] });
    assert.deepEqual(values(file('BOOL', [3], [0, 1, 7])), { dtype: 'bool', values: [0, 1, 1] });
  });
});
