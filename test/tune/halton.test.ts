// The scrambled Halton sequence behind TPE's default start-up trials: points in range, more even
// than independent uniform draws (measured by discrepancy), seeded, and usable from TPESampler on
// float, log, int, stepped, categorical and conditional parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { fromUnit, ScrambledHalton } from '../../src/tune/samplers/halton.js';

const { tune } = k;

/**
 * The star discrepancy estimated on a grid of anchored boxes [0, a) x [0, b): the largest gap
 * between the share of points in a box and its area. 0 is perfectly even.
 */
function starDiscrepancy2d(points: Array<[number, number]>): number {
  let worst = 0;
  for (let i = 1; i <= 32; i++) {
    for (let j = 1; j <= 32; j++) {
      const a = i / 32;
      const b = j / 32;
      const inside = points.filter(([x, y]) => x < a && y < b).length / points.length;
      worst = Math.max(worst, Math.abs(inside - a * b));
    }
  }
  return worst;
}

describe('ScrambledHalton', () => {
  it('gives points in [0, 1) in every dimension, lazily up to many dimensions', () => {
    const h = new ScrambledHalton(3);
    for (let i = 0; i < 200; i++) {
      for (const d of [0, 1, 2, 5, 17, 60]) {
        const u = h.point(i, d);
        assert.ok(u >= 0 && u < 1, `point ${i} dim ${d}: ${u}`);
      }
    }
  });

  it('stratifies each dimension: n = base^m points hit every cell of width base^-m once', () => {
    const h = new ScrambledHalton(11);
    for (const [dim, base, m] of [
      [0, 2, 5],
      [1, 3, 3],
      [2, 5, 2],
    ] as const) {
      const n = base ** m;
      const cells = new Set(Array.from({ length: n }, (_, i) => Math.floor(h.point(i, dim) * n)));
      assert.equal(cells.size, n, `dimension ${dim} (base ${base}): ${cells.size}/${n} cells`);
    }
  });

  it('is more even than independent uniform draws (lower star discrepancy, over seeds)', () => {
    let halton = 0;
    let uniform = 0;
    for (let seed = 0; seed < 5; seed++) {
      const h = new ScrambledHalton(seed);
      const g = new k.Generator(seed);
      const hp = Array.from(
        { length: 64 },
        (_, i) => [h.point(i, 2), h.point(i, 3)] as [number, number],
      );
      const up = Array.from({ length: 64 }, () => [g.uniform(), g.uniform()] as [number, number]);
      halton += starDiscrepancy2d(hp);
      uniform += starDiscrepancy2d(up);
    }
    // 64 uniform points: about 0.1 on average; a low-discrepancy set of 64: a few hundredths.
    assert.ok(halton < 0.6 * uniform, `halton ${halton / 5} vs uniform ${uniform / 5}`);
  });

  it('repeats itself under a seed and differs between seeds', () => {
    const a = new ScrambledHalton(5);
    const b = new ScrambledHalton(5);
    const c = new ScrambledHalton(6);
    const take = (h: ScrambledHalton) => Array.from({ length: 20 }, (_, i) => h.point(i, i % 4));
    const first = take(a);
    assert.deepEqual(take(b), first);
    assert.notDeepEqual(take(c), first);
  });

  it('rejects a negative or fractional index or dimension', () => {
    const h = new ScrambledHalton(0);
    assert.throws(() => h.point(-1, 0), /non-negative integers, got -1, 0/);
    assert.throws(() => h.point(0, 1.5), /non-negative integers/);
  });
});

describe('fromUnit', () => {
  it('maps [0, 1) onto each distribution kind, ends included', () => {
    const float = { type: 'float', low: -2, high: 6, log: false, step: null } as const;
    assert.equal(fromUnit(float, 0), -2);
    assert.equal(fromUnit(float, 0.5), 2);
    const logF = { type: 'float', low: 1e-4, high: 1, log: true, step: null } as const;
    assert.ok(Math.abs((fromUnit(logF, 0.5) as number) - 1e-2) < 1e-12);
    const stepped = { type: 'float', low: 0, high: 1, log: false, step: 0.25 } as const;
    // Five grid points, five equal cells.
    assert.deepEqual(
      [0, 0.19, 0.21, 0.5, 0.79, 0.81, 0.999].map((u) => fromUnit(stepped, u)),
      [0, 0, 0.25, 0.5, 0.75, 1, 1],
    );
    const int = { type: 'int', low: 1, high: 4, log: false, step: 1 } as const;
    assert.deepEqual(
      [0, 0.24, 0.26, 0.74, 0.76, 0.9999].map((u) => fromUnit(int, u)),
      [1, 1, 2, 3, 4, 4],
    );
    const logInt = { type: 'int', low: 1, high: 64, log: true, step: 1 } as const;
    assert.equal(fromUnit(logInt, 0), 1);
    assert.equal(fromUnit(logInt, 0.9999999), 64);
    const cat = { type: 'categorical', choices: ['a', 'b', 'c'] } as const;
    assert.deepEqual(
      [0, 0.33, 0.34, 0.99].map((u) => fromUnit(cat, u)),
      ['a', 'a', 'b', 'c'],
    );
  });
});

describe("TPESampler start-up trials ('halton' default, 'random' as Optuna)", () => {
  const space = (t: k.tune.Trial): number => {
    const kind = t.suggestCategorical('kind', ['a', 'b', 'c']);
    const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
    const n = kind === 'a' ? t.suggestInt('n', 1, 9) : t.suggestInt('m', 2, 20, { step: 2 });
    return Math.log10(lr) ** 2 + n;
  };

  it('spreads the start-up trials over categories and over each third of lr', async () => {
    const study = await tune.createStudy({
      sampler: new tune.TPESampler({ seed: 4, nStartupTrials: 9 }),
    });
    await study.optimize(space, { nTrials: 9 });
    const kinds = study.trials.map((t) => t.params.kind);
    // kind is dimension 0 (base 2): 9 points put 2 to 4 in each third; lr is dimension 1
    // (base 3): exactly 3 in each third of its log range.
    for (const c of ['a', 'b', 'c']) {
      const count = kinds.filter((x) => x === c).length;
      assert.ok(count >= 2 && count <= 4, `${c}: ${count}/9`);
    }
    const thirds = study.trials.map((t) =>
      Math.floor(((Math.log10(t.params.lr as number) + 4) / 4) * 3),
    );
    for (const third of [0, 1, 2]) assert.equal(thirds.filter((x) => x === third).length, 3);
    for (const t of study.trials) {
      if (t.params.kind === 'a') assert.ok(Number.isInteger(t.params.n) && !('m' in t.params));
      else assert.ok((t.params.m as number) % 2 === 0 && !('n' in t.params));
    }
  });

  it('is deterministic under a seed in both modes, and the modes differ', async () => {
    const params = async (startup: 'halton' | 'random', seed: number) => {
      const study = await tune.createStudy({
        sampler: new tune.TPESampler({ seed, startup, nStartupTrials: 6 }),
      });
      await study.optimize(space, { nTrials: 14 });
      return study.trials.map((t) => t.params);
    };
    const halton = await params('halton', 1);
    assert.deepEqual(await params('halton', 1), halton);
    assert.notDeepEqual(await params('halton', 2), halton);
    const random = await params('random', 1);
    assert.deepEqual(await params('random', 1), random);
    assert.notDeepEqual(random.slice(0, 6), halton.slice(0, 6));
  });

  it('rejects an unknown start-up mode', () => {
    assert.throws(
      () => new tune.TPESampler({ startup: 'sobol' as never }),
      /startup must be 'halton' or 'random', got 'sobol'/,
    );
  });
});
