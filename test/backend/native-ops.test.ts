// Native elementwise kernels (unary, binary, where, copy, fill) against the js reference backend
// on contiguous, transposed, sliced, broadcast and scalar-broadcast views of odd and empty
// shapes, float32 and float64, with NaN/±Infinity/±0 inputs, on 1 thread and on 2 threads with
// the parallel threshold forced to 0. Exact ops must match bit for bit (±0 and NaN included).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BINARY_OPS, UNARY_OPS, type UnaryOp, type View } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import { BOOL_BINARY, BOOL_UNARY } from '../../src/backend/op-table/index.js';
import type { DType } from '../../src/tensor/dtype.js';
import {
  assertClose,
  cloneView,
  defaultGen,
  forEachThreadCount,
  LAYOUTS,
  type Layout,
  makeView,
  outView,
  SHAPES,
  SPECIALS,
} from './native-util.js';

const { binding, error } = loadNative();
const skip = binding ? false : `native addon unavailable (${error})`;
const FLOATS: readonly DType[] = ['float32', 'float64'];

/** Unary cases: op, parameters, and whether the result is exact (else a few ulp). */
const UNARY: readonly [UnaryOp, number, number, boolean][] = [
  ['neg', 0, 0, true],
  ['abs', 0, 0, true],
  ['exp', 0, 0, false],
  ['log', 0, 0, false],
  ['sqrt', 0, 0, true],
  ['rsqrt', 0, 0, true],
  ['sin', 0, 0, false],
  ['cos', 0, 0, false],
  ['sign', 0, 0, true],
  ['erf', 0, 0, false],
  ['relu', 0, 0, true],
  ['sigmoid', 0, 0, false],
  ['tanh', 0, 0, false],
  ['softplus', 1, 20, false],
  ['softplus', 2, 1, false],
  ['leakyRelu', 0.01, 0, true],
  ['elu', 1.5, 0, false],
  ['gelu', 0, 0, false],
  ['geluTanh', 0, 0, false],
  ['clamp', -0.5, 0.5, true],
  ['clamp', Number.NEGATIVE_INFINITY, 0.3, true],
  ['clamp', -0.2, Number.POSITIVE_INFINITY, true],
  ['log1p', 0, 0, false],
  ['expm1', 0, 0, false],
  ['floor', 0, 0, true],
  ['ceil', 0, 0, true],
  ['round', 0, 0, true],
  ['reciprocal', 0, 0, true],
  ['square', 0, 0, true],
  ['isnan', 0, 0, true],
  ['isfinite', 0, 0, true],
  ['logicalNot', 0, 0, true],
  ['powScalar', 2, 0, false],
  ['powScalar', 0.5, 0, false],
  ['powScalar', -1.5, 0, false],
  ['powScalar', Number.NaN, 0, false],
  ['scale', 2.5, -1, true],
  ['step', 0.25, 0, true],
];

const BINARY = BINARY_OPS;
const BINARY_LAYOUTS: readonly [Layout, Layout][] = [
  ['contiguous', 'contiguous'],
  ['transposed', 'sliced'],
  ['contiguous', 'broadcast'],
  ['broadcast', 'contiguous'],
  ['contiguous', 'scalar'],
  ['scalar', 'sliced'],
];

/** Few-ulp tolerance for transcendental results; atol covers cancellation (gelu's 1 + erf). */
const ULPS = (dtype: DType): [number, number] => (dtype === 'float32' ? [1, 0] : [4, 1e-15]);
/**
 * The js backend's own erf (series + continued fraction) is off by up to ~40 ulp in float64
 * near |x| = 2.5 (measured against mpmath); the native kernel calls libm's erf (<= 1 ulp).
 */
const ERF_ULPS = 64;

test('every unary op of the op table has a case here', () => {
  const covered = new Set(UNARY.map(([op]) => op));
  assert.deepEqual(
    UNARY_OPS.filter((op) => !covered.has(op)),
    [],
  );
});

