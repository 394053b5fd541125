import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { floatToBFloat16, floatToHalf } from '../../src/io/half.js';

const refs = JSON.parse(readFileSync('test/fixtures/half-refs.json', 'utf8')) as {
  torch: string;
  float32Bits: number[];
  float16Bits: number[];
  bfloat16Bits: number[];
};
const values = Array.from(new Float32Array(Uint32Array.from(refs.float32Bits).buffer));
const dir = mkdtempSync(join(tmpdir(), 'kiln-half-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function header(bytes: Uint8Array): Record<string, { dtype: string; data_offsets: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

describe(`safetensors float16/bfloat16 writing matches PyTorch ${refs.torch} rounding`, () => {
  it(`rounds ${values.length} values (ties, subnormals, overflow, NaN, infinities) to torch's bits`, () => {
    values.forEach((v, i) => {
      if (Number.isNaN(v)) {
        // Any NaN pattern will do (torch 1.13's vectorized bfloat16 gives 0xffff, c10's scalar 0x7fc0).
        assert.ok((floatToHalf(v) & 0x7c00) === 0x7c00 && (floatToHalf(v) & 0x3ff) !== 0);
        assert.ok((floatToBFloat16(v) & 0x7f80) === 0x7f80 && (floatToBFloat16(v) & 0x7f) !== 0);
        return;
      }
      assert.equal(floatToHalf(v), refs.float16Bits[i], `half(${v})`);
      assert.equal(floatToBFloat16(v), refs.bfloat16Bits[i], `bfloat16(${v})`);
    });
  });

  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`save(..., { dtype: '${dtype}' }) writes ${dtype === 'float16' ? 'F16' : 'BF16'} float tensors and keeps int ones; load widens them back`, async () => {
      const path = join(dir, `${dtype}.safetensors`);
      const w = k.tensor(values, { shape: [values.length] });
      const tensors = {
        'w.weight': w,
        'x.t': k.randn([3, 4]).transpose(0, 1),
        steps: k.tensor([1, 2], { dtype: 'int32' }),
      };
      await k.io.save(path, tensors, { note: 'half' }, { dtype });
      const bytes = readFileSync(path);
      const h = header(bytes);
      const name = dtype === 'float16' ? 'F16' : 'BF16';
      assert.deepEqual(
        [h['w.weight']!.dtype, h['x.t']!.dtype, h.steps!.dtype],
        [name, name, 'I32'],
      );
      // Reference order: I32 before the half types (dtype descending), then names.
      assert.deepEqual(
        Object.keys(h).filter((n) => n !== '__metadata__'),
        ['steps', 'w.weight', 'x.t'],
      );
      const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
      const [b0, b1] = h['w.weight']!.data_offsets as [number, number];
      const raw = new Uint16Array(Uint8Array.from(bytes.subarray(8 + n + b0, 8 + n + b1)).buffer);
      const want = dtype === 'float16' ? refs.float16Bits : refs.bfloat16Bits;
      raw.forEach((bits, i) => {
        if (!Number.isNaN(values[i])) assert.equal(bits, want[i], `element ${i}`);
      });
      const { tensors: back } = await k.io.load(path);
      assert.equal(back['w.weight']!.dtype, 'float32');
      const widened = back['w.weight']!.dataSync();
      raw.forEach((bits, i) => {
        const exact =
          dtype === 'float16'
            ? halfValue(bits)
            : new Float32Array(Uint32Array.from([bits << 16]).buffer)[0]!;
        assert.ok(
          Object.is(widened[i], exact) || (Number.isNaN(widened[i]) && Number.isNaN(exact)),
          `element ${i}`,
        );
      });
      assert.deepEqual(back['x.t']!.shape, [4, 3]);
      assert.deepEqual(back.steps!.toArray(), [1, 2]);
    });
  }

  it('an unknown dtype is a CheckpointError', () => {
    assert.throws(
      () => k.io.encodeSafetensors({ a: k.ones([2]) }, {}, { dtype: 'float8' as 'float16' }),
      /dtype must be 'float16' or 'bfloat16', got 'float8'/,
    );
  });
});

function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
