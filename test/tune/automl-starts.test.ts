// AutoML's enqueued start candidates: every value lies in the search space the TPE then
// explores, the study runs them as given, and the regularized start is among them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { defaultTrials, suggestCandidate, type TableProfile } from '../../src/tune/automl/space.js';
import { contains } from '../../src/tune/distributions.js';

const churnLike: TableProfile = {
  task: 'classification',
  numClasses: 2,
  rows: 4000,
  categorical: ['state', 'area_code', 'international_plan'],
  highCardinality: ['state'],
  hasMissing: false,
  numeric: 15,
};
const irisLike: TableProfile = {
  task: 'classification',
  numClasses: 3,
  rows: 120,
  categorical: [],
  highCardinality: [],
  hasMissing: false,
  numeric: 4,
};
const regressionWithGaps: TableProfile = {
  task: 'regression',
  numClasses: 0,
  rows: 824,
  categorical: ['kind'],
  highCardinality: [],
  hasMissing: true,
  numeric: 8,
};

describe('AutoML start candidates', () => {
  for (const [name, profile] of [
    ['churn-like', churnLike],
    ['iris-like', irisLike],
    ['regression with missing cells', regressionWithGaps],
  ] as const) {
    it(`${name}: run as enqueued, every value inside the searched space`, async () => {
      const starts = defaultTrials(profile);
      const study = await k.tune.createStudy({
        direction: 'maximize',
        sampler: new k.tune.TPESampler({ seed: 0 }),
      });
      for (const params of starts) await study.enqueueTrial(params);
      await study.optimize(
        (trial) => {
          suggestCandidate(trial, profile);
          return 0;
        },
        { nTrials: starts.length },
      );
      assert.equal(study.trials.length, starts.length);
      for (const [i, t] of study.trials.entries()) {
        for (const [param, value] of Object.entries(t.params)) {
          assert.ok(contains(t.distributions[param]!, value), `start ${i}: ${param} = ${value}`);
          if (param in starts[i]!) assert.equal(value, starts[i]![param], `start ${i}: ${param}`);
        }
      }
    });
  }

  it('includes a heavily regularized start that leaves high-cardinality columns out', () => {
    const regularized = defaultTrials(churnLike).find((p) => p.norm === 'LayerNorm');
    assert.ok(regularized, 'a LayerNorm start');
    assert.equal(regularized.dropout, 0.3);
    assert.equal(regularized.weightDecay, 0.05);
    assert.equal(regularized.schedule, 'constant');
    assert.equal(regularized.batchSize, 256);
    assert.equal(regularized.highCardinality, 'drop');
    assert.ok(!('highCardinality' in defaultTrials(irisLike)[2]!));
  });
});
