// Samplers by their defining behaviour: TPE concentrates on the good region, the grid covers
// every combination once, random is uniform, and every sampler repeats itself under a seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { tune } = k;

const bowl = (t: k.tune.Trial): number => {
  const x = t.suggestFloat('x', -10, 10);
  const y = t.suggestFloat('y', -10, 10);
  return (x - 3) ** 2 + (y + 2) ** 2;
};

async function run(sampler: k.tune.Sampler, objective: k.tune.ObjectiveFn, nTrials: number) {
  const study = await tune.createStudy({ sampler });
  await study.optimize(objective, { nTrials });
  return study;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('k.tune samplers', () => {
  for (const multivariate of [false, true]) {
    it(`TPE (multivariate ${multivariate}) concentrates on the good region`, async () => {
      const tpe = await run(new tune.TPESampler({ seed: 7, multivariate }), bowl, 80);
      const rnd = await run(new tune.RandomSampler({ seed: 7 }), bowl, 80);
      const late = (s: k.tune.Study) => s.trials.slice(40).map((t) => t.value as number);
      // Random's later trials are as spread as its first; TPE's sit near (3, -2).
      assert.ok(
        median(late(tpe)) < median(late(rnd)) / 5,
        `${median(late(tpe))} vs ${median(late(rnd))}`,
      );
      const near = tpe.trials
        .slice(40)
        .filter((t) => Math.abs((t.params.x as number) - 3) < 2.5).length;
      assert.ok(near >= 24, `${near}/40 late TPE trials within 2.5 of x = 3 (uniform: 10)`);
      assert.ok(tpe.bestValue < 0.5, `best ${tpe.bestValue}`);
    });
  }

  it('TPE prefers the good category and int value', async () => {
    const study = await run(
      new tune.TPESampler({ seed: 1 }),
      (t) => {
        const c = t.suggestCategorical('opt', ['sgd', 'adam', 'rmsprop', 'adagrad']);
        const n = t.suggestInt('layers', 1, 8);
        return (c === 'adam' ? 0 : 1) + Math.abs(n - 3) / 4;
      },
      60,
    );
    const late = study.trials.slice(30);
    assert.ok(late.filter((t) => t.params.opt === 'adam').length >= 14); // uniform: 7.5
    assert.ok(late.filter((t) => t.params.layers === 3).length >= 7); // uniform: 3.75
  });

  it('is deterministic under a seed, and seeds matter', async () => {
    const mixed = (t: k.tune.Trial): number => {
      const kind = t.suggestCategorical('kind', ['a', 'b']);
      const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
      const n = kind === 'a' ? t.suggestInt('n', 1, 9) : t.suggestInt('m', 2, 20, { step: 2 });
      return Math.log(lr) ** 2 + n;
    };
    const makers: Array<[string, (seed: number) => k.tune.Sampler]> = [
      ['random', (seed) => new tune.RandomSampler({ seed })],
      ['tpe', (seed) => new tune.TPESampler({ seed, nStartupTrials: 5 })],
      [
        'tpe-univariate',
        (seed) => new tune.TPESampler({ seed, nStartupTrials: 5, multivariate: false }),
      ],
      [
        'grid',
        (seed) => new tune.GridSampler({ kind: ['a'], lr: [0.1, 0.01], n: [1, 2, 3] }, { seed }),
      ],
    ];
    for (const [name, make] of makers) {
      const params = async (seed: number) =>
        JSON.stringify((await run(make(seed), mixed, 25)).trials.map((t) => t.params));
      assert.equal(await params(11), await params(11), `${name}: same seed, same suggestions`);
      assert.notEqual(
        await params(11),
        await params(12),
        `${name}: another seed, other suggestions`,
      );
    }
  });

  it('grid covers every combination exactly once, then stops', async () => {
    const objective = (t: k.tune.Trial) =>
      t.suggestInt('a', 1, 3) +
      (t.suggestCategorical('b', ['x', 'y']) === 'x' ? 0 : 10) +
      t.suggestFloat('c', 0, 2);
    const sampler = new tune.GridSampler(
      { a: [1, 2, 3], b: ['x', 'y'], c: [0.5, 1.5] },
      { seed: 3 },
    );
    assert.equal(sampler.gridSize, 12);
    const study = await tune.createStudy({ sampler });
    await study.optimize(objective, { nTrials: 100 });
    const seen = study.trials.map((t) => JSON.stringify([t.params.a, t.params.b, t.params.c]));
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
    // Three concurrent trials: every point once before any repeats; at the end, points still
    // running may be repeated by idle workers (as Optuna), at most nJobs - 1 times.
    const parallel = await tune.createStudy({
      sampler: new tune.GridSampler({ a: [1, 2, 3], b: ['x', 'y'], c: [0.5, 1.5] }, { seed: 3 }),
    });
    await parallel.optimize(
      async (t) => {
        await new Promise((r) => setTimeout(r, 1));
        return objective(t);
      },
      { nTrials: 100, nJobs: 3 },
    );
    const keys = parallel.trials.map((t) => JSON.stringify([t.params.a, t.params.b, t.params.c]));
    assert.equal(new Set(keys.slice(0, 12)).size, 12);
    assert.ok(keys.length <= 14, `${keys.length} trials`);
  });

  it('grid rejects parameters outside the grid', async () => {
    const study = await run(
      new tune.GridSampler({ a: [1, 2] }, { seed: 0 }),
      (t) => t.suggestInt('a', 1, 2) + t.suggestFloat('z', 0, 1),
      1,
    );
    assert.match(study.trials[0].error!, /'z' is not in the grid/);
  });

  it('random sampling is uniform on linear, log and stepped ranges', async () => {
    const study = await run(
      new tune.RandomSampler({ seed: 5 }),
      (t) =>
        t.suggestFloat('x', 0, 1) +
        t.suggestFloat('l', 1e-4, 1, { log: true }) +
        t.suggestInt('i', 0, 3),
      2000,
    );
    const xs = study.trials.map((t) => t.params.x as number);
    const logs = study.trials.map((t) => Math.log10(t.params.l as number));
    const ints = study.trials.map((t) => t.params.i as number);
    assert.ok(Math.abs(xs.filter((x) => x < 0.5).length / 2000 - 0.5) < 0.04);
    assert.ok(Math.abs(logs.filter((x) => x < -2).length / 2000 - 0.5) < 0.04);
    for (let i = 0; i < 4; i++)
      assert.ok(Math.abs(ints.filter((x) => x === i).length / 2000 - 0.25) < 0.04);
  });

  it('TPE with constant liar spreads concurrent trials apart', async () => {
    // Four trials start before any finishes: with the liar, later ones avoid earlier running points.
    const spread = async (constantLiar: boolean) => {
      const study = await tune.createStudy({
        sampler: new tune.TPESampler({ seed: 2, constantLiar, nStartupTrials: 10 }),
      });
      await study.optimize((t) => (t.suggestFloat('x', 0, 1) - 0.3) ** 2, { nTrials: 30 });
      const running = await Promise.all([study.ask(), study.ask(), study.ask(), study.ask()]);
      const xs = running.map((t) => t.suggestFloat('x', 0, 1)).sort((a, b) => a - b);
      return Math.min(...xs.slice(1).map((x, i) => x - (xs[i] as number)));
    };
    assert.ok(
      (await spread(true)) > (await spread(false)),
      'closest pair further apart with constant liar',
    );
  });
});
