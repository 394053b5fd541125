// Transforms: scalers fitted on the training split only and saved as JSON, one-hot labels,
// composition, and seeded, shape-preserving image augmentations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `at ${i}: ${a[i]} vs ${b[i]}`);
  }
};

/** A 1x3x4 image with values 0..11, row-major. */
const img = () => k.arange(12).reshape([1, 3, 4]);

describe('Standardize and MinMaxScale', () => {
  const train = k.tensor([
    [1, 10, 5],
    [3, 30, 5],
    [5, 50, 5],
  ]);
  const test = k.tensor([[7, 0, 6]]);

  it('Standardize uses the training statistics only (population std; constant -> 1)', () => {
    const s = new k.data.Standardize().fit(train);
    const sd = Math.sqrt(8 / 3);
    close(s.mean, [3, 30, 5]);
    close(s.std, [sd, 10 * sd, 1]);
    close(s.apply(test).dataSync(), [4 / sd, -30 / (10 * sd), 1]);
    const z = s.apply(train);
    close(z.mean(0).dataSync(), [0, 0, 0]);
    // Fitting on train + test would have moved the mean: the test row must not influence it.
    assert.notDeepEqual(new k.data.Standardize().fit(k.cat([train, test])).mean, s.mean);
  });

  it('per-channel statistics of [N,C,H,W] images apply to one image or a batch', () => {
    const x = k.stack([
      k.zeros([2, 2, 2]),
      k.ones([2, 2, 2]).mul(k.tensor([1, 3]).reshape([2, 1, 1])),
    ]);
    const s = new k.data.Standardize({ dims: [0, 2, 3] }).fit(x);
    close(s.mean, [0.5, 1.5]);
    close(s.std, [0.5, 1.5]);
    assert.deepEqual(s.apply(x).shape, [2, 2, 2, 2]);
    close(s.apply(x.select(0, 1)).dataSync(), new Array(8).fill(1));
  });

  it('JSON round trip restores the same transform', () => {
    const s = new k.data.Standardize().fit(train);
    const json = JSON.parse(JSON.stringify(s.toJSON()));
    assert.deepEqual(Object.keys(json).sort(), ['dims', 'mean', 'shape', 'std', 'type']);
    const r = k.data.Standardize.fromJSON(json);
    close(r.apply(test).dataSync(), s.apply(test).dataSync());
    const m = new k.data.MinMaxScale({ range: [-1, 1] }).fit(train);
    const rm = k.data.MinMaxScale.fromJSON(JSON.parse(JSON.stringify(m)));
    assert.deepEqual(m.toJSON().min, [1, 10, 5]);
    assert.deepEqual(m.toJSON().max, [5, 50, 5]);
    assert.deepEqual(rm.range, [-1, 1]);
    close(rm.apply(test).dataSync(), m.apply(test).dataSync());
    assert.throws(() => k.data.Standardize.fromJSON(m.toJSON()), k.ConfigError);
  });

  it('MinMaxScale maps the training range onto [lo, hi]', () => {
    const m = new k.data.MinMaxScale().fit(train);
    close(m.apply(train).dataSync(), [0, 0, 0, 0.5, 0.5, 0, 1, 1, 0]);
    close(m.apply(test).dataSync(), [1.5, -0.25, 1]);
    const sym = new k.data.MinMaxScale({ range: [-1, 1] }).fit(train);
    close(sym.apply(train).select(0, 2).dataSync(), [1, 1, -1]);
  });

  it('refuses to apply before fit and on mismatched shapes', () => {
    assert.throws(() => new k.data.Standardize().apply(train), /not fitted/);
    const s = new k.data.Standardize().fit(train);
    assert.throws(() => s.apply(k.zeros([2, 4])), k.DataError);
  });
});

describe('OneHot, Compose, Lambda', () => {
  it('OneHot gives float32 rows and rejects out-of-range labels', () => {
    const oh = new k.data.OneHot(3);
    const y = oh.apply(k.tensor([2, 0], { dtype: 'int32' }));
    assert.equal(y.dtype, 'float32');
    assert.deepEqual(y.toArray(), [
      [0, 0, 1],
      [1, 0, 0],
    ]);
    assert.throws(
      () => oh.apply(k.tensor([1, 3], { dtype: 'int32' })),
      (e: unknown) => e instanceof k.DataError && /label 3 at position 1/.test(e.message),
    );
  });

  it('Compose applies in order and passes eval() to its members', () => {
    const flip = new k.data.RandomHorizontalFlip(1);
    const c = new k.data.Compose([
      flip,
      (x: Tensor) => x.mul(2),
      new k.data.Lambda((x) => x.add(1)),
    ]);
    const row = k.tensor([[[1, 2, 3]]]);
    assert.deepEqual(c.apply(row).toArray(), [[[7, 5, 3]]]);
    c.eval();
    assert.equal(flip.training, false);
    assert.deepEqual(c.apply(row).toArray(), [[[3, 5, 7]]]);
  });
});

