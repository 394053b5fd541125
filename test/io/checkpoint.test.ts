import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CHECKPOINT_FORMAT_VERSION,
  load,
  loadCheckpoint,
  saveCheckpoint,
} from '../../src/io/index.js';
import { rand, tensor } from '../../src/ops/creation.js';
import { CheckpointError, ShapeError } from '../../src/tensor/errors.js';
import { getRngState, manualSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { assertSameTensor, makeTempDir } from './helpers.js';
import { StubModel, StubOptimizer, StubScheduler } from './stubs.js';

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = makeTempDir('kiln-ckpt-');
  try {
    await body(dir);
  } finally {
    cleanup();
  }
}

function trio(fill: number) {
  const model = new StubModel(3, 2, fill);
  return { model, optimizer: new StubOptimizer(model, fill), scheduler: new StubScheduler() };
}

const isCheckpointError = (pattern: RegExp) => (e: unknown) =>
  e instanceof CheckpointError && pattern.test(e.message);

describe('checkpoints', () => {
  test('round trip restores model, optimizer, scheduler, RNG and bookkeeping', () =>
    withDir(async (root) => {
      const dir = join(root, 'run', 'last');
      const a = trio(3);
      a.scheduler.state = {
        lastEpoch: 4,
        best: Infinity,
        worst: -Infinity,
        nan: Number.NaN,
        lastLr: [0.001],
      };
      manualSeed(123);
      rand([5]);
      const rng = getRngState();
      await saveCheckpoint(dir, {
        ...a,
        epoch: 4,
        step: 1000,
        metrics: { loss: 0.25, acc: [0.5, 0.75] },
        config: { layers: [3, 2], act: 'relu' },
        extra: { note: 'ü', nested: { ok: true, none: null } },
      });
      const expectedDraw = rand([4]).dataSync();
      assert.deepEqual(readdirSync(root), ['run']);
      assert.deepEqual(readdirSync(dir).sort(), [
        'checkpoint.json',
        'model.safetensors',
        'optimizer.safetensors',
      ]);

      manualSeed(999);
      const b = trio(0);
      const info = await loadCheckpoint(dir, b);
      assert.deepEqual(getRngState(), rng);
      assert.deepEqual(rand([4]).dataSync(), expectedDraw);
      for (const [k, t] of Object.entries(a.model.stateDict()))
        assertSameTensor(b.model.stateDict()[k]!, t, k);
      assert.deepEqual(b.optimizer.paramGroups, a.optimizer.paramGroups);
      assert.equal(b.optimizer.state[0]!.step, 3);
      assertSameTensor(
        b.optimizer.state[0]!.exp_avg_sq as Tensor,
        a.optimizer.state[0]!.exp_avg_sq as Tensor,
      );
      assertSameTensor(
        b.optimizer.state[1]!.exp_avg as Tensor,
        a.optimizer.state[1]!.exp_avg as Tensor,
      );
      assert.deepEqual(b.scheduler.state, a.scheduler.state);
      assert.equal(b.scheduler.state.best, Infinity);
      assert.deepEqual(
        {
          epoch: info.epoch,
          step: info.step,
          metrics: info.metrics,
          config: info.config,
          extra: info.extra,
        },
        {
          epoch: 4,
          step: 1000,
          metrics: { loss: 0.25, acc: [0.5, 0.75] },
          config: { layers: [3, 2], act: 'relu' },
          extra: { note: 'ü', nested: { ok: true, none: null } },
        },
      );
      assert.match(info.created, /^\d{4}-\d\d-\d\dT/);
      assert.equal(info.kilnVersion, JSON.parse(readFileSync('package.json', 'utf8')).version);
    }));

  test('files are plain safetensors and JSON, keyed like PyTorch', () =>
    withDir(async (dir) => {
      const a = trio(2);
      await saveCheckpoint(dir, { ...a, step: 5 });
      const model = await load(join(dir, 'model.safetensors'));
      assert.deepEqual(Object.keys(model.tensors).sort(), Object.keys(a.model.stateDict()).sort());
      assert.equal(model.tensors['fc.bias']!.dtype, 'float64');
      const opt = await load(join(dir, 'optimizer.safetensors'));
      assert.deepEqual(Object.keys(opt.tensors).sort(), [
        'state.0.exp_avg',
        'state.0.exp_avg_sq',
        'state.1.exp_avg',
      ]);
      const json = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
      assert.equal(json.format, 'kiln-checkpoint');
      assert.equal(json.formatVersion, CHECKPOINT_FORMAT_VERSION);
      assert.equal(json.step, 5);
      assert.deepEqual(json.optimizer.state, { 0: { step: 2 }, 1: { step: 2 } });
      assert.deepEqual(json.scheduler.best, { $float: 'Infinity' });
      assert.equal(json.rngState.length, 4);
      assert.match(json.files['model.safetensors'].sha256, /^[0-9a-f]{64}$/);
    }));

  test('model-only checkpoints, and loading only what is asked for', () =>
    withDir(async (dir) => {
      const a = trio(7);
      await saveCheckpoint(dir, { model: a.model });
      assert.ok(!existsSync(join(dir, 'optimizer.safetensors')));
      const b = new StubModel(3, 2);
      const info = await loadCheckpoint(dir, { model: b, restoreRng: false });
      assert.equal(info.epoch, undefined);
      assertSameTensor(b.weight, a.model.weight);
      await assert.rejects(
        loadCheckpoint(dir, { optimizer: trio(0).optimizer }),
        isCheckpointError(/holds no optimizer state/),
      );
      await assert.rejects(
        loadCheckpoint(dir, { scheduler: new StubScheduler() }),
        isCheckpointError(/holds no scheduler state/),
      );
    }));

  test('saving again replaces the folder as a unit and leaves nothing beside it', () =>
    withDir(async (root) => {
      const dir = join(root, 'ckpt');
      await saveCheckpoint(dir, { ...trio(1), epoch: 1 });
      await saveCheckpoint(dir, { model: trio(2).model, epoch: 2 });
      assert.deepEqual(readdirSync(root), ['ckpt']);
      assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'model.safetensors']);
      const m = new StubModel(3, 2);
      assert.equal((await loadCheckpoint(dir, { model: m })).epoch, 2);
      assert.equal(m.tracked.item(), 2);
    }));

  test('refuses to replace a folder that is not a checkpoint', () =>
    withDir(async (dir) => {
      writeFileSync(join(dir, 'notes.txt'), 'keep me');
      await assert.rejects(
        saveCheckpoint(dir, trio(1)),
        isCheckpointError(/is not a kiln checkpoint folder; refusing/),
      );
      assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'keep me');
    }));
});

