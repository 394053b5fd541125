// The native Linear over a cached packed weight (src/backend/native/linear.ts): bit for bit the
// unpacked path (native matmul + bias add) for odd sizes, strided views, every GEMM kernel set
// this CPU runs and 1 or 2 threads, close to a float64 loop, NaN and inf where the unpacked
// path has them; and the cache goes stale exactly when the weight is written (optimizer steps,
// loadStateDict, in-place ops, init, the storage pool handing the storage out again).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setPackedLinear } from '../../src/backend/native/index.js';
import { loadNative } from '../../src/backend/native/loader.js';
import { recycleStorage, takeStorage } from '../../src/backend/storage-pool.js';
import * as k from '../../src/index.js';
import { storageVersion } from '../../src/tensor/storage-version.js';

const { binding, error } = loadNative();
const skip = binding?.linear ? false : `native packed Linear unavailable (${error})`;

/** y = F.linear(x, w, b) under noGrad with the packed path on or off. */
function run(packed: boolean, x: k.Tensor, w: k.Tensor, b: k.Tensor | null): Float32Array {
  const was = setPackedLinear(packed);
  try {
    return k.noGrad(() => k.F.linear(x, w, b)).dataSync() as Float32Array;
  } finally {
    setPackedLinear(was);
  }
}

/** Same bits, NaN where NaN. */
function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (Object.is(got[i], want[i]) || (got[i] === 0 && want[i] === 0)) continue;
    assert.fail(`${what}: element ${i} is ${got[i]}, unpacked path ${want[i]}`);
  }
}

/** |got - x wᵀ - b| small against a float64 loop. */
function assertNearReference(
  got: Float32Array,
  x: k.Tensor,
  w: k.Tensor,
  b: k.Tensor | null,
): void {
  const [m, kk] = x.shape as [number, number];
  const n = w.shape[0]!;
  const xs = x.contiguous().dataSync();
  const ws = w.contiguous().dataSync();
  const bs = b?.contiguous().dataSync();
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = bs ? bs[j]! : 0;
      for (let p = 0; p < kk; p++) s += xs[i * kk + p]! * ws[j * kk + p]!;
      const e = got[i * n + j]!;
      assert.ok(Math.abs(e - s) <= 1e-4 * (1 + Math.abs(s)), `(${i}, ${j}): ${e} vs ${s}`);
    }
}

// [m, k, n]: batch 1 and 64 of the MNIST CNN's layers and the MLP's first, register-tile and
// k-block edges, a product large enough to split across threads, and a batch above one row block
// (MC); all below 2^28 multiply-adds, where the AVX-512 matmul would take its large tile with
// other k blocks.
const SIZES: [number, number, number][] = [
  [1, 1600, 128],
  [64, 1600, 128],
  [64, 784, 128],
  [64, 128, 10],
  [5, 7, 3],
  [13, 300, 33],
  [1, 1, 1],
  [130, 257, 70],
  [600, 300, 100],
  [2500, 9, 5],
];

