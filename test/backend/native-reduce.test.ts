// Native reductions, arg-reductions and softmax against the js reference backend, and the fused
// optimizer kernels: Adam, AdamW and SGD trajectories over 20 steps must match the JS loops (bit
// for bit, except float32 Adam, which the native kernel computes in float32 as PyTorch does).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type ArgReduceOp, REDUCE_OPS, type View } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { fusedOptimizer } from '../../src/backend/native/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import * as k from '../../src/index.js';
import type { DType } from '../../src/tensor/dtype.js';
import {
  assertClose,
  defaultGen,
  forEachThreadCount,
  LAYOUTS,
  makeView,
  outView,
  SHAPES,
} from './native-util.js';

const { binding, error } = loadNative();
const skip = binding ? false : `native addon unavailable (${error})`;
const FLOATS: readonly DType[] = ['float32', 'float64'];

/** Every non-empty subset of a shape's dims, sorted. */
function dimSets(nd: number): number[][] {
  const sets: number[][] = [];
  for (let mask = 1; mask < 1 << nd; mask++)
    sets.push([...Array(nd).keys()].filter((d) => (mask >> d) & 1));
  return sets;
}

describe('native reductions and softmax match the js backend', { skip }, () => {
  forEachThreadCount(
    () => binding,
    () => {
      test('reduce: every op over every set of dims, bit-identical (same order, float64 sums)', () => {
        for (const dtype of FLOATS) {
          for (const op of REDUCE_OPS) {
            for (const shape of SHAPES) {
              if ((op === 'max' || op === 'min') && shape.includes(0)) continue;
              for (const layout of LAYOUTS) {
                const x = makeView(dtype, shape, layout, defaultGen(dtype, op !== 'prod'));
                for (const dims of dimSets(shape.length)) {
                  const outShape = shape.map((n, d) => (dims.includes(d) ? 1 : n));
                  const want = outView(dtype, outShape, 2);
                  const got = outView(dtype, outShape, 2);
                  jsBackend.reduce(op, x, dims, want);
                  assert.equal(binding!.reduce(op, x, dims, got), true);
                  const label = `${op} ${dtype} [${shape}] ${layout} dims [${dims}]`;
                  assertClose(got.storage, want.storage, dtype, label);
                }
              }
            }
          }
        }
      });

      test('argReduce: first index of the max/min, NaN wins', () => {
        for (const dtype of FLOATS) {
          for (const op of ['argmax', 'argmin'] as ArgReduceOp[]) {
            for (const shape of SHAPES) {
              if (shape.length === 0) continue;
              for (const layout of LAYOUTS) {
                // Few distinct values, so ties (first index wins) occur.
                const gen = (i: number) => (i % 11 === 5 ? Number.NaN : (i * 7) % 5);
                const x = makeView(dtype, shape, layout, gen);
                for (let dim = 0; dim < shape.length; dim++) {
                  const outShape = shape.map((n, d) => (d === dim ? 1 : n));
                  const want = outView('int32', outShape, 1);
                  const got = outView('int32', outShape, 1);
                  jsBackend.argReduce(op, x, dim, want);
                  assert.equal(binding!.argReduce(op, x, dim, got), true);
                  const label = `${op} ${dtype} [${shape}] ${layout} dim ${dim}`;
                  assertClose(got.storage, want.storage, 'int32', label);
                }
              }
            }
          }
        }
      });

      test('softmax and logSoftmax along every dim, with ±Infinity and NaN lines', () => {
        for (const dtype of FLOATS) {
          const [ulps, atol] = dtype === 'float32' ? [1, 0] : [4, 1e-15];
          for (const log of [false, true]) {
            for (const shape of SHAPES) {
              for (const layout of LAYOUTS) {
                const x = makeView(dtype, shape, layout, defaultGen(dtype, true));
                for (let dim = 0; dim < shape.length; dim++) {
                  const want = outView(dtype, shape);
                  const got = outView(dtype, shape);
                  jsBackend.softmax(x, dim, log, want);
                  assert.equal(binding!.softmax(x, dim, log, got), true);
                  const label = `softmax log=${log} ${dtype} [${shape}] ${layout} dim ${dim}`;
                  assertClose(got.storage, want.storage, dtype, label, ulps, atol);
                }
              }
            }
          }
        }
      });
    },
  );

  test('int32 and bool inputs are declined (the js kernel runs instead)', () => {
    const x: View = makeView('int32', [4, 3], 'contiguous');
    assert.equal(binding!.reduce('sum', x, [0], outView('int32', [1, 3])), false);
    assert.equal(binding!.argReduce('argmax', x, 0, outView('int32', [1, 3])), false);
  });
});

