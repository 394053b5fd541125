// kiln's TPE defaults beyond Optuna's (docs/benchmarks.md, tuning section): the good estimator
// narrows with the study in one or two dimensions (magicClipCount 'study'), but keeps Optuna's
// width while other trials run; the Optuna-identical options stay available and are validated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { tune } = k;

const OPTUNA = { startup: 'random', nEiCandidates: 24, magicClipCount: 'kernels' } as const;
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
    for (let seed = 0; seed < 6; seed++) {
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

  it('validates the new options', () => {
    assert.throws(
      () => new tune.TPESampler({ magicClipCount: 'trials' as never }),
      /magicClipCount must be 'study' or 'kernels', got 'trials'/,
    );
    assert.throws(
      () => new tune.TPESampler({ nEiCandidates: 0 }),
      /nEiCandidates must be a positive integer, got 0/,
    );
  });
});