describe('checkpoint errors', () => {
  test('missing folder and missing files name the path', () =>
    withDir(async (root) => {
      const dir = join(root, 'nope');
      await assert.rejects(
        loadCheckpoint(dir),
        (e: unknown) => e instanceof CheckpointError && e.message.includes(dir),
      );
      await saveCheckpoint(dir, trio(1));
      rmSync(join(dir, 'model.safetensors'));
      await assert.rejects(
        loadCheckpoint(dir, { model: new StubModel(3, 2) }),
        isCheckpointError(/cannot read .*nope\/model\.safetensors/),
      );
      rmSync(join(dir, 'checkpoint.json'));
      await assert.rejects(
        loadCheckpoint(dir),
        isCheckpointError(/has no readable checkpoint\.json/),
      );
    }));

  test('corrupt files are detected before anything is restored', () =>
    withDir(async (dir) => {
      await saveCheckpoint(dir, trio(1));
      const path = join(dir, 'optimizer.safetensors');
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 1;
      writeFileSync(path, bytes);
      const b = trio(0);
      await assert.rejects(
        loadCheckpoint(dir, b),
        isCheckpointError(/optimizer\.safetensors is corrupt/),
      );
      assert.equal(b.model.tracked.item(), 0, 'model untouched when a later file is corrupt');
    }));

  test('a newer format version is a clear version mismatch', () =>
    withDir(async (dir) => {
      await saveCheckpoint(dir, trio(1));
      const path = join(dir, 'checkpoint.json');
      const json = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...json, formatVersion: 99 }));
      await assert.rejects(
        loadCheckpoint(dir),
        isCheckpointError(/version mismatch: field "formatVersion" is 99/),
      );
      writeFileSync(path, JSON.stringify({ ...json, format: 'other' }));
      await assert.rejects(loadCheckpoint(dir), isCheckpointError(/field "format"/));
      writeFileSync(path, '{"format": ');
      await assert.rejects(
        loadCheckpoint(dir),
        isCheckpointError(/checkpoint\.json is not valid JSON/),
      );
    }));

  test('state that does not fit is a CheckpointError keeping the cause', () =>
    withDir(async (dir) => {
      await saveCheckpoint(dir, trio(1));
      await assert.rejects(loadCheckpoint(dir, { model: new StubModel(4, 2) }), (e: unknown) => {
        assert.ok(e instanceof CheckpointError);
        assert.match(
          e.message,
          /the model state in .*model\.safetensors does not fit the model: .*fc\.weight/,
        );
        assert.ok(e.cause instanceof ShapeError);
        return true;
      });
      const wide = new StubModel(4, 2);
      await assert.rejects(
        loadCheckpoint(dir, { optimizer: new StubOptimizer(wide) }),
        isCheckpointError(/optimizer state .* does not fit/),
      );
    }));

  test('non-JSON-safe values are rejected with their path, before anything is written', () =>
    withDir(async (root) => {
      const dir = join(root, 'c');
      const bad: [unknown, RegExp][] = [
        [{ t: tensor([1]) }, /extra\.t is a Tensor/],
        [{ f: () => 1 }, /extra\.f is a function/],
        [{ n: [1, 2n] }, /extra\.n\[1\] is a bigint/],
        [new Map(), /extra is a Map/],
      ];
      for (const [extra, pattern] of bad) {
        await assert.rejects(
          saveCheckpoint(dir, { model: trio(1).model, extra }),
          isCheckpointError(pattern),
        );
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await assert.rejects(
        saveCheckpoint(dir, { model: trio(1).model, config: cyclic }),
        isCheckpointError(/config\.self contains a cycle/),
      );
      await assert.rejects(
        saveCheckpoint(dir, { model: trio(1).model, epoch: -1 }),
        isCheckpointError(/epoch must be a non-negative integer/),
      );
      assert.deepEqual(readdirSync(root), []);
    }));
});

