import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { load, loadCheckpoint, save, writeFileAtomic } from '../../src/io/index.js';
import { tensor } from '../../src/ops/creation.js';
import { CheckpointError } from '../../src/tensor/errors.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { makeTempDir, mulberry32 } from './helpers.js';
import { StubModel, StubOptimizer } from './stubs.js';

describe('writeFileAtomic', () => {
  test('writes text, bytes and chunk lists, replaces old content, leaves no temp files', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const path = join(dir, 'f.bin');
      await writeFileAtomic(path, 'héllo');
      assert.equal(readFileSync(path, 'utf8'), 'héllo');
      await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
      assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
      await writeFileAtomic(path, [new Uint8Array([9]), new Uint8Array(0), new Uint8Array([8, 7])]);
      assert.deepEqual([...readFileSync(path)], [9, 8, 7]);
      assert.deepEqual(readdirSync(dir), ['f.bin']);
      // Temp files of dead writers are swept; a live writer's (ours) is left alone.
      const dead = '.f.bin.tmp-999999999-abc';
      const live = `.f.bin.tmp-${process.pid}-def`;
      writeFileSync(join(dir, dead), 'junk');
      writeFileSync(join(dir, live), 'busy');
      await writeFileAtomic(path, 'again');
      assert.deepEqual(readdirSync(dir).sort(), [live, 'f.bin']);
    } finally {
      cleanup();
    }
  });

  test('a failing rename leaves the target untouched and removes the temp file', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      // Renaming a file over a non-empty directory fails (EISDIR / ENOTEMPTY / EPERM).
      const target = join(dir, 'model.safetensors');
      mkdirSync(target);
      writeFileSync(join(target, 'inside'), 'x');
      await assert.rejects(save(target, { w: tensor([1, 2]) }), (e: unknown) => {
        assert.ok(e instanceof CheckpointError);
        assert.match(e.message, /writeFileAtomic: cannot write .*model\.safetensors: /);
        assert.ok(e.cause instanceof Error);
        return true;
      });
      assert.deepEqual(readdirSync(dir), ['model.safetensors']);
      assert.deepEqual(readdirSync(target), ['inside']);
    } finally {
      cleanup();
    }
  });

  test('a missing parent folder is a CheckpointError naming the path', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const path = join(dir, 'no', 'such', 'f.txt');
      await assert.rejects(
        writeFileAtomic(path, 'x'),
        (e: unknown) => e instanceof CheckpointError && e.message.includes(path),
      );
    } finally {
      cleanup();
    }
  });
});

function waitForSaves(child: ChildProcess, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seen: number[] = [];
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const m of buffer.matchAll(/saved (\d+)\n/g)) seen.push(Number(m[1]));
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      if (seen.length >= count) resolve(seen);
    });
    child.once('exit', (code) =>
      reject(new Error(`writer exited early (${code}) after ${seen.length} saves`)),
    );
  });
}

test(
  'SIGKILL at random moments never leaves a partial file or a mixed checkpoint',
  { timeout: 120_000 },
  async () => {
    const { dir, cleanup } = makeTempDir('kiln-crash-');
    const script = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
    const rand = mulberry32(7);
    let start = 1;
    let stderr = '';
    try {
      for (let round = 0; round < 6; round++) {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir, String(start)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
        });
        const exited = new Promise((r) => child.once('exit', r));
        const seen = await waitForSaves(child, 1 + Math.floor(rand() * 3)).catch((e) => {
          throw new Error(`${(e as Error).message}\n${stderr}`);
        });
        // Then kill it somewhere inside a later save (a save here takes some tens of milliseconds).
        await new Promise((r) => setTimeout(r, rand() * 120));
        child.kill('SIGKILL');
        await exited;
        const last = Math.max(...seen);
        // Saves finished but not yet read from the pipe may follow `last`; each must be whole.
        const allowed = (v: number) => Number.isInteger(v) && v >= last && v < last + 100;

        const model = new StubModel(512, 256);
        const optimizer = new StubOptimizer(model);
        const info = await loadCheckpoint(join(dir, 'ckpt'), { model, optimizer });
        const epoch = info.epoch!;
        assert.ok(allowed(epoch), `round ${round}: epoch ${epoch}, last printed ${last}`);
        assert.deepEqual([...new Set(model.weight.dataSync())], [epoch], `round ${round}: model`);
        assert.equal(model.tracked.item(), epoch);
        assert.equal(optimizer.state[0]!.step, epoch);
        const expAvg = optimizer.state[0]!.exp_avg as Tensor;
        assert.deepEqual([...new Set(expAvg.dataSync())], [epoch / 2], `round ${round}: optimizer`);

        const { tensors, metadata } = await load(join(dir, 'weights.safetensors'));
        const v = Number(metadata.version);
        assert.ok(allowed(v), `round ${round}: weights version ${v}, last printed ${last}`);
        assert.deepEqual([...new Set(tensors.w!.dataSync())], [v]);
        // Only the last crash may leave a temp file; earlier ones were swept by later writes.
        const temps = readdirSync(dir).filter((n) => n.startsWith('.weights.safetensors.tmp-'));
        assert.ok(temps.length <= 1, `round ${round}: stale temp files ${temps}`);
        start = Math.max(v, epoch) + 10;
      }
    } finally {
      cleanup();
    }
  },
);
