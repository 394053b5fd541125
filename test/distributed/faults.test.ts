// Failures in real process groups: a rank killed mid-training makes every other rank exit
// with a clear error well under the timeout; collectives, rendezvous and an unreachable
// master fail with one actionable message, never a hang.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { freePort, runNode } from './group.js';

const available = k.distributed.isAvailable();
if (!available && process.env.KILN_REQUIRE_NATIVE === '1') {
  throw new Error(
    'KILN_REQUIRE_NATIVE=1 but the distributed addon (build/Release/kiln_dist.node) is missing',
  );
}
const skip = available
  ? false
  : 'the distributed addon is not built (apt-get install libgloo-dev; npm rebuild)';
const WORKER = join('test', 'distributed', 'fault-worker.ts');

function rankEnv(
  rank: number,
  worldSize: number,
  port: number,
  timeoutS: number,
): Record<string, string> {
  return {
    RANK: String(rank),
    WORLD_SIZE: String(worldSize),
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port),
    KILN_DIST_TIMEOUT: String(timeoutS),
  };
}

function waitForOutput(
  pid: number,
  read: () => string,
  pattern: RegExp,
  ms: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const poll = setInterval(() => {
      if (pattern.test(read())) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - start > ms) {
        clearInterval(poll);
        reject(new Error(`pid ${pid}: no ${pattern} within ${ms} ms`));
      }
    }, 50);
  });
}

describe('distributed faults', { skip }, () => {
  it('a rank killed mid-training: the others exit 1 with a clear error, well under the timeout', async (t) => {
    const port = await freePort();
    const timeoutS = 60;
    const ranks = [0, 1, 2].map((r) =>
      runNode([WORKER, '100000'], rankEnv(r, 3, port, timeoutS), 120_000),
    );
    const victim = ranks[1]!;
    // Kill rank 1 in the middle of training, once every rank has taken a few steps.
    await Promise.all(ranks.map((r) => waitForOutput(r.pid, r.stdout, /step 5\n/, 60_000)));
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    const results = await Promise.all(ranks.map((r) => r.done));
    const took = (Date.now() - killedAt) / 1000;
    t.diagnostic(`the other ranks exited ${took.toFixed(2)}s after the kill`);
    assert.equal(results[1]!.signal, 'SIGKILL');
    for (const r of [0, 2]) {
      const res = results[r]!;
      assert.equal(res.code, 1, `rank ${r}: exit ${res.code}, stderr ${res.err}`);
      assert.match(res.out, /step \d+/, `rank ${r} trained before the kill`);
      assert.match(
        res.err,
        /^DistributedError: DistributedDataParallel gradient all-reduce failed on rank \d of 3: .*another rank has exited/m,
      );
    }
    assert.ok(took < timeoutS / 2, `the other ranks took ${took}s to exit (timeout ${timeoutS}s)`);
    for (const r of results) assert.equal(isAlive(r.pid), false, `pid ${r.pid} still exists`);
  });

  it('a rank that never comes: rendezvous fails with the missing key after the timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    const res = await runNode([WORKER, '1'], rankEnv(0, 2, port, 3), 60_000).done;
    const took = (Date.now() - started) / 1000;
    assert.equal(res.code, 1);
    assert.match(
      res.err,
      /initProcessGroup \(rank 0 of 2\): rendezvous: timed out after 3s waiting for/,
    );
    assert.equal(res.err.trim().split('\n').length, 1, res.err);
    assert.ok(took < 30, `took ${took}s`);
  });

  it('an unreachable master: one line naming the address, exit 1', async () => {
    const port = await freePort();
    const res = await runNode([WORKER, '1'], rankEnv(1, 2, port, 2), 60_000).done;
    assert.equal(res.code, 1);
    assert.match(
      res.err,
      new RegExp(
        `^DistributedError: initProcessGroup \\(rank 1 of 2\\): cannot reach the master at 127.0.0.1:${port} within 2s \\(Connection refused\\)`,
      ),
    );
    assert.equal(res.err.trim().split('\n').length, 1, res.err);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
