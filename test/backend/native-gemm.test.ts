// Native GEMM against a naive triple loop (float64 accumulation) on contiguous, transposed,
// sliced, broadcast-batch, odd-sized and empty operands, for every kernel set this CPU runs,
// on 1 and 2 threads; and AVX-512's large-tile path on products big enough to take it.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { View } from '../../src/backend/backend.js';
import { loadNative } from '../../src/backend/native/loader.js';

type FloatDType = 'float32' | 'float64';
interface Mat extends View {
  readonly storage: Float32Array | Float64Array;
}

const { binding, error } = loadNative();

let seed = 12345;
function rand(): number {
  // xorshift32: deterministic inputs without depending on the tensor module.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296 - 0.5;
}

/** A view of `shape` over fresh random storage, with the given strides and offset. */
function view(dtype: FloatDType, shape: number[], strides: number[], offset = 0): Mat {
  let extent = offset + 1;
  shape.forEach((s, i) => {
    if (s > 0) extent += (s - 1) * strides[i]!;
  });
  if (shape.includes(0)) extent = offset;
  const storage = dtype === 'float32' ? new Float32Array(extent) : new Float64Array(extent);
  for (let i = 0; i < extent; i++) storage[i] = rand();
  return { storage, shape, strides, offset, dtype };
}

function contiguousStrides(shape: number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= Math.max(shape[i]!, 1);
  }
  return st;
}

function out(dtype: FloatDType, shape: number[], fill: number): Mat {
  const n = shape.reduce((p, s) => p * s, 1);
  const storage = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  storage.fill(fill);
  return { storage, shape, strides: contiguousStrides(shape), offset: 0, dtype };
}

/** Storage offset of batch element `bidx` of a view whose last two dims are the matrix. */
function batchOffset(v: View, bidx: number[], rank: number): number {
  let o = v.offset;
  const skip = rank - v.shape.length;
  for (let d = 0; d < bidx.length; d++) if (d >= skip) o += bidx[d]! * v.strides[d - skip]!;
  return o;
}

/**
 * Checks out (= init + a·b when accumulating) element by element with a K-scaled bound: every
 * row, or with `rowStep` > 1 every rowStep-th row plus the last 12 (all columns of each).
 */
function check(a: Mat, b: Mat, o: Mat, init: number, label: string, rowStep = 1): void {
  const r = o.shape.length;
  const [m, n] = [o.shape[r - 2]!, o.shape[r - 1]!];
  const k = a.shape[a.shape.length - 1]!;
  const [sam, sak] = a.strides.slice(-2) as [number, number];
  const [sbk, sbn] = b.strides.slice(-2) as [number, number];
  const eps = o.dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  const batch = o.shape.slice(0, r - 2);
  const nb = batch.reduce((p, s) => p * s, 1);
  for (let bi = 0; bi < nb; bi++) {
    const bidx: number[] = [];
    for (let d = batch.length - 1, rem = bi; d >= 0; d--) {
      bidx[d] = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
    }
    const oa = batchOffset(a, bidx, r);
    const ob = batchOffset(b, bidx, r);
    const oo = batchOffset(o, bidx, r);
    for (let i = 0; i < m; i++) {
      if (i % rowStep !== 0 && i < m - 12) continue;
      for (let j = 0; j < n; j++) {
        let s = 0;
        let mag = 0;
        for (let p = 0; p < k; p++) {
          const t = a.storage[oa + i * sam + p * sak]! * b.storage[ob + p * sbk + j * sbn]!;
          s += t;
          mag += Math.abs(t);
        }
        const want = init + s;
        const got = o.storage[oo + i * o.strides[r - 2] + j]!;
        const tol = 2 * (k + 2) * eps * (mag + Math.abs(init)) + 1e-30;
        if (!(Math.abs(got - want) <= tol)) {
          assert.fail(`${label}: out[${[...bidx, i, j]}] = ${got}, want ${want} (tol ${tol})`);
        }
      }
    }
  }
}

interface Case {
  name: string;
  make(dtype: FloatDType): { a: Mat; b: Mat; oshape: number[] };
}

function rowMajor(
  dtype: FloatDType,
  m: number,
  n: number,
  k: number,
): { a: Mat; b: Mat; oshape: number[] } {
  return { a: view(dtype, [m, k], [k, 1]), b: view(dtype, [k, n], [n, 1]), oshape: [m, n] };
}

