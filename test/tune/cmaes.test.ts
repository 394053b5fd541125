// CMA-ES: converges on continuous problems where random search does not, maps log and integer
// ranges, draws categoricals at random, restarts with a larger population (IPOP), and repeats
// itself under a seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { jacobiEigen } from '../../src/tune/samplers/cmaes-core.js';

const { tune } = k;

const sphere = (t: k.tune.Trial): number => {
  let s = 0;
  for (let i = 0; i < 4; i++) s += (t.suggestFloat(`x${i}`, -5, 5) - 1) ** 2;
  return s;
};

describe('k.tune.CmaEsSampler', () => {
  it('converges on a 4-D sphere far beyond random search', async () => {
    const cma = await tune.createStudy({ sampler: new tune.CmaEsSampler({ seed: 0 }) });
    await cma.optimize(sphere, { nTrials: 160 });
    const rnd = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await rnd.optimize(sphere, { nTrials: 160 });
    assert.ok(cma.bestValue < 0.05, `CMA-ES best ${cma.bestValue}`);
    assert.ok(cma.bestValue < rnd.bestValue / 20, `${cma.bestValue} vs random ${rnd.bestValue}`);
    // Generations are recorded on the trials.
    assert.ok(
      cma.trials.slice(1).every((t) => typeof t.systemAttrs['cma:generation'] === 'string'),
    );
  });

  it('maps log and integer ranges and leaves categoricals to random sampling', async () => {
    const study = await tune.createStudy({
      sampler: new tune.CmaEsSampler({ seed: 1 }),
      direction: 'maximize',
    });
    await study.optimize(
      (t) => {
        const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
        const n = t.suggestInt('n', 1, 64, { log: true });
        const s = t.suggestInt('s', 0, 30, { step: 5 });
        const c = t.suggestCategorical('c', ['a', 'b', 'c']);
        assert.ok(Number.isInteger(n) && n >= 1 && n <= 64 && s % 5 === 0);
        return (
          -((Math.log10(lr) + 3) ** 2) -
          (Math.log2(n) - 4) ** 2 -
          (s - 15) ** 2 / 25 +
          (c === 'a' ? 0.1 : 0)
        );
      },
      { nTrials: 120 },
    );
    assert.ok(study.bestValue > -0.3, `best ${study.bestValue}`);
    const late = study.trials.slice(60);
    const counts = ['a', 'b', 'c'].map((c) => late.filter((t) => t.params.c === c).length);
    assert.ok(Math.min(...counts) >= 8, `categorical drawn at random: ${counts}`);
  });

  it('restarts with a doubled population when the search collapses (IPOP)', async () => {
    const sampler = new tune.CmaEsSampler({ seed: 0, restartStrategy: 'ipop' });
    const study = await tune.createStudy({ sampler });
    await study.optimize((t) => t.suggestFloat('a', -1, 1) ** 2 + t.suggestFloat('b', -1, 1) ** 2, {
      nTrials: 600,
    });
    assert.ok(sampler.restartCount >= 1);
    assert.equal(sampler.populationSize, 6 * 2 ** sampler.restartCount);
  });

  it('repeats itself under a seed', async () => {
    const run = async (seed: number) => {
      const study = await tune.createStudy({ sampler: new tune.CmaEsSampler({ seed }) });
      await study.optimize(sphere, { nTrials: 30 });
      return JSON.stringify(study.trials.map((t) => t.params));
    };
    assert.equal(await run(4), await run(4));
    assert.notEqual(await run(4), await run(5));
  });

  it('decomposes symmetric matrices (Jacobi)', () => {
    const m = [
      [4, 1, 0.5],
      [1, 3, 0.2],
      [0.5, 0.2, 2],
    ];
    const { vectors, values } = jacobiEigen(m);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let mv = 0;
        for (let j = 0; j < 3; j++) mv += m[i][j]! * vectors[j][k]!;
        assert.ok(Math.abs(mv - values[k]! * vectors[i][k]!) < 1e-10);
      }
    }
    assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - 9) < 1e-10);
  });
});
