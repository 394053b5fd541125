import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lttb, sliceRange, smooth } from '../../src/ui/downsample.js';

describe('lttb', () => {
  it('keeps the first and last points and returns exactly the threshold', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 100));
    const out = lttb({ x, y }, 500);
    assert.equal(out.x.length, 500);
    assert.equal(out.x[0], 0);
    assert.equal(out.x.at(-1), 9_999);
    for (let i = 1; i < out.x.length; i++) assert.ok(out.x[i]! > out.x[i - 1]!);
  });

  it('keeps a single spike that every-n-th sampling would miss', () => {
    const x = Array.from({ length: 100_000 }, (_, i) => i);
    const y = x.map((i) => (i === 54_321 ? 50 : 1));
    const out = lttb({ x, y }, 1000);
    assert.ok(out.y.includes(50), 'the spike survives');
    assert.equal(out.x[out.y.indexOf(50)], 54_321);
  });

  it('keeps a NaN so a diverged run shows it', () => {
    const x = Array.from({ length: 5000 }, (_, i) => i);
    const y = x.map((i) => (i === 3000 ? Number.NaN : i));
    const out = lttb({ x, y }, 100);
    assert.ok(out.y.some((v) => Number.isNaN(v)));
  });

  it('returns short series unchanged', () => {
    const out = lttb({ x: [1, 2, 3], y: [4, 5, 6] }, 1000);
    assert.deepEqual(out, { x: [1, 2, 3], y: [4, 5, 6] });
  });
});

describe('sliceRange', () => {
  it('cuts to the range plus one neighbour on each side', () => {
    const s = { x: [0, 10, 20, 30, 40, 50], y: [0, 1, 2, 3, 4, 5] };
    assert.deepEqual(sliceRange(s, 15, 35), { x: [10, 20, 30, 40], y: [1, 2, 3, 4] });
    assert.deepEqual(sliceRange(s, 20, 30), { x: [10, 20, 30, 40], y: [1, 2, 3, 4] });
    assert.deepEqual(sliceRange(s, -5, 5), { x: [0, 10], y: [0, 1] });
    assert.deepEqual(sliceRange(s, 45, 99), { x: [40, 50], y: [4, 5] });
  });
});

describe('smooth', () => {
  it("matches TensorBoard's debiased exponential moving average", () => {
    const y = [1, 0, 1, 0];
    const w = 0.5;
    let ema = 0;
    const expected = y.map((v, i) => {
      ema = w * ema + (1 - w) * v;
      return ema / (1 - w ** (i + 1));
    });
    const got = Array.from(smooth(y, w));
    for (const [i, v] of got.entries()) assert.ok(Math.abs(v - expected[i]!) < 1e-12);
    assert.equal(got[0], 1, 'debiasing: the first value is the first point');
  });

  it('passes non-finite values through without disturbing the average', () => {
    const got = smooth([2, Number.NaN, 2], 0.9);
    assert.ok(Number.isNaN(got[1]));
    assert.ok(Math.abs(got[2]! - 2) < 1e-12);
  });
});
