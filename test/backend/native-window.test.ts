// Native sliding-window kernels (im2col, col2im, maxPool, maxPoolBackward) against the js
// reference backend: random windows (kernel 1-5, stride 1-3, padding 0-2, dilation 1-2,
// non-square, floor and ceil-mode output sizes), odd and empty sizes, contiguous, transposed,
// sliced and (for gradients) broadcast views, float32 and float64, NaN/±Infinity/±0 and ties
// for max pooling; on 1 thread and on 2 threads with the parallel threshold forced to 0.
// Every result must match bit for bit (±0 and NaN included).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { View, Window2d } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import type { DType } from '../../src/tensor/dtype.js';
import {
  assertClose,
  cloneView,
  defaultGen,
  forEachThreadCount,
  type Gen,
  type Layout,
  makeView,
  outView,
  rand,
} from './native-util.js';

const { binding, error } = loadNative();
const skip = binding ? false : `native addon unavailable (${error})`;
const FLOATS: readonly DType[] = ['float32', 'float64'];
const LAYOUTS: readonly Layout[] = ['contiguous', 'transposed', 'sliced'];

interface Case {
  name: string;
  n: number;
  c: number;
  h: number;
  w: number;
  window: Window2d;
  out: [number, number];
}

const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Output positions along a dim as the op layer sizes them (floor, or ceil with its rule). */
function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  const span = size + 2 * p - d * (k - 1) - 1;
  if (span < 0) return -1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + p) o--;
  return o;
}

/** Whether every window along a dim holds an input element (max pooling requires it). */
function covered(o: number, size: number, k: number, s: number, p: number, d: number) {
  for (let i = 0; i < o; i++) {
    let ok = false;
    for (let t = 0; t < k && !ok; t++) ok = i * s - p + t * d >= 0 && i * s - p + t * d < size;
    if (!ok) return false;
  }
  return true;
}

function makeCase(
  name: string,
  [n, c, h, w]: number[],
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
  dilation: [number, number],
  out: [number, number],
): Case {
  return { name, n: n!, c: c!, h: h!, w: w!, window: { kernel, stride, padding, dilation }, out };
}

/** Fixed cases (the MNIST CNN's, 1-D lifted, 'same' with an even kernel) plus random ones. */
function cases(pool: boolean): Case[] {
  const list: Case[] = [
    makeCase('3x3 s1 p0', [3, 2, 12, 12], [3, 3], [1, 1], [0, 0], [1, 1], [10, 10]),
    makeCase('3x3 s1 p1', [2, 3, 9, 7], [3, 3], [1, 1], [1, 1], [1, 1], [9, 7]),
    makeCase('2x2 s2', [3, 4, 26, 26], [2, 2], [2, 2], [0, 0], [1, 1], [13, 13]),
    makeCase('2x2 s2 odd', [2, 3, 11, 11], [2, 2], [2, 2], [0, 0], [1, 1], [5, 5]),
    makeCase('2x2 s2 ceil', [2, 3, 11, 9], [2, 2], [2, 2], [0, 0], [1, 1], [6, 5]),
    makeCase('3x3 s2 p1', [2, 2, 10, 9], [3, 3], [2, 2], [1, 1], [1, 1], [5, 5]),
    makeCase('1-D k5 s2', [3, 2, 1, 20], [1, 5], [1, 2], [0, 2], [1, 1], [1, 10]),
    makeCase("'same' 4x4", [1, 2, 6, 7], [4, 4], [1, 1], [1, 1], [1, 1], [6, 7]),
    makeCase('empty batch', [0, 3, 8, 8], [3, 3], [1, 1], [1, 1], [1, 1], [8, 8]),
    makeCase('no channels', [2, 0, 5, 5], [2, 2], [2, 2], [0, 0], [1, 1], [2, 2]),
  ];
  for (let q = 0; list.length < 70 && q < 1000; q++) {
    const k: [number, number] = [int(1, 5), int(1, 5)];
    const s: [number, number] = [int(1, 3), int(1, 3)];
    // Pooling pads at most half the kernel (the op layer's rule).
    const p: [number, number] = [
      Math.min(int(0, 2), pool ? k[0] >> 1 : 2),
      Math.min(int(0, 2), pool ? k[1] >> 1 : 2),
    ];
    const d: [number, number] = [int(1, 2), int(1, 2)];
    const size = [int(1, 11), int(1, 11)];
    const ceil = rand() < 0.5;
    const o = [0, 1].map((i) => outSize(size[i]!, k[i]!, s[i]!, p[i]!, d[i]!, ceil));
    if (o[0]! < 1 || o[1]! < 1) continue;
    if (pool && ![0, 1].every((i) => covered(o[i]!, size[i]!, k[i]!, s[i]!, p[i]!, d[i]!)))
      continue;
    const label = `k${k} s${s} p${p} d${d} ${size.join('x')}${ceil ? ' ceil' : ''}`;
    list.push(makeCase(label, [int(1, 3), int(1, 3), ...size], k, s, p, d, o as [number, number]));
  }
  return list;
}

