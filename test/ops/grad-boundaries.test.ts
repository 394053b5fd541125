// Gradients at the points where a rule switches branches, against PyTorch 1.13 (values from
// torch.autograd on the same inputs): pow with exponents 0, 1, 2, 3 (including at x = 0),
// clamp at its bounds (inclusive, as PyTorch), ties in minimum/maximum (split in half), and
// linear's input gradient with a frozen weight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const f64 = { dtype: 'float64' } as const;
const X = [-1, 0, 0.5, 1, 2];

function gradOf(fn: (x: k.Tensor) => k.Tensor, values = X): number[] {
  const x = k.tensor(values, { ...f64, requiresGrad: true });
  fn(x).sum().backward();
  return x.grad!.toArray() as number[];
}

describe('gradients at branch points (PyTorch values)', () => {
  it('pow with exponents 0, 1, 2 and 3, at x = 0 too', () => {
    assert.deepEqual(
      gradOf((x) => x.pow(1)),
      [1, 1, 1, 1, 1],
    );
    assert.deepEqual(
      gradOf((x) => x.pow(0)),
      [0, 0, 0, 0, 0],
    );
    assert.deepEqual(
      gradOf((x) => x.pow(2)),
      [-2, 0, 1, 2, 4],
    );
    assert.deepEqual(
      gradOf((x) => x.pow(3)),
      [3, 0, 0.75, 3, 12],
    );
  });

  it('clamp passes the gradient at its bounds (inclusive), not beyond them', () => {
    assert.deepEqual(
      gradOf((x) => x.clamp(0, 1)),
      [0, 1, 1, 1, 0],
    );
    assert.deepEqual(
      gradOf((x) => x.clamp(0.5)),
      [0, 0, 1, 1, 1],
    );
    assert.deepEqual(
      gradOf((x) => x.clamp(undefined, 0)),
      [1, 1, 0, 0, 0],
    );
  });

  it('minimum and maximum split the gradient in half on ties', () => {
    for (const [op, ga, gb] of [
      [k.minimum, [0.5, 1, 0], [0.5, 0, 1]],
      [k.maximum, [0.5, 0, 1], [0.5, 1, 0]],
    ] as const) {
      const a = k.tensor([1, 2, 3], { ...f64, requiresGrad: true });
      const b = k.tensor([1, 5, 0], { ...f64, requiresGrad: true });
      op(a, b).sum().backward();
      assert.deepEqual(a.grad!.toArray(), ga, `${op.name} a`);
      assert.deepEqual(b.grad!.toArray(), gb, `${op.name} b`);
    }
  });

  it("linear's input gradient with a frozen weight is g @ W, and the weight gets none", () => {
    const w = k.tensor(
      [
        [1, 2, 3],
        [-1, 0, 4],
      ],
      f64,
    );
    const bias = k.tensor([0.5, -0.5], f64);
    const x = k.tensor(
      [
        [1, -2, 0.5],
        [3, 1, -1],
      ],
      { ...f64, requiresGrad: true },
    );
    k.F.linear(x, w, bias)
      .mul(
        k.tensor(
          [
            [1, 2],
            [3, -1],
          ],
          f64,
        ),
      )
      .sum()
      .backward();
    // g = [[1, 2], [3, -1]]; g @ W = [[-1, 2, 11], [4, 6, 5]]
    assert.deepEqual(x.grad!.toArray(), [
      [-1, 2, 11],
      [4, 6, 5],
    ]);
    assert.equal(w.grad, null);
  });
});