describe('crash recovery', () => {
  // States a crash can leave (see src/io/folder.ts), built from real checkpoints by renaming.
  async function makeVersions(root: string) {
    for (const v of [1, 2])
      await saveCheckpoint(join(root, `v${v}`), { model: new StubModel(3, 2, v), epoch: v });
  }

  test('between the two renames: the complete new staging folder wins over the old one', () =>
    withDir(async (root) => {
      await makeVersions(root);
      renameSync(join(root, 'v1'), join(root, 'ckpt.old-1-aa'));
      renameSync(join(root, 'v2'), join(root, 'ckpt.tmp-1-bb'));
      const m = new StubModel(3, 2);
      const info = await loadCheckpoint(join(root, 'ckpt'), { model: m });
      assert.equal(info.epoch, 2);
      assert.equal(m.tracked.item(), 2);
      assert.match(info.path, /ckpt\.tmp-1-bb$/);
      // The next save puts a checkpoint in place and sweeps the leftovers.
      await saveCheckpoint(join(root, 'ckpt'), { model: m, epoch: 3 });
      assert.deepEqual(readdirSync(root).sort(), ['ckpt']);
    }));

  test('an incomplete staging folder (no manifest yet) is ignored in favour of the old checkpoint', () =>
    withDir(async (root) => {
      await makeVersions(root);
      renameSync(join(root, 'v1'), join(root, 'ckpt.old-1-aa'));
      rmSync(join(root, 'v2', 'checkpoint.json'));
      renameSync(join(root, 'v2'), join(root, 'ckpt.tmp-1-bb'));
      assert.equal(
        (await loadCheckpoint(join(root, 'ckpt'), { model: new StubModel(3, 2) })).epoch,
        1,
      );
    }));
});
