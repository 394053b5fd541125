// DistributedSampler against torch.utils.data.DistributedSampler (torch 1.13 fixture from
// test/fixtures/make_sampler_refs.py), and the MT19937 it shuffles with.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MT19937 } from '../../src/data/mt19937.js';
import * as k from '../../src/index.js';

interface Case {
  n: number;
  numReplicas: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  ranks: { length: number; epochs: number[][] }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/distributed-sampler.json', import.meta.url), 'utf8'),
) as { torch: string; cases: Case[] };

describe('DistributedSampler', () => {
  for (const c of fixture.cases) {
    const name = `n=${c.n} replicas=${c.numReplicas} shuffle=${c.shuffle} seed=${c.seed} dropLast=${c.dropLast}`;
    it(`yields PyTorch ${fixture.torch}'s indices per rank and epoch: ${name}`, () => {
      const ds = { length: c.n };
      c.ranks.forEach((expected, rank) => {
        const s = new k.data.DistributedSampler(ds, { ...c, rank });
        assert.equal(s.length, expected.length);
        expected.epochs.forEach((indices, epoch) => {
          s.setEpoch(epoch);
          assert.deepEqual([...s], indices, `rank ${rank} epoch ${epoch}`);
        });
      });
    });
  }

  it('shards every index to exactly one rank when the length divides evenly', () => {
    const shards = [0, 1, 2, 3].map((rank) => [
      ...new k.data.DistributedSampler({ length: 40 }, { numReplicas: 4, rank, seed: 3 }),
    ]);
    assert.deepEqual(
      shards.flat().sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('drives a DataLoader: one shard per rank, batches of the shard', async () => {
    const x = k.arange(10).reshape([10, 1]);
    const ds = new k.data.TensorDataset(x, x);
    const sampler = new k.data.DistributedSampler(ds, { numReplicas: 2, rank: 1, shuffle: false });
    const loader = new k.data.DataLoader(ds, { batchSize: 2, sampler });
    const seen: number[] = [];
    for await (const [xb] of loader) seen.push(...(xb!.toArray() as number[][]).map((r) => r[0]!));
    assert.deepEqual(seen, [1, 3, 5, 7, 9]);
  });

  it('rejects a rank outside the replicas and a negative epoch', () => {
    assert.throws(
      () => new k.data.DistributedSampler({ length: 4 }, { numReplicas: 2, rank: 2 }),
      /rank 2 is outside 0..1/,
    );
    const s = new k.data.DistributedSampler({ length: 4 }, { numReplicas: 2, rank: 0 });
    assert.throws(() => s.setEpoch(-1), /non-negative integer/);
  });
});

describe('MT19937', () => {
  it("matches std::mt19937's 10000th output for the default seed 5489", () => {
    // The C++ standard fixes this value ([rand.predef]).
    const g = new MT19937(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = g.nextUint32();
    assert.equal(v, 4123659995);
  });
});