type Make = (params: k.Tensor[]) => {
  step(): void;
  stateDict(): { state: Record<number, k.optim.ParamState> };
};

/** 20 steps on fixed pseudo-random gradients; returns the final parameters and state. */
function trajectory(backend: string, dtype: 'float32' | 'float64', make: Make): number[][] {
  k.setBackend(backend);
  k.manualSeed(7);
  const params = [k.randn([33, 17], { dtype }), k.randn([17], { dtype }), k.randn([1], { dtype })];
  for (const p of params) p.requiresGrad = true;
  const opt = make(params);
  for (let step = 0; step < 20; step++) {
    for (const p of params) p.grad = k.randn(p.shape, { dtype });
    opt.step();
  }
  const state = Object.values(opt.stateDict().state).flatMap((s) =>
    Object.values(s).filter((v): v is k.Tensor => v instanceof k.Tensor),
  );
  return [...params, ...state].map((t) => Array.from(t.contiguous().storage));
}

describe('fused optimizer kernels give the JS trajectories', { skip }, () => {
  const cases: [string, Make][] = [
    ['Adam', (ps) => new k.optim.Adam(ps, { lr: 1e-2 })],
    [
      'Adam weightDecay maximize',
      (ps) =>
        new k.optim.Adam(ps, { lr: 3e-3, weightDecay: 0.1, maximize: true, betas: [0.8, 0.99] }),
    ],
    ['Adam amsgrad (JS loop on both)', (ps) => new k.optim.Adam(ps, { lr: 1e-2, amsgrad: true })],
    ['AdamW', (ps) => new k.optim.AdamW(ps, { lr: 1e-2, weightDecay: 0.05, eps: 1e-6 })],
    ['SGD', (ps) => new k.optim.SGD(ps, { lr: 0.1 })],
    [
      'SGD weightDecay maximize',
      (ps) => new k.optim.SGD(ps, { lr: 0.05, weightDecay: 0.01, maximize: true }),
    ],
    [
      'SGD momentum dampening',
      (ps) => new k.optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 1e-3 }),
    ],
    ['SGD nesterov', (ps) => new k.optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true })],
  ];
  const initial = k.getBackend();
  after(() => k.setBackend(initial));
  test('the fused kernels are used on the native backend only', () => {
    k.setBackend('js');
    assert.equal(fusedOptimizer(), null);
    k.setBackend('native');
    const a = () => new Float32Array(8).fill(0.5);
    const s = {
      beta1: 0.9,
      beta2: 0.999,
      stepSize: 1e-3,
      bc2Sqrt: 1,
      eps: 1e-8,
      l2: 0,
      shrink: 1,
      sign: 1,
    };
    assert.equal(fusedOptimizer()?.adamUpdate(a(), 0, a(), 0, a(), a(), 8, s), true);
    // Mixed dtypes are declined: the optimizer then runs its JS loop.
    assert.equal(
      fusedOptimizer()?.adamUpdate(a(), 0, new Float64Array(8), 0, a(), a(), 8, s),
      false,
    );
  });
  for (const [name, make] of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      // The fused Adam updates float32 parameters in float32 arithmetic (as PyTorch does), so
      // there it agrees with the JS double-precision loop to float32 rounding, not bit for bit.
      const exact = dtype === 'float64' || !name.startsWith('Adam') || name.includes('amsgrad');
      test(`${name} ${dtype}${exact ? '' : ' (to float32 rounding)'}`, () => {
        const js = trajectory('js', dtype, make);
        const native = trajectory('native', dtype, make);
        js.forEach((want, i) => {
          const got = native[i]!;
          for (let j = 0; j < want.length; j++) {
            const close = exact
              ? Object.is(got[j], want[j])
              : Math.abs(got[j]! - want[j]!) <= 1e-5 * Math.max(1, Math.abs(want[j]!));
            assert.ok(close, `${name} ${dtype} tensor ${i}[${j}]: ${got[j]} vs ${want[j]}`);
          }
        });
      });
    }
  }
});
