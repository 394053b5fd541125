// toString: PyTorch's print format, checked on hand-written expectations (the torch-parity test
// compares more cases against strings printed by PyTorch itself).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import * as k from '../../src/index.js';

describe('toString', () => {
  it('integral floats print with a trailing dot, aligned', () => {
    assert.equal(k.tensor([1, -20, 3]).toString(), 'tensor([  1., -20.,   3.])');
    assert.equal(
      k
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .toString(),
      'tensor([[1., 2.],\n        [3., 4.]])',
    );
  });
  it('fractions print with 4 decimals; large ranges switch to scientific', () => {
    assert.equal(k.tensor([0.5, 2]).toString(), 'tensor([0.5000, 2.0000])');
    assert.equal(k.tensor([1e-5, 1]).toString(), 'tensor([1.0000e-05, 1.0000e+00])');
    assert.equal(k.tensor(2.25).toString(), 'tensor(2.2500)');
  });
  it('3-d tensors separate blocks by a blank line', () => {
    assert.equal(
      k.arange(8).reshape([2, 2, 2]).toString(),
      'tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])',
    );
  });
  it('dtype, grad and empty suffixes', () => {
    assert.equal(k.tensor([1, 2], { dtype: 'int32' }).toString(), 'tensor([1, 2], dtype=int32)');
    assert.equal(k.tensor([1], { dtype: 'float64' }).toString(), 'tensor([1.], dtype=float64)');
    assert.equal(k.tensor([true]).toString(), 'tensor([True])');
    assert.equal(
      k.tensor([1], { requiresGrad: true }).toString(),
      'tensor([1.], requiresGrad=true)',
    );
    const y = k.tensor([1], { requiresGrad: true }).mul(2);
    assert.equal(y.toString(), 'tensor([2.], gradFn=<MulBackward>)');
    assert.equal(k.zeros([0, 2]).toString(), 'tensor([], size=(0, 2))');
    assert.equal(k.zeros([0], { dtype: 'bool' }).toString(), 'tensor([], dtype=bool)');
  });
  it('long rows wrap at 80 columns and big tensors are summarized', () => {
    const lines = k.arange(40).toString().split('\n');
    assert.ok(lines.length > 1 && lines.every((l) => l.length <= 80));
    const s = k.arange(5000).toString();
    assert.match(s, /^tensor\(\[0\.0000e\+00, 1\.0000e\+00, 2\.0000e\+00, {2}\.\.\., 4\.9970e\+03/);
  });
  it('util.inspect and template strings use the same text', () => {
    const t = k.tensor([1.5]);
    assert.equal(inspect(t), 'tensor([1.5000])');
    assert.equal(`${t}`, 'tensor([1.5000])');
  });
});
