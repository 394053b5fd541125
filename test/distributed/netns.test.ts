// Several machines, simulated: two network namespaces joined by a veth pair on private
// addresses this test creates (and removes), one rank in each. The ranks rendezvous and run
// Gloo over that link only (each namespace has its own loopback), and DDP still matches one
// process. Needs root and iproute2 (CI runs as root).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { runNode } from './group.js';
import { type RunSpec, trainRun } from './train-worker.js';

function canUseNetns(): string | false {
  if (!k.distributed.isAvailable()) return 'the distributed addon is not built';
  if (process.getuid?.() !== 0) return 'needs root for ip netns';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (ip)';
  }
  return false;
}

const skip = canUseNetns();
const tag = `${process.pid % 100000}`;
const NS = [`kiln-a-${tag}`, `kiln-b-${tag}`];
const VETH = [`kln${tag}a`, `kln${tag}b`];
// A /30 inside 10.0.0.0/8, derived from the pid so parallel runs do not collide.
const NET = `10.${200 + (process.pid % 50)}.${Math.floor(process.pid / 50) % 250}`;
const ADDR = [`${NET}.1`, `${NET}.2`];

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

describe('DistributedDataParallel across network namespaces', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-netns-'));
  before(() => {
    for (const ns of NS) ip('netns', 'add', ns);
    ip('link', 'add', VETH[0]!, 'type', 'veth', 'peer', 'name', VETH[1]!);
    NS.forEach((ns, i) => {
      ip('link', 'set', VETH[i]!, 'netns', ns);
      ip('-n', ns, 'addr', 'add', `${ADDR[i]}/30`, 'dev', VETH[i]!);
      ip('-n', ns, 'link', 'set', VETH[i]!, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    });
  });
  after(() => {
    // Deleting a namespace deletes its end of the veth pair, and with it the other end.
    for (const ns of NS) {
      try {
        ip('netns', 'del', ns);
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('one rank per namespace over the veth link: same parameters as one process', async () => {
    const spec: RunSpec = {
      model: 'mlp',
      dtype: 'float32',
      globalBatch: 16,
      accumulate: 1,
      steps: 50,
    };
    const port = 29500;
    const ranks = NS.map((ns, rank) =>
      runNode(
        [
          join('test', 'distributed', 'train-worker.ts'),
          JSON.stringify([spec]),
          join(dir, `r${rank}.json`),
        ],
        {
          RANK: String(rank),
          WORLD_SIZE: '2',
          MASTER_ADDR: ADDR[0]!,
          MASTER_PORT: String(port),
          KILN_DIST_TIMEOUT: '60',
        },
        180_000,
        ['ip', 'netns', 'exec', ns],
      ),
    );
    const results = await Promise.all(ranks.map((r) => r.done));
    for (const r of results) assert.equal(r.code, 0, r.err);
    const [p0, p1] = [0, 1].map(
      (r) => (JSON.parse(readFileSync(join(dir, `r${r}.json`), 'utf8')) as number[][][])[0]!,
    );
    assert.deepEqual(p1, p0);
    k.setNumThreads(1);
    const single = await trainRun(spec);
    let worst = 0;
    p0!.forEach((p, i) => {
      p.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - single[i][j]!));
      });
    });
    assert.ok(worst < 2e-5, `max difference ${worst}`);
  });

  it('the namespaces really are separate machines: rank 1 cannot reach rank 0 on loopback', async () => {
    const res = await runNode(
      [join('test', 'distributed', 'fault-worker.ts'), '1'],
      {
        RANK: '1',
        WORLD_SIZE: '2',
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: '29500',
        KILN_DIST_TIMEOUT: '1',
      },
      60_000,
      ['ip', 'netns', 'exec', NS[1]!],
    ).done;
    assert.equal(res.code, 1);
    assert.match(res.err, /cannot reach the master at 127\.0\.0\.1:29500/);
  });
});