describe('native packed Linear', { skip }, () => {
  const kernels = ['avx512f', 'avx2', 'generic'].filter((name) => binding!.setGemmKernel(name));
  const original = binding ? binding.gemmKernel() : '';
  const threads = k.getNumThreads();
  after(() => {
    binding?.setGemmKernel(original);
    k.setNumThreads(threads);
  });

  it('matches the unpacked path bit for bit for every kernel set and thread count', () => {
    k.setBackend('native');
    for (const kernel of kernels) {
      binding!.setGemmKernel(kernel);
      for (const t of [1, 2]) {
        k.setNumThreads(t);
        for (const [m, kk, n] of SIZES) {
          k.manualSeed(m * 7 + kk + n);
          const x = k.randn([m, kk]);
          const w = k.randn([n, kk]);
          const b = k.randn([n]);
          const what = `${kernel} ${t}T [${m}, ${kk}] x [${n}, ${kk}]^T`;
          const got = run(true, x, w, b);
          assertSame(got, run(false, x, w, b), what);
          // Again from the cache, then without a bias.
          assertSame(run(true, x, w, b), got, `${what} (cached)`);
          assertSame(run(true, x, w, null), run(false, x, w, null), `${what} no bias`);
          if (m * kk * n < 1e6) assertNearReference(got, x, w, b);
        }
      }
    }
  });

  it('takes strided inputs, weights and biases', () => {
    k.setBackend('native');
    k.manualSeed(3);
    const x = k.randn([37, 21]).t(); // [21, 37], column-major
    const w = k.randn([40, 19]).narrow(0, 2, 37).t(); // [19, 37]: transposed, offset
    const b = k.randn([19, 2]).select(1, 1); // stride 2
    const got = run(true, x, w, b);
    assertSame(got, run(false, x, w, b), 'strided');
    assertNearReference(got, x, w, b);
    // Two weights that are views of one storage each keep a packing of their own view.
    const big = k.randn([20, 37]);
    const w1 = big.narrow(0, 0, 10);
    const w2 = big.narrow(0, 10, 10);
    const x2 = k.randn([3, 37]);
    for (let i = 0; i < 2; i++) {
      assertSame(run(true, x2, w1, null), run(false, x2, w1, null), 'first half');
      assertSame(run(true, x2, w2, null), run(false, x2, w2, null), 'second half');
    }
  });

  it('keeps NaN and infinities where the unpacked path has them', () => {
    k.setBackend('native');
    k.manualSeed(5);
    const xs = k.randn([9, 50]).dataSync().slice();
    const ws = k.randn([33, 50]).dataSync().slice();
    xs[3] = Number.NaN;
    xs[60] = Number.POSITIVE_INFINITY;
    xs[61] = Number.NEGATIVE_INFINITY;
    ws[50 * 7 + 2] = Number.NaN;
    ws[50 * 20 + 1] = Number.POSITIVE_INFINITY;
    const x = k.tensor(xs).reshape([9, 50]);
    const w = k.tensor(ws).reshape([33, 50]);
    const b = k.randn([33]);
    const got = run(true, x, w, b);
    assertSame(got, run(false, x, w, b), 'non-finite');
    assert.ok(got.some(Number.isNaN) && got.some((v) => v === Number.POSITIVE_INFINITY));
  });

  it('repacks after every kind of write to the weight', () => {
    k.setBackend('native');
    k.manualSeed(9);
    const fc = new k.nn.Linear(30, 20);
    const x = k.randn([4, 30]);
    const y = (): Float32Array => k.noGrad(() => fc.forward(x)).dataSync() as Float32Array;
    const fresh = (): Float32Array => run(false, x, fc.weight, fc.bias);
    const check = (what: string): void => {
      const before = y();
      assertSame(before, fresh(), what);
    };
    check('first call');
    const writes: [string, () => void][] = [
      ['SGD step', () => stepWith(new k.optim.SGD(fc.parameters(), { lr: 0.1 }))],
      ['Adam step', () => stepWith(new k.optim.Adam(fc.parameters(), { lr: 0.1 }))],
      ['loadStateDict', () => fc.loadStateDict(new k.nn.Linear(30, 20).stateDict())],
      ['mul_', () => k.noGrad(() => fc.weight.mul_(1.5))],
      ['copy_', () => k.noGrad(() => fc.weight.copy_(k.randn([20, 30])))],
      ['fill_ of one row', () => k.noGrad(() => fc.weight.narrow(0, 3, 1).fill_(2))],
      ['init', () => k.nn.init.normal(fc.weight)],
      [
        'a direct storage write with the public bumpStorageVersion',
        () => {
          fc.weight.storage.fill(0.25, fc.weight.offset, fc.weight.offset + 30);
          k.bumpStorageVersion(fc.weight.storage);
        },
      ],
    ];
    function stepWith(opt: k.optim.Optimizer): void {
      opt.zeroGrad();
      fc.forward(x).square().sum().backward();
      opt.step();
    }
    for (const [what, write] of writes) {
      const before = y();
      write();
      const after = y();
      assert.ok(
        after.some((v, i) => v !== before[i]),
        `${what} changed the output`,
      );
      assertSame(after, fresh(), `after ${what}`);
    }
  });

  it('runs for a frozen weight under grad mode and leaves the input gradient exact', () => {
    k.setBackend('native');
    k.manualSeed(2);
    const w = k.randn([6, 11]);
    const b = k.randn([6]);
    const grads = [true, false].map((packed) => {
      const was = setPackedLinear(packed);
      try {
        const x = k.randn([5, 11], { generator: new k.Generator(4) }).requiresGrad_();
        k.F.linear(x, w, b).square().sum().backward();
        return x.grad!.dataSync() as Float32Array;
      } finally {
        setPackedLinear(was);
      }
    });
    assertSame(grads[0]!, grads[1]!, 'input gradient');
  });

  it('counts writes per storage, including the pool handing a storage out again', () => {
    const t = k.zeros([4]);
    const v = storageVersion(t.storage);
    k.noGrad(() => t.add_(1));
    assert.equal(storageVersion(t.storage), v + 1);
    const s = takeStorage('float32', 1 << 16);
    const before = storageVersion(s);
    recycleStorage(s);
    const again = takeStorage('float32', 1 << 16);
    if (again === s) assert.ok(storageVersion(s) > before, 'a reused storage is marked written');
  });
});
