// Random numbers: reproducibility per seed, independence of generators, state round trips and
// statistical sanity of rand/randn/randint/randperm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const values = (t: k.Tensor) => Array.from(t.dataSync(), Number);
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const stdOf = (v: number[]) => {
  const m = meanOf(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
};

describe('seeding', () => {
  it('the same seed gives the same numbers; another seed different ones', () => {
    for (const make of [
      () => k.rand([50]),
      () => k.randn([50]),
      () => k.randint(0, 100, [50]),
      () => k.randperm(50),
    ]) {
      k.manualSeed(123);
      const a = values(make());
      k.manualSeed(123);
      const b = values(make());
      k.manualSeed(124);
      const c = values(make());
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    }
  });
  it('documented algorithm: xoshiro128** reference vector, splitmix32 seeding, 53-bit uniform', () => {
    // The reference C implementation from state {1, 2, 3, 4} starts 11520, 0, 5927040.
    const g = new k.Generator().setState([1, 2, 3, 4]);
    assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], [11520, 0, 5927040]);
    // splitmix32 over the seed gives the four state words.
    let x = 42;
    const splitmix = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    assert.deepEqual(new k.Generator(42).getState(), [
      splitmix(),
      splitmix(),
      splitmix(),
      splitmix(),
    ]);
    // uniform() = ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53 from two consecutive outputs.
    const raw = new k.Generator(9);
    const [a, b] = [raw.nextUint32(), raw.nextUint32()];
    assert.equal(new k.Generator(9).uniform(), ((a >>> 5) * 2 ** 26 + (b >>> 6)) / 2 ** 53);
  });
  it('explicit generators are independent of the default one', () => {
    k.manualSeed(1);
    const a = values(k.rand([5], { generator: new k.Generator(9) }));
    const d1 = values(k.rand([5]));
    k.manualSeed(1);
    const d2 = values(k.rand([5]));
    const b = values(k.rand([5], { generator: new k.Generator(9) }));
    assert.deepEqual(a, b);
    assert.deepEqual(d1, d2);
  });
  it('getRngState/setRngState resume the stream', () => {
    k.manualSeed(7);
    k.rand([3]);
    const state = k.getRngState();
    const a = values(k.randn([4]));
    k.setRngState(state);
    assert.deepEqual(values(k.randn([4])), a);
    assert.throws(() => k.setRngState([1, 2]), k.ValueError);
    assert.throws(() => k.manualSeed(-1), { name: 'ValueError', message: /seed must be/ });
  });
});

describe('distributions', () => {
  it('rand is uniform in [0, 1): mean 1/2, std 1/sqrt(12)', () => {
    k.manualSeed(0);
    const v = values(k.rand([20000], { dtype: 'float64' }));
    assert.ok(v.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(meanOf(v) - 0.5) < 0.01, `mean ${meanOf(v)}`);
    assert.ok(Math.abs(stdOf(v) - 1 / Math.sqrt(12)) < 0.01, `std ${stdOf(v)}`);
  });
  it('randn is standard normal: mean 0, std 1, ~68% within one std', () => {
    k.manualSeed(0);
    const t = k.randn([100, 200]);
    assert.deepEqual(t.shape, [100, 200]);
    assert.equal(t.dtype, 'float32');
    const v = values(t);
    assert.ok(Math.abs(meanOf(v)) < 0.02, `mean ${meanOf(v)}`);
    assert.ok(Math.abs(stdOf(v) - 1) < 0.02, `std ${stdOf(v)}`);
    const within = v.filter((x) => Math.abs(x) < 1).length / v.length;
    assert.ok(Math.abs(within - 0.6827) < 0.01, `within ${within}`);
  });
  it('randint covers [low, high) evenly, int32 by default', () => {
    k.manualSeed(3);
    const t = k.randint(-2, 3, [10000]);
    assert.equal(t.dtype, 'int32');
    const counts = new Map<number, number>();
    for (const x of values(t)) counts.set(x, (counts.get(x) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [-1, -2, 0, 1, 2].sort());
    for (const c of counts.values()) assert.ok(Math.abs(c - 2000) < 200, `count ${c}`);
    assert.throws(() => k.randint(3, 3, [2]), { name: 'ValueError', message: /low < high/ });
  });
  it('randperm is a permutation', () => {
    k.manualSeed(4);
    const p = values(k.randperm(100));
    assert.deepEqual(
      [...p].sort((a, b) => a - b),
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.notDeepEqual(
      p,
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual(k.randperm(0).shape, [0]);
    assert.throws(() => k.randperm(-1), k.ValueError);
  });
  it('random tensors honour dtype and requiresGrad', () => {
    const t = k.randn([2], { dtype: 'float64', requiresGrad: true });
    assert.equal(t.dtype, 'float64');
    assert.equal(t.requiresGrad, true);
    assert.throws(() => k.rand([-1]), k.ShapeError);
  });
});