describe('augmentations', () => {
  it('RandomHorizontalFlip mirrors a known image; p=0 and eval are the identity', () => {
    const flipped = new k.data.RandomHorizontalFlip(1).apply(img());
    assert.deepEqual(flipped.toArray(), [
      [
        [3, 2, 1, 0],
        [7, 6, 5, 4],
        [11, 10, 9, 8],
      ],
    ]);
    assert.deepEqual(new k.data.RandomHorizontalFlip(0).apply(img()).toArray(), img().toArray());
    const batch = k.stack([img(), img(), img(), img(), img(), img()]);
    const half = new k.data.RandomHorizontalFlip(0.5, { generator: new k.Generator(4) }).apply(
      batch,
    );
    const firsts = [0, 1, 2, 3, 4, 5].map((i) =>
      half.select(0, i).select(0, 0).select(0, 0).select(0, 0).item(),
    );
    assert.ok(firsts.includes(0) && firsts.includes(3), `per-image draws: ${firsts}`);
  });

  it('RandomCrop with padding shifts content; same seed, same result; eval = centre crop', () => {
    const crop = (seed: number) =>
      new k.data.RandomCrop({ size: [3, 4], padding: 1, generator: new k.Generator(seed) });
    const batch = k.stack(Array.from({ length: 8 }, img));
    const a = crop(5).apply(batch);
    assert.deepEqual(a.shape, [8, 1, 3, 4]);
    assert.deepEqual(a.toArray(), crop(5).apply(batch).toArray());
    // Crops at different offsets cut off different pixels, so their sums differ.
    const shifts = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((i) => a.select(0, i).sum().item()));
    assert.ok(shifts.size > 1, 'different images get different crops');
    const ev = crop(5).eval();
    assert.deepEqual(ev.apply(img()).toArray(), img().toArray());
    const small = new k.data.RandomCrop({ size: 2, generator: new k.Generator(0) }).apply(img());
    assert.deepEqual(small.shape, [1, 2, 2]);
    assert.throws(() => new k.data.RandomCrop({ size: 5 }).apply(img()), k.ShapeError);
  });

  it('RandomShift moves by whole pixels within maxShift and fills', () => {
    const x = k.zeros([1, 5, 5]);
    x.storage[12] = 1; // centre pixel
    const s = new k.data.RandomShift(1, { generator: new k.Generator(9), fill: 0 });
    for (let i = 0; i < 10; i++) {
      const y = s.apply(x).dataSync();
      const at = y.indexOf(1);
      assert.equal(
        Array.from(y).reduce((p, q) => p + q, 0),
        1,
      );
      assert.ok(Math.abs(Math.floor(at / 5) - 2) <= 1 && Math.abs((at % 5) - 2) <= 1);
    }
    assert.equal(s.eval().apply(x), x);
  });

  it('RandomRotation: 90 degrees turns counter-clockwise; small angles keep the shape', () => {
    const x = k.tensor([
      [1, 2],
      [3, 4],
    ]);
    const r90 = new k.data.RandomRotation([90, 90], { interpolation: 'nearest' });
    assert.deepEqual(r90.apply(x).toArray(), [
      [2, 4],
      [1, 3],
    ]);
    const bil = new k.data.RandomRotation([90, 90]).apply(x.reshape([1, 1, 2, 2]));
    close(bil.dataSync(), [2, 4, 1, 3]);
    const rot = (seed: number) =>
      new k.data.RandomRotation(10, { generator: new k.Generator(seed) });
    const batch = k.rand([3, 2, 8, 8], { generator: new k.Generator(0) });
    const a = rot(1).apply(batch);
    assert.deepEqual(a.shape, [3, 2, 8, 8]);
    assert.deepEqual(a.toArray(), rot(1).apply(batch).toArray());
    assert.notDeepEqual(a.toArray(), rot(2).apply(batch).toArray());
    assert.equal(
      new k.data.RandomRotation(0).apply(batch).toArray().toString(),
      batch.toArray().toString(),
    );
  });

  it('GaussianNoise is seeded, has the requested spread, clips, and is off in eval', () => {
    const x = k.zeros([4000]);
    const n = (seed: number) => new k.data.GaussianNoise(0.1, { generator: new k.Generator(seed) });
    const y = n(3).apply(x);
    assert.deepEqual(y.dataSync(), n(3).apply(x).dataSync());
    assert.ok(Math.abs(y.std().item() - 0.1) < 0.01);
    assert.ok(Math.abs(y.mean().item()) < 0.01);
    const clipped = new k.data.GaussianNoise(1, { clip: [0, 1] }).apply(x);
    assert.ok(clipped.dataSync().every((v) => v >= 0 && v <= 1));
    assert.equal(n(3).eval().apply(x), x);
    assert.deepEqual(x.dataSync(), new Float32Array(4000));
  });
});