describe('native elementwise kernels match the js backend', { skip }, () => {
  forEachThreadCount(
    () => binding,
    () => {
      test('unary: every op, dtype, shape and layout', () => {
        for (const dtype of FLOATS) {
          for (const [op, p0, p1, exact] of UNARY) {
            const outDtype = BOOL_UNARY.has(op) ? 'bool' : dtype;
            let [ulps, atol] = exact ? [0, 0] : ULPS(dtype);
            if (dtype === 'float64' && (op === 'erf' || op === 'gelu'))
              [ulps, atol] = [ERF_ULPS, 1e-14];
            for (const shape of SHAPES) {
              for (const layout of LAYOUTS) {
                const x = makeView(dtype, shape, layout, defaultGen(dtype, true));
                const want = outView(outDtype, shape);
                const got = outView(outDtype, shape);
                jsBackend.unary(op, x, want, p0, p1);
                assert.equal(binding!.unary(op, x, got, p0, p1), true, `${op} ${dtype} handled`);
                const label = `${op}(${p0},${p1}) ${dtype} [${shape}] ${layout}`;
                assertClose(got.storage, want.storage, outDtype, label, ulps, atol);
              }
            }
          }
        }
      });

      test('binary: every op, dtype, shape and layout pair', () => {
        for (const dtype of FLOATS) {
          for (const op of BINARY) {
            const outDtype = BOOL_BINARY.has(op) ? 'bool' : dtype;
            const [ulps, atol] = op === 'pow' ? ULPS(dtype) : [0, 0];
            for (const shape of SHAPES) {
              for (const [la, lb] of BINARY_LAYOUTS) {
                const a = makeView(dtype, shape, la, defaultGen(dtype, true));
                const b = makeView(dtype, shape, lb, defaultGen(dtype, true), 'last');
                const want = outView(outDtype, shape);
                const got = outView(outDtype, shape);
                jsBackend.binary(op, a, b, want);
                assert.equal(binding!.binary(op, a, b, got), true);
                const label = `${op} ${dtype} [${shape}] ${la}/${lb}`;
                assertClose(got.storage, want.storage, outDtype, label, ulps, atol);
              }
            }
          }
        }
      });

      test('binary: every pair of special values, including ±0 for maximum/minimum', () => {
        const n = SPECIALS.length;
        for (const dtype of FLOATS) {
          const a = makeView(dtype, [n, n], 'contiguous', (i) => SPECIALS[Math.floor(i / n) % n]!);
          const b = makeView(dtype, [n, n], 'contiguous', (i) => SPECIALS[i % n]!);
          for (const op of BINARY) {
            const outDtype = BOOL_BINARY.has(op) ? 'bool' : dtype;
            const want = outView(outDtype, [n, n]);
            const got = outView(outDtype, [n, n]);
            jsBackend.binary(op, a, b, want);
            assert.equal(binding!.binary(op, a, b, got), true);
            const [ulps, atol] = op === 'pow' ? ULPS(dtype) : [0, 0];
            assertClose(got.storage, want.storage, outDtype, `${op} ${dtype} specials`, ulps, atol);
          }
        }
      });

      test('binary in place (out aliases a), as gradient accumulation does', () => {
        for (const dtype of FLOATS) {
          const a = makeView(dtype, [17, 33], 'contiguous');
          const b = makeView(dtype, [17, 33], 'broadcast');
          const want = cloneView(a);
          jsBackend.binary('add', want, b, want);
          assert.equal(binding!.binary('add', a, b, a), true);
          assertClose(a.storage, want.storage, dtype, `add_ ${dtype}`);
        }
      });

      test('int32 and mixed-dtype arithmetic is declined (the js kernel runs instead)', () => {
        const i = makeView('int32', [5], 'contiguous');
        const f = makeView('float32', [5], 'contiguous');
        assert.equal(binding!.binary('mul', i, i, outView('int32', [5])), false);
        assert.equal(binding!.binary('lt', i, f, outView('bool', [5])), false);
        assert.equal(binding!.unary('neg', i, outView('int32', [5]), 0, 0), false);
      });

      test('where: every dtype, shape and layout', () => {
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
          for (const shape of SHAPES) {
            for (const [i, layout] of LAYOUTS.entries()) {
              const cond = makeView('bool', shape, layout);
              const a = makeView(dtype, shape, LAYOUTS[(i + 1) % LAYOUTS.length]!);
              const b = makeView(
                dtype,
                shape,
                LAYOUTS[(i + 2) % LAYOUTS.length]!,
                undefined,
                'last',
              );
              const want = outView(dtype, shape);
              const got = outView(dtype, shape);
              jsBackend.where(cond, a, b, want);
              assert.equal(binding!.where(cond, a, b, got), true);
              assertClose(got.storage, want.storage, dtype, `where ${dtype} [${shape}] ${layout}`);
            }
          }
        }
      });

      test('copy: every dtype pair (conversions as typed-array stores), shape and layout', () => {
        const all = ['float32', 'float64', 'int32', 'bool'] as const;
        const wild = [3.7, -2.5, 3e9, -3e9, 1e20, 2 ** 31, ...SPECIALS];
        for (const from of all) {
          const gen =
            from === 'float32' || from === 'float64'
              ? (i: number) => (i % 2 ? wild[i % wild.length]! : defaultGen(from)(i))
              : defaultGen(from);
          for (const to of all) {
            for (const shape of SHAPES) {
              for (const layout of LAYOUTS) {
                const x = makeView(from, shape, layout, gen);
                const want = outView(to, shape);
                const got = outView(to, shape);
                jsBackend.copy(x, want);
                assert.equal(binding!.copy(x, got), true);
                assertClose(
                  got.storage,
                  want.storage,
                  to,
                  `copy ${from}->${to} [${shape}] ${layout}`,
                );
              }
            }
          }
        }
      });

      test('fill: every dtype, contiguous and strided outputs', () => {
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
          for (const value of [1.5, -7, Number.NaN, -0, 3e9, 0.1]) {
            for (const shape of SHAPES) {
              for (const layout of ['contiguous', 'sliced', 'transposed'] as const) {
                const want: View = makeView(dtype, shape, layout);
                const got = cloneView(want);
                jsBackend.fill(want, value);
                assert.equal(binding!.fill(got, value), true);
                assertClose(got.storage, want.storage, dtype, `fill ${dtype} ${value} [${shape}]`);
              }
            }
          }
        }
      });
    },
  );

  test('a view reaching outside its storage is a RangeError, not a crash', () => {
    const x: View = {
      storage: new Float32Array(4),
      shape: [5],
      strides: [1],
      offset: 0,
      dtype: 'float32',
    };
    assert.throws(() => binding!.unary('neg', x, outView('float32', [5]), 0, 0), RangeError);
    const y: View = { ...x, shape: [2], offset: 3 };
    assert.throws(() => binding!.copy(y, outView('float32', [2])), RangeError);
  });
});
