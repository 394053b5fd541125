// Parameter importance (fANOVA on a random forest): a dominant parameter is rated so, an unused one
// near zero, categorical and log-scaled parameters included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { tune } = k;

describe('k.tune.importance', () => {
  it('rates the parameter that drives the objective far above the others', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        const y = t.suggestFloat('y', 0, 1);
        t.suggestFloat('unused', -3, 3);
        return 10 * (x - 0.3) ** 2 + 0.2 * y;
      },
      { nTrials: 150 },
    );
    const imp = tune.importance(study, { nTrees: 16 });
    assert.deepEqual(Object.keys(imp), ['x', 'y', 'unused']);
    assert.ok(Math.abs(Object.values(imp).reduce((s, v) => s + v, 0) - 1) < 1e-9);
    assert.ok(imp.x! > 0.8, JSON.stringify(imp));
    assert.ok(imp.unused! < 0.05, JSON.stringify(imp));
  });

  it('handles categorical and log parameters and a parameter subset', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 1 }) });
    await study.optimize(
      (t) => {
        const opt = t.suggestCategorical('opt', ['sgd', 'adam', 'lion']);
        const lr = t.suggestFloat('lr', 1e-5, 1, { log: true });
        const units = t.suggestInt('units', 8, 64);
        return (opt === 'adam' ? 0 : 3) + 0.1 * Math.abs(Math.log10(lr) + 3) + units * 0;
      },
      { nTrials: 120 },
    );
    const imp = tune.importance(study, { nTrees: 16, seed: 3 });
    assert.equal(Object.keys(imp)[0], 'opt');
    assert.ok(imp.opt! > 0.7 && imp.lr! > imp.units!, JSON.stringify(imp));
    const sub = tune.importance(study, { params: ['lr', 'units'], nTrees: 16 });
    assert.deepEqual(Object.keys(sub), ['lr', 'units']);
    assert.throws(
      () => tune.importance(study, { params: ['depth'] }),
      /'depth' is not a parameter/,
    );
  });
});
