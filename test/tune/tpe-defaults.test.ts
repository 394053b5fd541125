// kiln's TPE defaults beyond Optuna's (docs/benchmarks.md, tuning section): the good estimator
// narrows with the study in one or two dimensions (magicClipCount 'study'), but keeps Optuna's
// width while other trials run; the Optuna-identical options stay available and are validated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { tune } = k;

const OPTUNA = {
  startup: 'random',
  nEiCandidates: 24,
  magicClipCount: 'kernels',
  goodWeights: 'weights',
  group: false,
} as const;
const branin = (t: k.tune.Trial): number => {
  const x = t.suggestFloat('x', -5, 10);
  const y = t.suggestFloat('y', 0, 15);
  const b = 5.1 / (4 * Math.PI ** 2);
  return (y - b * x * x + (5 / Math.PI) * x - 6) ** 2 + 9.602 * Math.cos(x) + 10;
};

async function bestOf(options: k.tune.TPESamplerOptions, seed: number): Promise<number> {
  const study = await tune.createStudy({ sampler: new tune.TPESampler({ ...options, seed }) });
  await study.optimize(branin, { nTrials: 40 });
  return study.bestValue;
}

describe('TPESampler kiln defaults', () => {
  it('refines a 2-D optimum more closely than the Optuna options (sum over seeds)', async () => {
    let kiln = 0;
    let optuna = 0;
    // Twenty seeds: over six the sums still swung with the random stream (one stream in ten
    // failed the 0.7 margin); over sixty kiln's defaults win 48 and sum 8.0 against 22.1.
    for (let seed = 0; seed < 20; seed++) {
      // Branin's minimum is 0.3979; count the excess over it.
      kiln += (await bestOf({}, seed)) - 0.3979;
      optuna += (await bestOf(OPTUNA, seed)) - 0.3979;
    }
    assert.ok(
      kiln < 0.7 * optuna,
      `excess over the minimum: kiln ${kiln}, Optuna options ${optuna}`,
    );
  });

  it("keeps concurrent suggestions apart: 'study' falls back to Optuna's width while trials run", async () => {
    const gaps = async (options: k.tune.TPESamplerOptions) => {
      let total = 0;
      for (let seed = 0; seed < 4; seed++) {
        const study = await tune.createStudy({
          sampler: new tune.TPESampler({ ...options, seed, nStartupTrials: 10 }),
        });
        await study.optimize((t) => (t.suggestFloat('x', 0, 1) - 0.3) ** 2, { nTrials: 30 });
        const running = await Promise.all([study.ask(), study.ask(), study.ask()]);
        const xs = running.map((t) => t.suggestFloat('x', 0, 1)).sort((a, b) => a - b);
        total += Math.min(...xs.slice(1).map((x, i) => x - (xs[i] as number)));
      }
      return total / 4;
    };
    const liar = await gaps({});
    const noLiar = await gaps({ constantLiar: false });
    assert.ok(liar > 0.02, `mean closest gap with the liar ${liar}`);
    assert.ok(liar > 5 * noLiar, `with the liar ${liar}, without ${noLiar}`);
  });

  it("weights good trials by their improvement ('improvement'), evenly under 'weights'", async () => {
    // Two good trials among 12, symmetric about the bad ones (0.455, 0.465, ..., 0.545): x = 0.2
    // improves on the rest (value 0) by 10, x = 0.8 by 0.1. Count suggestions on 0.2's side.
    const towardBest = async (goodWeights: 'improvement' | 'weights') => {
      const study = await tune.createStudy({
        sampler: new tune.TPESampler({ seed: 3, goodWeights, constantLiar: false }),
      });
      const xs = [0.2, 0.8, ...Array.from({ length: 10 }, (_, i) => 0.455 + i * 0.01)];
      for (const x of xs) await study.enqueueTrial({ x });
      await study.optimize(
        (t) => {
          const x = t.suggestFloat('x', 0, 1);
          return x === 0.2 ? -10 : x === 0.8 ? -0.1 : 0;
        },
        { nTrials: xs.length },
      );
      let count = 0;
      for (let i = 0; i < 60; i++) if ((await study.ask()).suggestFloat('x', 0, 1) < 0.5) count++;
      return count;
    };
    const improvement = await towardBest('improvement');
    const flat = await towardBest('weights');
    assert.ok(improvement >= 54, `improvement: ${improvement} of 60 on the best trial's side`);
    assert.ok(flat >= 15 && flat <= 45, `weights: ${flat} of 60 on the best trial's side`);
  });

  it('validates the new options', () => {
    assert.throws(
      () => new tune.TPESampler({ magicClipCount: 'trials' as never }),
      /magicClipCount must be 'study' or 'kernels', got 'trials'/,
    );
    assert.throws(
      () => new tune.TPESampler({ goodWeights: 'ei' as never }),
      /goodWeights must be 'improvement' or 'weights', got 'ei'/,
    );
    assert.throws(
      () => new tune.TPESampler({ nEiCandidates: 0 }),
      /nEiCandidates must be a positive integer, got 0/,
    );
  });
});
