// Argument and shape errors of the convolution, pooling and resampling functions: the error class
// and a message naming the op, the shapes and the offending values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { F } = k;

function throwsWith(
  fn: () => unknown,
  cls: new (...a: never[]) => Error,
  message: RegExp | string,
) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${(e as Error).name}: ${(e as Error).message}`,
    );
    if (typeof message === 'string') assert.equal((e as Error).message, message);
    else assert.match((e as Error).message, message);
    return true;
  });
}

describe('conv errors', () => {
  const w = k.zeros([16, 3, 3, 3]);
  it('channel mismatch names both shapes and groups', () => {
    throwsWith(
      () => F.conv2d(k.zeros([8, 1, 28, 28]), w),
      k.ShapeError,
      'conv2d: expected input[N,C,H,W] with C=3 (weight [16,3,3,3], groups 1), got [8,1,28,28]',
    );
    throwsWith(
      () => F.conv1d(k.zeros([2, 4, 9]), k.zeros([6, 1, 3]), null, { groups: 2 }),
      k.ShapeError,
      'conv1d: expected input[N,C,L] with C=2 (weight [6,1,3], groups 2), got [2,4,9]',
    );
  });
  it('ranks of input and weight', () => {
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 4, 4, 4]), w),
      k.ShapeError,
      /conv2d: expected input \[N,C,H,W\] or its unbatched form \(3-D\), got \[1,3,4,4,4\]/,
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 4, 4]), k.zeros([16, 3, 3])),
      k.ShapeError,
      /conv2d: weight must be \[out, in\/groups, kH, kW\], got \[16,3,3\]/,
    );
  });
  it('groups, bias and sizes', () => {
    throwsWith(
      () => F.conv2d(k.zeros([1, 4, 5, 5]), k.zeros([5, 2, 3, 3]), null, { groups: 2 }),
      k.ShapeError,
      /out channels 5 .* not divisible by groups 2/,
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, k.zeros([3])),
      k.ShapeError,
      'conv2d: bias must be [16], got [3]',
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, null, { groups: 0 }),
      k.ValueError,
      /groups must be a positive integer, got 0/,
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, null, { stride: 0 }),
      k.ValueError,
      /conv2d: stride must be a positive integer or 2 of them, got 0/,
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, null, { padding: [1, -1] }),
      k.ValueError,
      /conv2d: padding must be a non-negative integer or 2 of them, got \[1,-1\]/,
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, null, { dilation: [1, 2, 3] }),
      k.ValueError,
      /dilation/,
    );
  });
  it("padding='same' needs stride 1; the input must cover the dilated kernel", () => {
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5]), w, null, { padding: 'same', stride: 2 }),
      k.ValueError,
      "conv2d: padding='same' is not supported for strided convolutions (stride [2,2])",
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 2, 5]), w),
      k.ShapeError,
      'conv2d: input [1,3,2,5] is too small for kernel [3,3] with padding [0,0], dilation [1,1]: computed output size [0,3]',
    );
  });
  it('dtypes', () => {
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5], { dtype: 'float64' }), w),
      k.DTypeError,
      'conv2d: input is float64 but weight is float32',
    );
    throwsWith(
      () => F.conv2d(k.zeros([1, 3, 5, 5], { dtype: 'int32' }), w),
      k.DTypeError,
      /conv2d: expected a float32 or float64 tensor, got int32/,
    );
  });
  it('convTranspose2d', () => {
    const wt = k.zeros([4, 2, 3, 3]);
    throwsWith(
      () => F.convTranspose2d(k.zeros([1, 3, 4, 4]), wt),
      k.ShapeError,
      /convTranspose2d: expected input\[N,C,H,W\] with C=4 divisible by groups 1 \(weight \[4,2,3,3\]\), got \[1,3,4,4\]/,
    );
    throwsWith(
      () => F.convTranspose2d(k.zeros([1, 4, 4, 4]), wt, null, { stride: 2, outputPadding: 2 }),
      k.ValueError,
      'convTranspose2d: outputPadding [2,2] must be smaller than either stride [2,2] or dilation [1,1]',
    );
    throwsWith(
      () => F.convTranspose2d(k.zeros([1, 4, 1, 1]), wt, null, { padding: 2 }),
      k.ShapeError,
      /computed output size \[-1,-1\]/,
    );
    throwsWith(
      () => F.convTranspose2d(k.zeros([1, 4, 4, 4]), wt, k.zeros([4])),
      k.ShapeError,
      'convTranspose2d: bias must be [2], got [4]',
    );
  });
});

describe('pooling errors', () => {
  const x = k.zeros([1, 2, 6, 6]);
  it('padding at most half the kernel', () => {
    throwsWith(
      () => F.maxPool2d(x, 3, { padding: 2 }),
      k.ValueError,
      'maxPool2d: padding [2,2] should be at most half of kernelSize [3,3]',
    );
    throwsWith(
      () => F.avgPool1d(k.zeros([1, 2, 6]), 2, { padding: 2 }),
      k.ValueError,
      'avgPool1d: padding [2] should be at most half of kernelSize [2]',
    );
  });
  it('too small inputs and windows of only padding', () => {
    throwsWith(
      () => F.maxPool2d(k.zeros([1, 2, 2, 6]), 3),
      k.ShapeError,
      /maxPool2d: input \[1,2,2,6\] is too small for kernelSize \[3,3\] .*: computed output size \[0,2\]/,
    );
    throwsWith(
      () => F.maxPool2d(k.zeros([1, 1, 2, 2]), 2, { padding: 1, dilation: 3 }),
      k.ValueError,
      /maxPool2d: window 0 of dim 2 covers only padding/,
    );
  });
  it('bad sizes and options', () => {
    throwsWith(
      () => F.maxPool2d(x, 0),
      k.ValueError,
      /maxPool2d: kernelSize must be a positive integer/,
    );
    throwsWith(
      () => F.avgPool2d(x, 2, { divisorOverride: 0 }),
      k.ValueError,
      /divisorOverride must be a non-zero number/,
    );
    throwsWith(
      () => F.adaptiveAvgPool2d(x, [0, 2]),
      k.ValueError,
      /adaptiveAvgPool2d: outputSize must be a positive integer or a pair/,
    );
    throwsWith(
      () => F.maxPool1d(x, 2),
      k.ShapeError,
      /maxPool1d: expected input \[N,C,L\] or its unbatched form \(2-D\), got \[1,2,6,6\]/,
    );
    throwsWith(
      () => F.avgPool2d(k.zeros([1, 2, 6, 6], { dtype: 'int32' }), 2),
      k.DTypeError,
      /avgPool2d: expected a float32 or float64 tensor/,
    );
  });
});

describe('interpolate and dropout2d errors', () => {
  const x = k.zeros([1, 2, 4, 4]);
  it('size xor scaleFactor, valid modes and options', () => {
    throwsWith(
      () => F.interpolate(x, {}),
      k.ValueError,
      'interpolate: give exactly one of size and scaleFactor',
    );
    throwsWith(() => F.interpolate(x, { size: 8, scaleFactor: 2 }), k.ValueError, /exactly one/);
    throwsWith(
      () => F.interpolate(x, { size: 8, alignCorners: true }),
      k.ValueError,
      /alignCorners can only be set with the interpolating mode 'bilinear'/,
    );
    throwsWith(
      () => F.interpolate(k.zeros([2, 4, 4]), { size: 8 }),
      k.ShapeError,
      /interpolate: expected a 4-D input \[N,C,H,W\] .* got \[2,4,4\]/,
    );
    throwsWith(
      () => F.interpolate(x, { size: 8, mode: 'bicubic' as 'bilinear' }),
      k.ValueError,
      /mode must be 'nearest' or 'bilinear', got 'bicubic'/,
    );
    throwsWith(
      () => F.interpolate(x, { scaleFactor: 0.1 }),
      k.ValueError,
      /gives an empty output \[0,0\]/,
    );
  });
  it('dropout2d', () => {
    throwsWith(
      () => F.dropout2d(x, 1.5),
      k.ValueError,
      'dropout2d: probability has to be between 0 and 1, but got 1.5',
    );
    throwsWith(
      () => F.dropout2d(k.zeros([4, 4]), 0.5),
      k.ShapeError,
      /dropout2d: expected \[N,C,H,W\] or \[N,C,L\] input, got \[4,4\]/,
    );
  });
});