/** An output view at offset 2 whose storage is NaN, so unwritten elements show. */
function garbageOut(dtype: DType, shape: readonly number[]): View {
  const v = outView(dtype, shape, 2);
  v.storage.fill(dtype === 'int32' ? -7 : Number.NaN);
  return v;
}

/** Values with many ties (for first-max-wins) and, every 7th element, a special value. */
function tieGen(specials: boolean): Gen {
  const sp = [Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 0];
  return (i) => (specials && i % 7 === 0 ? sp[(i / 7) % sp.length]! : Math.floor(rand() * 3));
}

function checkIm2col(dtype: DType, cs: Case, layout: Layout, gen: Gen) {
  const x = makeView(dtype, [cs.n, cs.c, cs.h, cs.w], layout, gen);
  const [kh, kw] = cs.window.kernel;
  const shape = [cs.c, kh, kw, cs.n, ...cs.out];
  const a = garbageOut(dtype, shape);
  const e = garbageOut(dtype, shape);
  assert.equal(binding!.im2col(x, cs.window, a), true);
  jsBackend.im2col(x, cs.window, e);
  assertClose(a.storage, e.storage, dtype, `im2col ${cs.name} ${layout}`);
}

function checkCol2im(dtype: DType, cs: Case, layout: Layout | 'broadcast', gen: Gen) {
  const [kh, kw] = cs.window.kernel;
  const cols = makeView(dtype, [cs.c, kh, kw, cs.n, ...cs.out], layout, gen);
  const shape = [cs.n, cs.c, cs.h, cs.w];
  const a = garbageOut(dtype, shape);
  const e = garbageOut(dtype, shape);
  assert.equal(binding!.col2im(cols, cs.window, a), true);
  jsBackend.col2im(cols, cs.window, e);
  assertClose(a.storage, e.storage, dtype, `col2im ${cs.name} ${layout}`);
}

function checkMaxPool(dtype: DType, cs: Case, layout: Layout, gen: Gen) {
  const x = makeView(dtype, [cs.n, cs.c, cs.h, cs.w], layout, gen);
  const shape = [cs.n, cs.c, ...cs.out];
  const [a, ai] = [garbageOut(dtype, shape), garbageOut('int32', shape)];
  const [e, ei] = [garbageOut(dtype, shape), garbageOut('int32', shape)];
  assert.equal(binding!.maxPool(x, cs.window, a, ai), true);
  jsBackend.maxPool(x, cs.window, e, ei);
  assertClose(a.storage, e.storage, dtype, `maxPool ${cs.name} ${layout}`);
  assertClose(ai.storage, ei.storage, 'int32', `maxPool indices ${cs.name} ${layout}`);
  // The backward scatters a gradient of any layout to those indices.
  const glayout = layout === 'contiguous' ? 'broadcast' : layout;
  const g = makeView(dtype, shape, glayout, defaultGen(dtype, layout === 'sliced'));
  const image = [cs.n, cs.c, cs.h, cs.w];
  const [ba, be] = [garbageOut(dtype, image), garbageOut(dtype, image)];
  assert.equal(binding!.maxPoolBackward(g, ai, ba), true);
  jsBackend.maxPoolBackward(g, ei, be);
  assertClose(ba.storage, be.storage, dtype, `maxPoolBackward ${cs.name} ${glayout}`);
}

