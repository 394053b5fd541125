// DistributedDataParallel in real process groups: N = 2 and 4 ranks with global batch B end
// with the parameters of one process with batch B after 50 steps (MLP and CNN, with and
// without gradient accumulation), bit-identical in float64 where the reduction order is the
// same, and identical on every rank.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { runGroup } from './group.js';
import { type RunSpec, trainRun } from './train-worker.js';

const available = k.distributed.isAvailable();
if (!available && process.env.KILN_REQUIRE_NATIVE === '1') {
  throw new Error(
    'KILN_REQUIRE_NATIVE=1 but the distributed addon (build/Release/kiln_dist.node) is missing',
  );
}
const skip = available
  ? false
  : 'the distributed addon is not built (apt-get install libgloo-dev; npm rebuild)';

const B = 16;
const STEPS = 50;
const SPECS: RunSpec[] = [
  { model: 'mlp', dtype: 'float32', globalBatch: B, accumulate: 1, steps: STEPS },
  { model: 'mlp', dtype: 'float32', globalBatch: B, accumulate: 2, steps: STEPS },
  { model: 'cnn', dtype: 'float32', globalBatch: B, accumulate: 1, steps: STEPS },
  { model: 'cnn', dtype: 'float32', globalBatch: B, accumulate: 2, steps: STEPS },
  { model: 'mlp', dtype: 'float64', globalBatch: B, accumulate: 1, steps: STEPS },
  { model: 'cnn', dtype: 'float64', globalBatch: B, accumulate: 1, steps: STEPS },
];

type Params = number[][];

function maxRelDiff(a: Params, b: Params): number {
  let worst = 0;
  a.forEach((pa, i) => {
    const pb = b[i]!;
    assert.equal(pa.length, pb.length);
    let scale = 0;
    for (const v of pb) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < pa.length; j++) worst = Math.max(worst, Math.abs(pa[j]! - pb[j]!) / scale);
  });
  return worst;
}

describe('DistributedDataParallel equivalence', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ddp-'));
  const groups = new Map<number, Params[][]>();
  let singleRefs: Params[] = [];

  before(async () => {
    k.setNumThreads(1);
    singleRefs = [];
    for (const spec of SPECS) singleRefs.push(await trainRun({ ...spec, accumulate: 1 }));
    for (const n of [2, 4]) {
      const results = await runGroup(
        'train-worker.ts',
        n,
        (rank) => [JSON.stringify(SPECS), join(dir, `n${n}-r${rank}.json`)],
        {
          deadlineMs: 300_000,
        },
      );
      for (const r of results) assert.equal(r.code, 0, `rank exited ${r.code}: ${r.err}`);
      groups.set(
        n,
        results.map(
          (_, rank) =>
            JSON.parse(readFileSync(join(dir, `n${n}-r${rank}.json`), 'utf8')) as Params[],
        ),
      );
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Rank 0's final parameters of every run of the N-process group. */
  function rank0(n: number): Params[] {
    const ranks = groups.get(n);
    assert.ok(ranks?.[0], `no results for N=${n}`);
    return ranks[0];
  }

  it('every rank ends with bit-identical parameters', () => {
    for (const [n, ranks] of groups) {
      for (let r = 1; r < n; r++)
        assert.deepEqual(ranks[r], ranks[0], `N=${n}: rank ${r} differs from rank 0`);
    }
  });

  SPECS.forEach((spec, i) => {
    const name = `${spec.model} ${spec.dtype}${spec.accumulate > 1 ? `, accumulating ${spec.accumulate} batches per rank` : ''}`;
    it(`N=2 and N=4 with global batch ${B} match one process with batch ${B} after ${STEPS} steps: ${name}`, (t) => {
      const tolerance = spec.dtype === 'float64' ? 1e-12 : 2e-5;
      for (const n of [2, 4]) {
        const diff = maxRelDiff(rank0(n)[i]!, singleRefs[i]!);
        t.diagnostic(`N=${n}: max relative difference ${diff.toExponential(2)}`);
        assert.ok(diff <= tolerance, `N=${n}: max relative difference ${diff} > ${tolerance}`);
      }
    });
  });

  it('float64, N=2: bit-identical to one process accumulating the two shards in rank order', async () => {
    // Two ranks' sum g0 + g1 has one rounding order, and halving is exact, so a process that
    // accumulates loss/2 over rank 0's then rank 1's rows reproduces DDP's update bit for bit.
    // With 4 ranks Gloo's ring adds the partial sums in a different order per chunk.
    for (const [i, spec] of SPECS.entries()) {
      if (spec.dtype !== 'float64') continue;
      const replay = await trainRun({ ...spec, shardsOf: 2 });
      assert.deepEqual(rank0(2)[i], replay, `${spec.model}: N=2 differs from the replay`);
    }
  });
});