const cases: Case[] = [
  { name: 'contiguous 1x1x1', make: (d) => rowMajor(d, 1, 1, 1) },
  { name: 'contiguous 3x17x100', make: (d) => rowMajor(d, 3, 17, 100) },
  { name: 'contiguous 17x3x1000', make: (d) => rowMajor(d, 17, 3, 1000) },
  { name: 'contiguous 100x1000x17', make: (d) => rowMajor(d, 100, 1000, 17) },
  { name: 'contiguous 1x100x3', make: (d) => rowMajor(d, 1, 100, 3) },
  { name: 'threaded 300x200x500', make: (d) => rowMajor(d, 300, 200, 500) },
  {
    name: 'transposed A 37x45x29',
    make: (d) => ({
      a: view(d, [37, 29], [1, 37]),
      b: view(d, [29, 45], [45, 1]),
      oshape: [37, 45],
    }),
  },
  {
    name: 'transposed B 33x70x130',
    make: (d) => ({
      a: view(d, [33, 130], [130, 1]),
      b: view(d, [130, 70], [1, 130]),
      oshape: [33, 70],
    }),
  },
  {
    name: 'transposed A and B 100x65x300',
    make: (d) => ({
      a: view(d, [100, 300], [1, 100]),
      b: view(d, [300, 65], [1, 300]),
      oshape: [100, 65],
    }),
  },
  {
    name: 'sliced (offset, strides 2 and row padding) 21x35x19',
    make: (d) => ({
      a: view(d, [21, 19], [19 * 2 + 5, 2], 7),
      b: view(d, [19, 35], [35 * 3 + 1, 3], 11),
      oshape: [21, 35],
    }),
  },
  {
    name: 'broadcast batch (A stride 0) 3x[20x30x40]',
    make: (d) => ({
      a: view(d, [3, 20, 40], [0, 40, 1]),
      b: view(d, [3, 40, 30], [1200, 30, 1]),
      oshape: [3, 20, 30],
    }),
  },
  {
    name: 'two batch dims, B broadcast over the first, transposed 2x3x[9x13x17]',
    make: (d) => ({
      a: view(d, [2, 3, 9, 17], [3 * 9 * 17, 9 * 17, 17, 1]),
      b: view(d, [2, 3, 17, 13], [0, 13 * 17, 1, 17], 3),
      oshape: [2, 3, 9, 13],
    }),
  },
  {
    name: 'batch-parallel 8x[64x64x64]',
    make: (d) => ({
      a: view(d, [8, 64, 64], [4096, 64, 1]),
      b: view(d, [8, 64, 64], [4096, 64, 1]),
      oshape: [8, 64, 64],
    }),
  },
  {
    name: 'batch 3 split per product 3x[130x90x120]',
    make: (d) => ({
      a: view(d, [3, 130, 120], [0, 120, 1]),
      b: view(d, [3, 120, 90], [10800, 90, 1]),
      oshape: [3, 130, 90],
    }),
  },
  {
    // A narrow product (n far below the register tile) runs transposed through a scratch.
    name: 'narrow N, B transposed [37x300] x [300x5] (conv weight-gradient shape)',
    make: (d) => ({
      a: view(d, [37, 300], [300, 1]),
      b: view(d, [300, 5], [1, 300], 2),
      oshape: [37, 5],
    }),
  },
  {
    name: 'narrow N, batched and strided 2x[50x70] x [70x3]',
    make: (d) => ({
      a: view(d, [2, 50, 70], [1, 2 * 70, 2], 1),
      b: view(d, [2, 70, 3], [0, 3, 1]),
      oshape: [2, 50, 3],
    }),
  },
  { name: 'empty M', make: (d) => rowMajor(d, 0, 5, 7) },
  { name: 'empty N', make: (d) => rowMajor(d, 5, 0, 7) },
  { name: 'empty K yields zeros', make: (d) => rowMajor(d, 6, 40, 0) },
  {
    name: 'empty batch',
    make: (d) => ({
      a: view(d, [0, 4, 5], [20, 5, 1]),
      b: view(d, [0, 5, 6], [30, 6, 1]),
      oshape: [0, 4, 6],
    }),
  },
];