describe('native sliding-window kernels match the js backend', { skip }, () => {
  forEachThreadCount(
    () => binding,
    () => {
      for (const dtype of FLOATS) {
        test(`im2col ${dtype}`, () => {
          for (const cs of cases(false))
            for (const layout of LAYOUTS) checkIm2col(dtype, cs, layout, defaultGen(dtype, true));
        });
        test(`col2im ${dtype}`, () => {
          for (const cs of cases(false)) {
            for (const layout of [...LAYOUTS, 'broadcast'] as const)
              checkCol2im(dtype, cs, layout, defaultGen(dtype, layout === 'sliced'));
          }
        });
        test(`maxPool and maxPoolBackward ${dtype}`, () => {
          for (const cs of cases(true)) {
            for (const layout of LAYOUTS) {
              checkMaxPool(dtype, cs, layout, defaultGen(dtype, true));
              checkMaxPool(dtype, cs, layout, tieGen(layout !== 'contiguous'));
            }
          }
        });
      }
    },
  );

  test('maxPool: NaN propagates, the last NaN and the first max win', () => {
    const x = makeView('float32', [1, 1, 2, 4], 'contiguous');
    x.storage.set([1, Number.NaN, 3, 3, Number.NaN, 0, 3, -1], x.offset);
    const w: Window2d = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] };
    const out = outView('float32', [1, 1, 1, 2]);
    const idx = outView('int32', [1, 1, 1, 2]);
    assert.equal(binding!.maxPool(x, w, out, idx), true);
    assert.deepEqual([...out.storage], [Number.NaN, 3]);
    assert.deepEqual([...idx.storage], [4, 2]);
  });

  test('a large MNIST-sized batch matches on the threaded paths', () => {
    const prev = binding!.setElementwiseParMin(1 << 16);
    try {
      for (const dtype of FLOATS) {
        const conv = makeCase(
          'mnist conv2',
          [64, 32, 13, 13],
          [3, 3],
          [1, 1],
          [0, 0],
          [1, 1],
          [11, 11],
        );
        checkIm2col(dtype, conv, 'contiguous', defaultGen(dtype));
        checkCol2im(dtype, conv, 'contiguous', defaultGen(dtype));
        const pool = makeCase(
          'mnist pool1',
          [64, 32, 26, 26],
          [2, 2],
          [2, 2],
          [0, 0],
          [1, 1],
          [13, 13],
        );
        checkMaxPool(dtype, pool, 'contiguous', defaultGen(dtype));
      }
    } finally {
      binding!.setElementwiseParMin(prev);
    }
  });

  test('declines other dtypes and bad indices; rejects out-of-bounds views', () => {
    const w: Window2d = { kernel: [2, 2], stride: [1, 1], padding: [0, 0], dilation: [1, 1] };
    const xi = makeView('int32', [1, 1, 3, 3], 'contiguous');
    assert.equal(binding!.im2col(xi, w, outView('int32', [1, 2, 2, 1, 2, 2])), false);
    const x = makeView('float64', [1, 1, 3, 3], 'contiguous');
    // Mixed dtypes are declined as well.
    assert.equal(binding!.im2col(x, w, outView('float32', [1, 2, 2, 1, 2, 2])), false);
    const g = makeView('float64', [1, 1, 2, 2], 'contiguous');
    const bad = outView('int32', [1, 1, 2, 2]);
    bad.storage.set([0, 1, 9, 2]);
    assert.equal(binding!.maxPoolBackward(g, bad, outView('float64', [1, 1, 3, 3])), false);
    const short = { ...x, shape: [1, 1, 4, 4] };
    assert.throws(
      () => binding!.im2col(short, w, outView('float64', [1, 2, 2, 1, 3, 3])),
      RangeError,
    );
    const cols = makeView('float64', [1, 2, 2, 1, 2, 2], 'contiguous');
    const small = { ...outView('float64', [1, 1, 3, 3]), shape: [1, 1, 4, 4] };
    assert.throws(() => binding!.col2im(cloneView(cols), w, small), RangeError);
  });
});
