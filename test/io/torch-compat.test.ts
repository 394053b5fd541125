// Files laid out as PyTorch's `safetensors.torch.save_file` writes them, built by
// test/fixtures/make_safetensors_ref.py (torch 1.13): names, shapes, values, byte layout.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, encodeSafetensors, load } from '../../src/io/index.js';
import { tensor } from '../../src/ops/creation.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('torch-mlp.json'), 'utf8')) as {
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  forward: { input: number[]; output: number[] };
};
const KILN_DTYPE: Record<string, string> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float32',
  BF16: 'float32',
  I64: 'int32',
  I16: 'int32',
  I8: 'int32',
  U8: 'int32',
  BOOL: 'bool',
};

describe('PyTorch safetensors compatibility', () => {
  test('every tensor of the reference file loads with its name, shape and exact values', async () => {
    const { tensors, metadata } = await load(fixture('torch-mlp.safetensors'));
    assert.deepEqual(metadata, { format: 'pt' });
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected.tensors).sort());
    const seen = new Set<string>();
    for (const [name, ref] of Object.entries(expected.tensors)) {
      const t = tensors[name]!;
      seen.add(ref.dtype);
      assert.deepEqual([...t.shape], ref.shape, `${name} shape`);
      assert.equal(t.dtype, KILN_DTYPE[ref.dtype], `${name} dtype`);
      assert.deepEqual(Array.from(t.dataSync(), Number), ref.values, `${name} values`);
    }
    // The fixture must cover the conversions it exists to test.
    for (const d of ['F32', 'F64', 'F16', 'BF16', 'I64', 'I8', 'U8', 'I16', 'BOOL'])
      assert.ok(seen.has(d), d);
    assert.deepEqual(tensors['extra.half']!.toArray(), [
      [0.5, -1.25],
      [65504, expected.tensors['extra.half']!.values[3]],
    ]);
    assert.deepEqual(tensors['extra.steps']!.toArray(), [-3, 0, 7, 2147483647, -2147483648]);
    assert.deepEqual(tensors['extra.mask']!.toArray(), [true, false, true]);
  });

  test('kiln writes the float32 state_dict byte-identically to the reference writer', () => {
    const ref = new Uint8Array(readFileSync(fixture('torch-mlp-f32.safetensors')));
    const { tensors } = decodeSafetensors(ref, { source: 'torch-mlp-f32.safetensors' });
    assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
    assert.deepEqual(encodeSafetensors(tensors), ref);
    // Insertion order is irrelevant to the bytes.
    const reversed = Object.fromEntries(Object.entries(tensors).reverse());
    assert.deepEqual(encodeSafetensors(reversed), ref);
  });

  test('weights loaded by name reproduce the PyTorch forward pass', async () => {
    const { tensors } = await load(fixture('torch-mlp-f32.safetensors'));
    // nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2)), written with core ops only.
    const linear = (x: Tensor, prefix: string) =>
      x.matmul(tensors[`${prefix}.weight`]!.transpose(0, 1)).add(tensors[`${prefix}.bias`]!);
    const x = tensor([expected.forward.input]);
    const y = linear(linear(x, '0').relu(), '2');
    const got = Array.from(y.dataSync());
    assert.equal(got.length, expected.forward.output.length);
    for (const [i, v] of got.entries()) {
      assert.ok(Math.abs(v - expected.forward.output[i]!) < 1e-6, `output ${i}: ${v}`);
    }
  });
});
