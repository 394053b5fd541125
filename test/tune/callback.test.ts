// TuneCallback in real Trainer fits: it reports the monitored value each epoch, and a trial the
// pruner stops ends as pruned with training interrupted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { nn, optim, F, tune } = k;

function data() {
  k.manualSeed(0);
  const x = k.randn([64, 4]);
  const w = k.tensor([[1.5], [-2], [0.5], [1]]);
  const y = x.matmul(w).add(0.3);
  const loader = () => new k.data.DataLoader(new k.data.TensorDataset(x, y), { batchSize: 16 });
  return { train: loader(), val: loader() };
}

describe('k.tune.TuneCallback', () => {
  it('reports val_loss per epoch and prunes a trial that does not learn', async () => {
    const { train, val } = data();
    const epochsRun: number[] = [];
    const study = await tune.createStudy({
      sampler: new tune.RandomSampler({ seed: 0 }),
      pruner: new tune.MedianPruner({ nStartupTrials: 2 }),
    });
    await study.enqueueTrial({ lr: 0.1 });
    await study.enqueueTrial({ lr: 0.05 });
    await study.enqueueTrial({ lr: 1e-6 });
    await study.optimize(
      async (trial) => {
        const lr = trial.suggestFloat('lr', 1e-6, 1, { log: true });
        k.manualSeed(1);
        const model = new nn.Linear(4, 1);
        let epochs = 0;
        const trainer = new k.train.Trainer({
          model,
          optimizer: new optim.SGD(model.parameters(), { lr }),
          loss: F.mseLoss,
          callbacks: [new tune.TuneCallback(trial), { onEpochEnd: () => void epochs++ }],
        });
        const history = await trainer
          .fit(train, { epochs: 6, validation: val })
          .finally(() => epochsRun.push(epochs));
        return history.history.val_loss.at(-1)!;
      },
      { nTrials: 3 },
    );
    const [a, b, c] = study.trials;
    assert.equal(a!.state, 'complete');
    assert.equal(b!.state, 'complete');
    assert.deepEqual([...a!.intermediateValues.keys()], [0, 1, 2, 3, 4, 5]);
    assert.equal(a!.value, a!.intermediateValues.get(5));
    assert.equal(c!.state, 'pruned');
    assert.deepEqual(epochsRun, [6, 6, 0]);
    assert.deepEqual([...c!.intermediateValues.keys()], [0]);
  });

  it('names the logged values when the monitored one is missing', async () => {
    const { train } = data();
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.optimize(
      async (trial) => {
        const model = new nn.Linear(4, 1);
        const trainer = new k.train.Trainer({
          model,
          optimizer: new optim.SGD(model.parameters(), { lr: 0.1 }),
          loss: F.mseLoss,
          callbacks: [new tune.TuneCallback(trial, { monitor: 'val_loss' })],
        });
        await trainer.fit(train, { epochs: 1 });
        return 0;
      },
      { nTrials: 1 },
    );
    assert.match(study.trials[0].error!, /'val_loss' is not logged \(logged: loss, lr\)/);
  });
});
