import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { nn, optim, F, io } = k;

/** A model with dropout, so the resumed run also depends on the restored RNG state. */
function makeModel(): k.nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(5, 16),
    new nn.ReLU(),
    new nn.Dropout(0.3),
    new nn.Linear(16, 3),
  );
}

function makeData(): { x: k.Tensor; y: k.Tensor } {
  const g = new k.Generator(7);
  const x = k.randn([48, 5], { generator: g });
  const y = x.matmul(k.randn([5, 3], { generator: g })).argmax(1);
  return { x, y };
}

/** Runs `steps` optimizer steps over fixed mini-batches, returning each step's loss. */
function train(
  model: k.nn.Sequential,
  opt: k.optim.Optimizer,
  sched: k.optim.lrScheduler.StepLR,
  from: number,
  to: number,
): number[] {
  const { x, y } = makeData();
  const losses: number[] = [];
  for (let step = from; step < to; step++) {
    const rows = k.arange((step * 8) % 48, ((step * 8) % 48) + 8, 1, { dtype: 'int32' });
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x.indexSelect(0, rows)), y.indexSelect(0, rows));
    loss.backward();
    opt.step();
    sched.step();
    losses.push(loss.item());
  }
  return losses;
}

describe('checkpoint resume', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('follows the uninterrupted loss trajectory bit for bit', async () => {
    k.manualSeed(123);
    const model = makeModel();
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 4, gamma: 0.5 });
    const uninterrupted = train(model, opt, sched, 0, 20);

    k.manualSeed(123);
    const first = makeModel();
    const firstOpt = new optim.Adam(first.parameters(), { lr: 0.01 });
    const firstSched = new optim.lrScheduler.StepLR(firstOpt, { stepSize: 4, gamma: 0.5 });
    const before = train(first, firstOpt, firstSched, 0, 9);
    const dir = await mkdtemp(join(tmpdir(), 'kiln-resume-'));
    dirs.push(dir);
    await io.saveCheckpoint(join(dir, 'ckpt'), {
      model: first,
      optimizer: firstOpt,
      scheduler: firstSched,
      step: 9,
    });

    // Disturb the global RNG, then restore everything into fresh objects.
    k.manualSeed(999);
    k.rand([100]);
    const resumed = makeModel();
    const resumedOpt = new optim.Adam(resumed.parameters(), { lr: 0.5 });
    const resumedSched = new optim.lrScheduler.StepLR(resumedOpt, { stepSize: 4, gamma: 0.5 });
    const info = await io.loadCheckpoint(join(dir, 'ckpt'), {
      model: resumed,
      optimizer: resumedOpt,
      scheduler: resumedSched,
    });
    assert.equal(info.step, 9);
    const afterResume = train(resumed, resumedOpt, resumedSched, 9, 20);

    assert.deepEqual([...before, ...afterResume], uninterrupted);
    const a = model.stateDict();
    const b = resumed.stateDict();
    for (const key of Object.keys(a)) assert.deepEqual(b[key]!.dataSync(), a[key]!.dataSync(), key);
  });

  it('save then load gives bit-identical parameters and predictions', async () => {
    k.manualSeed(5);
    const model = makeModel().eval();
    const dir = await mkdtemp(join(tmpdir(), 'kiln-weights-'));
    dirs.push(dir);
    await io.save(join(dir, 'w.safetensors'), model.stateDict());
    const copy = makeModel().eval();
    copy.loadStateDict((await io.load(join(dir, 'w.safetensors'))).tensors);
    const { x } = makeData();
    assert.deepEqual(copy.forward(x).dataSync(), model.forward(x).dataSync());
  });
});