if (binding === null) {
  test('native GEMM', { skip: `native addon unavailable: ${error}` }, () => {});
} else {
  const nat = binding;
  const threadsBefore = nat.getNumThreads();
  const kernelBefore = nat.gemmKernel();
  after(() => {
    nat.setNumThreads(threadsBefore);
    nat.setGemmKernel(kernelBefore);
  });

  for (const kernel of ['avx512f', 'avx2', 'generic']) {
    for (const threads of [1, 2]) {
      describe(`native GEMM, ${kernel} kernels, ${threads} thread(s)`, () => {
        for (const dtype of ['float32', 'float64'] as const) {
          for (const c of cases) {
            test(`${dtype} ${c.name}`, (t) => {
              if (!nat.setGemmKernel(kernel)) {
                t.skip(`this CPU cannot run the ${kernel} kernels`);
                return;
              }
              nat.setNumThreads(threads);
              const { a, b, oshape } = c.make(dtype);
              const o = out(dtype, oshape, Number.NaN);
              nat.matmul(a, b, o);
              check(a, b, o, 0, `${kernel}/${threads}t/${dtype} ${c.name}`);
              // accumulate: out += a·b on top of a known value
              const acc = out(dtype, oshape, 0.25);
              nat.matmul(a, b, acc, true);
              check(a, b, acc, 0.25, `${kernel}/${threads}t/${dtype} ${c.name} (accumulate)`);
            });
          }
        }
      });
    }
  }

  // gemm_avx512.cc switches float32 rectangles of >= 2^28 multiply-adds with k >= 512 and
  // n >= 256 to its second (6x64, 512-deep) tile. None of the cases above is that large; these
  // are, with ragged rows, columns and k blocks: on 1 thread, and on 2 (split into column halves
  // of 288 and 257, each still large, the second starting mid-row). Every 5th row and the last 12
  // are checked, all columns of each: the naive loop over all of them would take most of a minute.
  describe('native GEMM, avx512f kernels, large-tile products (float32)', () => {
    const cases: [Case, number][] = [
      [{ name: 'contiguous 601x460x1000', make: (d) => rowMajor(d, 601, 460, 1000) }, 1],
      [
        {
          name: 'transposed A and B 601x460x1000',
          make: (d) => ({
            a: view(d, [601, 1000], [1, 601], 3),
            b: view(d, [1000, 460], [1, 1000]),
            oshape: [601, 460],
          }),
        },
        1,
      ],
      [{ name: 'contiguous 1010x545x1040', make: (d) => rowMajor(d, 1010, 545, 1040) }, 2],
    ];
    for (const [c, threads] of cases) {
      test(`${c.name}, ${threads} thread(s)`, (t) => {
        if (!nat.setGemmKernel('avx512f')) {
          t.skip('this CPU cannot run the avx512f kernels');
          return;
        }
        nat.setNumThreads(threads);
        const { a, b, oshape } = c.make('float32');
        const acc = out('float32', oshape, 0.25);
        nat.matmul(a, b, acc, true);
        check(a, b, acc, 0.25, `avx512f/${threads}t ${c.name} (accumulate)`, 5);
      });
    }
  });

  describe('native GEMM, default kernels, 3 threads on fewer cores', () => {
    for (const c of cases) {
      test(`float32 ${c.name}`, () => {
        nat.setGemmKernel(kernelBefore);
        nat.setNumThreads(3);
        const { a, b, oshape } = c.make('float32');
        const o = out('float32', oshape, Number.NaN);
        nat.matmul(a, b, o);
        check(a, b, o, 0, `3t ${c.name}`);
      });
    }
  });

  describe('native GEMM argument checks', () => {
    test('rejects mixed dtypes', () => {
      const { a } = rowMajor('float32', 2, 2, 2);
      const b = view('float64', [2, 2], [2, 1]);
      assert.throws(() => nat.matmul(a, b, out('float32', [2, 2], 0)), TypeError);
    });
    test('rejects a view that reaches outside its storage', () => {
      const { a, b } = rowMajor('float32', 4, 4, 4);
      const bad: Mat = { ...a, shape: [5, 4] };
      assert.throws(() => nat.matmul(bad, b, out('float32', [5, 4], 0)), RangeError);
    });
    test('reports CPU features and thread count', () => {
      assert.equal(typeof nat.cpuFeatures(), 'string');
      nat.setNumThreads(3);
      assert.equal(nat.getNumThreads(), 3);
    });
  });
}
