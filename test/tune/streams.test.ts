// Each sampler's random streams are independent: a sampler seeded `s` does not reuse one stream
// for two jobs (start-up design, candidates, fallback draws), and no stream of seed `s` is a
// stream of seed `s + 1`, which a seed sweep over consecutive seeds would otherwise correlate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { spawnSeeds } from '../../src/tune/samplers/random.js';

describe('sampler streams', () => {
  it('spawns distinct, reproducible 32-bit seeds that share nothing with neighbouring seeds', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const seeds = spawnSeeds(seed, 3);
      assert.deepEqual(seeds, spawnSeeds(seed, 3));
      for (const s of seeds) {
        assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32, `seed ${s}`);
        seen.add(s);
      }
    }
    assert.equal(seen.size, 600, 'every stream of seeds 0-199 is its own');
  });

  it('rejects a seed the generator rejects', () => {
    assert.throws(() => spawnSeeds(-1, 2), /non-negative safe integer/);
    assert.throws(() => new k.tune.TPESampler({ seed: 1.5 }), /non-negative safe integer/);
  });

  it("TPE's uniform start-up draws are not a RandomSampler's of the same seed", async () => {
    const firstTrials = async (sampler: k.tune.Sampler) => {
      const study = await k.tune.createStudy({ sampler });
      await study.optimize((t) => t.suggestFloat('x', 0, 1) + t.suggestFloat('y', 0, 1), {
        nTrials: 5,
      });
      return study.trials.map((t) => t.params);
    };
    const tpe = await firstTrials(new k.tune.TPESampler({ seed: 7, startup: 'random' }));
    const random = await firstTrials(new k.tune.RandomSampler({ seed: 7 }));
    assert.notDeepEqual(tpe, random);
    assert.deepEqual(tpe, await firstTrials(new k.tune.TPESampler({ seed: 7, startup: 'random' })));
  });
});
