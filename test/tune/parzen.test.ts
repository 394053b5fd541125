// TPE's Parzen estimator against Optuna 5's (fixture from test/fixtures/tune/make_parzen.py), and
// the truncated normal helpers against scipy values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Generator } from '../../src/tensor/random.js';
import type { Distribution } from '../../src/tune/distributions.js';
import { ParzenEstimator } from '../../src/tune/samplers/tpe/parzen.js';
import { defaultWeights } from '../../src/tune/samplers/tpe/sampler.js';
import { logGaussMass, logNdtr, truncnormPpf } from '../../src/tune/samplers/tpe/truncnorm.js';

interface Case {
  name: string;
  space: Record<string, string>;
  observations: Record<string, number[]>;
  points: Record<string, number[]>;
  logPdf: number[];
}

function toDistribution(json: string): Distribution {
  const { name, attributes: a } = JSON.parse(json) as {
    name: string;
    attributes: Record<string, never>;
  };
  if (name === 'FloatDistribution')
    return { type: 'float', low: a.low, high: a.high, log: a.log, step: a.step };
  if (name === 'IntDistribution')
    return { type: 'int', low: a.low, high: a.high, log: a.log, step: a.step };
  return { type: 'categorical', choices: a.choices };
}

const fixture = JSON.parse(readFileSync('test/fixtures/tune/parzen.json', 'utf8')) as {
  cases: Case[];
};
const params = {
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  weights: defaultWeights,
};

function build(c: Case): { pe: ParzenEstimator; points: number[][] } {
  const names = Object.keys(c.space);
  const space = names.map((n) => toDistribution(c.space[n] as string));
  const nObs = (c.observations[names[0] as string] as number[]).length;
  const obs = Array.from({ length: nObs }, (_, i) =>
    names.map((n) => (c.observations[n] as number[])[i] as number),
  );
  const nPts = (c.points[names[0] as string] as number[]).length;
  const points = Array.from({ length: nPts }, (_, i) =>
    names.map((n) => (c.points[n] as number[])[i] as number),
  );
  return { pe: new ParzenEstimator(obs, space, params), points };
}

describe('TPE Parzen estimator', () => {
  for (const c of fixture.cases) {
    it(`matches Optuna's log density: ${c.name}`, () => {
      const { pe, points } = build(c);
      const got = pe.logPdf(points);
      c.logPdf.forEach((want, i) => {
        assert.ok(
          Math.abs((got[i] as number) - want) < 1e-5,
          `${c.name}[${i}]: ${got[i]} vs ${want}`,
        );
      });
    });
  }

  it('samples stay in bounds, on grids, and follow the density', () => {
    const c = fixture.cases.find((x) => x.name === 'int_step')!;
    const { pe } = build(c);
    const rng = new Generator(0);
    const draws = pe.sample(rng, 4000).map((p) => p[0] as number);
    const grid = [2, 5, 8, 11, 14, 17, 20];
    for (const d of draws) assert.ok(grid.includes(d), `off-grid draw ${d}`);
    // Empirical frequencies match exp(logPdf) of each grid point.
    const probs = pe.logPdf(grid.map((g) => [g]));
    let total = 0;
    grid.forEach((g, i) => {
      const p = Math.exp(probs[i] as number);
      total += p;
      const freq = draws.filter((d) => d === g).length / draws.length;
      assert.ok(Math.abs(freq - p) < 0.03, `P(${g}) = ${p}, drawn ${freq}`);
    });
    assert.ok(Math.abs(total - 1) < 1e-9, `grid masses sum to ${total}`);
  });

  it('continuous densities integrate to one (log scales: over log x)', () => {
    for (const name of ['float', 'float_log', 'many']) {
      const c = fixture.cases.find((x) => x.name === name)!;
      const { pe } = build(c);
      const d = toDistribution(Object.values(c.space)[0] as string) as {
        low: number;
        high: number;
        log: boolean;
      };
      const lo = d.log ? Math.log(d.low) : d.low;
      const hi = d.log ? Math.log(d.high) : d.high;
      const n = 20000;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const t = lo + ((i + 0.5) / n) * (hi - lo);
        sum += Math.exp(pe.logPdf([[d.log ? Math.exp(t) : t]])[0] as number);
      }
      const integral = (sum * (hi - lo)) / n;
      assert.ok(Math.abs(integral - 1) < 2e-3, `${name}: ${integral}`);
    }
  });

  it('truncated normal helpers match scipy in the tails', () => {
    // scipy.stats.norm.logcdf and truncnorm.ppf values.
    assert.ok(Math.abs(logNdtr(-40) - -804.6084420137539) < 1e-6);
    assert.ok(Math.abs(logNdtr(1) - Math.log(0.8413447460685429)) < 1e-7);
    assert.ok(Math.abs(Math.exp(logGaussMass(-1, 1)) - 0.6826894921370859) < 1e-7);
    assert.ok(Math.abs(truncnormPpf(0.3, -60, -50) - -50.02406404967695) < 1e-6);
    assert.ok(Math.abs(truncnormPpf(0.7, 50, 60) - 50.02406404967695) < 1e-6);
    assert.ok(Math.abs(truncnormPpf(0.99, -0.5, 80) - 2.461668314910078) < 1e-6);
    assert.ok(Math.abs(truncnormPpf(0.5, 2, 3) - 2.255530820420438) < 1e-6);
  });
});
