import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

const { init } = k.nn;

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...v), max: Math.max(...v) };
}

/** |got / expected - 1| < rel: the spread of n = 20000 draws is well inside 3%. */
function near(got: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(got / expected - 1) < rel, `${what}: ${got} vs expected ${expected}`);
}

describe('nn.init statistics', () => {
  const shape = [200, 100]; // fan_in 100, fan_out 200

  it('uniform and normal', () => {
    const u = stats(init.uniform(k.zeros(shape), { a: -3, b: 1, generator: new k.Generator(1) }));
    assert.ok(u.min >= -3 && u.max < 1 && u.min < -2.99 && u.max > 0.99);
    near(u.mean, -1, 0.03, 'uniform mean');
    near(u.std, 4 / Math.sqrt(12), 0.02, 'uniform std');
    const n = stats(init.normal(k.zeros(shape), { mean: 2, std: 0.5 }));
    near(n.mean, 2, 0.01, 'normal mean');
    near(n.std, 0.5, 0.02, 'normal std');
  });

  it('xavier uniform and normal use gain * sqrt(2 / (fan_in + fan_out))', () => {
    const std = 2 * Math.sqrt(2 / 300);
    const u = stats(init.xavierUniform(k.zeros(shape), { gain: 2 }));
    assert.ok(u.max <= Math.sqrt(3) * std && u.min >= -Math.sqrt(3) * std);
    near(u.std, std, 0.02, 'xavierUniform std');
    near(stats(init.xavierNormal(k.zeros(shape), { gain: 2 })).std, std, 0.02, 'xavierNormal std');
  });

  it('kaiming uniform and normal follow mode, nonlinearity and a', () => {
    near(
      stats(init.kaimingNormal(k.zeros(shape), { nonlinearity: 'relu' })).std,
      Math.sqrt(2 / 100),
      0.02,
      'fan_in relu',
    );
    near(
      stats(init.kaimingNormal(k.zeros(shape), { mode: 'fan_out', nonlinearity: 'relu' })).std,
      Math.sqrt(2 / 200),
      0.02,
      'fan_out relu',
    );
    const bound = 1 / Math.sqrt(100); // a = sqrt(5): Linear's default
    const u = stats(init.kaimingUniform(k.zeros(shape), { a: Math.sqrt(5) }));
    assert.ok(u.max <= bound && u.min >= -bound && u.max > 0.99 * bound);
    near(u.std, bound / Math.sqrt(3), 0.02, 'kaimingUniform std');
    // 4-D weights: receptive field multiplies the fans.
    const conv = stats(init.kaimingNormal(k.zeros([64, 8, 3, 3]), { nonlinearity: 'relu' }));
    near(conv.std, Math.sqrt(2 / 72), 0.03, 'conv fan_in');
  });

  it('constant, zeros, ones work in place on parameters and return them', () => {
    const p = new k.nn.Parameter(k.zeros([2, 2]));
    assert.equal(init.constant(p, 0.5), p);
    assert.deepEqual(p.toArray(), [
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    assert.ok(p.requiresGrad);
    assert.deepEqual(init.ones(p).toArray(), [
      [1, 1],
      [1, 1],
    ]);
    assert.deepEqual(init.zeros(p).toArray(), [
      [0, 0],
      [0, 0],
    ]);
  });

  it('orthogonal gives orthonormal rows or columns, scaled by gain', () => {
    for (const [rows, cols] of [
      [6, 4],
      [4, 6],
      [5, 5],
    ] as const) {
      const w = init.orthogonal(k.zeros([rows, cols], { dtype: 'float64' }), { gain: 2 });
      const gram = rows >= cols ? w.T.matmul(w) : w.matmul(w.T);
      const n = Math.min(rows, cols);
      const g = gram.toArray() as number[][];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          assert.ok(
            Math.abs(g[i][j]! - (i === j ? 4 : 0)) < 1e-12,
            `[${rows},${cols}] gram ${i},${j}`,
          );
    }
    const conv = init.orthogonal(k.zeros([4, 2, 3]));
    const flat = conv.reshape([4, 6]);
    const gram = flat.matmul(flat.T).toArray() as number[][];
    for (const [i, row] of gram.entries())
      for (const [j, v] of row.entries()) assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-5);
  });

  it('draws from the default generator and from a given one reproducibly', () => {
    k.manualSeed(7);
    const a = init.normal(k.zeros([5])).toArray();
    k.manualSeed(7);
    assert.deepEqual(init.normal(k.zeros([5])).toArray(), a);
    const b = init.xavierUniform(k.zeros([3, 3]), { generator: new k.Generator(2) }).toArray();
    assert.deepEqual(
      init.xavierUniform(k.zeros([3, 3]), { generator: new k.Generator(2) }).toArray(),
      b,
    );
  });

  it('errors: fans of 1-D tensors, unknown nonlinearity, bad bounds', () => {
    assert.throws(() => init.xavierUniform(k.zeros([3])), k.ShapeError);
    assert.throws(
      () => init.calculateGain('swish' as k.nn.init.Nonlinearity),
      /unsupported nonlinearity 'swish'/,
    );
    assert.throws(() => init.uniform(k.zeros([2]), { a: 1, b: 0 }), k.ValueError);
    assert.throws(
      () => init.kaimingNormal(k.zeros([2, 2]), { mode: 'fan_avg' as 'fan_in' }),
      k.ValueError,
    );
  });
});
