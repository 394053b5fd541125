// The N-API entry points refuse sizes, strides, offsets and dim counts that are not exact
// integers (NaN, infinities, fractions, beyond 2^53) and spans whose size * stride overflows,
// with a RangeError instead of undefined behaviour or a wild read. Calls the raw addon, as the
// loader does, with params a buggy caller could pass.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';

const path =
  process.env.KILN_NATIVE_PATH ||
  new URL('../../build/Release/kiln_native.node', import.meta.url).pathname;
const present = existsSync(path);
if (!present && process.env.KILN_REQUIRE_NATIVE === '1')
  throw new Error(`no native addon at ${path}`);

type Raw = {
  copy(x: Float64Array, out: Float64Array, params: Float64Array): boolean;
  im2col(x: Float64Array, out: Float64Array, params: Float64Array): boolean;
  matmul(a: Float64Array, b: Float64Array, c: Float64Array, params: Float64Array): void;
};
const raw = present ? (createRequire(import.meta.url)(path) as Raw) : null;

// copy over one dim of n elements: header (op, nd, p0, p1, offsets 0-3, extra, flag), then
// (size, strides of operands 0-3).
function copyParams(n: number, stride = 1, offset = 0, nd = 1): Float64Array {
  return new Float64Array([0, nd, 0, 0, offset, offset, 0, 0, 0, 0, n, stride, stride, 0, 0]);
}

const BAD = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -Number.POSITIVE_INFINITY,
  2.5,
  2 ** 60,
  -(2 ** 60),
];

describe(
  'native entry points check integer params',
  { skip: raw === null && 'addon not built' },
  () => {
    test('a well-formed copy works (the baseline the bad cases vary)', () => {
      const x = new Float64Array([1, 2, 3, 4]);
      const out = new Float64Array(4);
      assert.equal(raw!.copy(x, out, copyParams(4)), true);
      assert.deepEqual([...out], [1, 2, 3, 4]);
    });

    test('NaN, infinite, fractional and huge sizes, strides, offsets and dim counts are RangeErrors', () => {
      const x = new Float64Array(4);
      const out = new Float64Array(4);
      for (const v of BAD) {
        for (const params of [
          copyParams(v),
          copyParams(4, v),
          copyParams(4, 1, v),
          copyParams(4, 1, 0, v),
        ]) {
          assert.throws(
            () => raw!.copy(x, out, params),
            {
              name: 'RangeError',
              message:
                /kiln_native: (sizes and strides must be integers|offsets must be integers|bad dim count|a view reaches outside its storage)/,
            },
            `value ${v}`,
          );
        }
      }
    });

    test('a size * stride product that overflows is out of bounds, not wrapped into range', () => {
      const x = new Float64Array(4);
      const out = new Float64Array(4);
      // (2^40 + 1 - 1) * 2^24 = 2^64 wraps to 0 in 64-bit arithmetic.
      assert.throws(() => raw!.copy(x, out, copyParams(2 ** 40 + 1, 2 ** 24)), {
        name: 'RangeError',
        message: /a view reaches outside its storage/,
      });
      assert.throws(() => raw!.copy(x, out, copyParams(5)), { message: /outside its storage/ });
      assert.throws(() => raw!.copy(x, out, copyParams(4, 1, -1)), {
        message: /outside its storage/,
      });
    });

    test('matmul refuses non-integer header slots and batch dim counts', () => {
      const a = new Float64Array(4);
      const b = new Float64Array(4);
      const c = new Float64Array(4);
      // nbd, m, n, k, offsets a/b/c, strides a (m,k), b (k,n), ldc, accumulate
      const good = () => new Float64Array([0, 2, 2, 2, 0, 0, 0, 2, 1, 2, 1, 2, 0]);
      raw!.matmul(new Float64Array([1, 0, 0, 1]), new Float64Array([1, 2, 3, 4]), c, good());
      assert.deepEqual([...c], [1, 2, 3, 4]);
      for (const v of BAD) {
        for (const slot of [0, 1, 4, 7]) {
          const p = good();
          p[slot] = v;
          assert.throws(
            () => raw!.matmul(a, b, c, p),
            {
              name: 'RangeError',
              message:
                /kiln_native.matmul: (bad batch dim count|sizes, strides and offsets must be integers)/,
            },
            `slot ${slot} = ${v}`,
          );
        }
      }
    });
    test('im2col refuses non-integer window params and overflowing output sizes', () => {
      // Layout of native/src/window_addon.cc: N C H W OH OW, KH KW SH SW PH PW DH DW, input
      // offset + 6 strides, output offset, indices offset + 4 strides. One 1x1x2x2 image, 1x1 kernel.
      const good = () =>
        new Float64Array([
          1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 0, 4, 4, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
      const x = new Float64Array([1, 2, 3, 4]);
      const out = new Float64Array(4);
      assert.equal(raw!.im2col(x, out, good()), true);
      assert.deepEqual([...out], [1, 2, 3, 4]);
      for (const v of BAD) {
        for (const slot of [0, 1, 6, 8, 14, 21]) {
          const p = good();
          p[slot] = v;
          assert.throws(
            () => raw!.im2col(x, out, p),
            {
              name: 'RangeError',
              message:
                /kiln_native(\.im2col)?: (a window parameter is not an exact integer|a view reaches outside its storage)/,
            },
            `slot ${slot} = ${v}`,
          );
        }
      }
      // C * KH * KW * N * OH * OW = 2^62 * 4 wraps in 64 bits; it must read as too large instead.
      const huge = good();
      huge.set([2 ** 31, 2 ** 31], 6);
      huge[1] = 1;
      assert.throws(() => raw!.im2col(x, out, huge), {
        name: 'RangeError',
        message: /outside its storage/,
      });
    });
  },
);
