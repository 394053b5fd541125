/**
 * A real small training tuned by kiln's default TPE: the iris MLP (4 -> hidden -> 3, ReLU,
 * dropout), trained with a fixed budget and scored by validation cross-entropy. The same MLP,
 * split, search space and budget are tuned by Optuna in bench/tune_mlp_optuna.py; compare both
 * with bench/tune-mlp-compare.ts. Prints one JSON object:
 * {"version", "best": [best validation loss per seed], "accuracy": [its validation accuracy]}.
 * Usage: tsx bench/tune-mlp.ts [--trials 30] [--seeds 10] [--seed-start 0] [--tpe JSON]
 */
import { readFileSync } from 'node:fs';
import * as k from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}

const nTrials = Number(arg('trials', '30'));
const seeds = Number(arg('seeds', '10'));
const seedStart = Number(arg('seed-start', '0'));
const tpe = JSON.parse(arg('tpe', '{}')) as k.tune.TPESamplerOptions;
/** Fixed training budget, identical on the Optuna side. */
const EPOCHS = 30;
const BATCH = 16;

/**
 * datasets/iris/iris.csv (scikit-learn layout: a metadata line, then 4 features and the class).
 * Split: every fifth row (0, 5, 10, ...) is validation, 10 flowers per species (the file is in
 * species order); standardized by the training rows' mean and population std.
 */
function loadSplit(): { xTrain: k.Tensor; yTrain: k.Tensor; xVal: k.Tensor; yVal: k.Tensor } {
  const rows = readFileSync('datasets/iris/iris.csv', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const train = rows.filter((_, i) => i % 5 !== 0);
  const val = rows.filter((_, i) => i % 5 === 0);
  const mean = [0, 1, 2, 3].map(
    (j) => train.reduce((s, r) => s + (r[j] as number), 0) / train.length,
  );
  const std = [0, 1, 2, 3].map((j) =>
    Math.sqrt(
      train.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / train.length,
    ),
  );
  const x = (set: number[][]): k.Tensor =>
    k.tensor(
      set.map((r) => r.slice(0, 4).map((v, j) => (v - (mean[j] as number)) / (std[j] as number))),
    );
  const y = (set: number[][]): k.Tensor =>
    k.tensor(
      set.map((r) => r[4] as number),
      { dtype: 'int32' },
    );
  return { xTrain: x(train), yTrain: y(train), xVal: x(val), yVal: y(val) };
}

const { xTrain, yTrain, xVal, yVal } = loadSplit();

function makeOptimizer(
  name: string,
  params: k.Tensor[],
  lr: number,
  weightDecay: number,
): k.optim.Optimizer {
  if (name === 'Adam') return new k.optim.Adam(params, { lr, weightDecay });
  if (name === 'RMSprop') return new k.optim.RMSprop(params, { lr, weightDecay });
  return new k.optim.SGD(params, { lr, momentum: 0.9, weightDecay });
}

/** One trial: the search space of the issue (lr, width, dropout, weight decay, optimizer). */
function objective(studySeed: number) {
  return async (trial: k.tune.Trial): Promise<number> => {
    const lr = trial.suggestFloat('lr', 1e-4, 1e-1, { log: true });
    const hidden = trial.suggestInt('hidden', 4, 128, { log: true });
    const dropout = trial.suggestFloat('dropout', 0, 0.5);
    const weightDecay = trial.suggestFloat('weightDecay', 1e-6, 1e-2, { log: true });
    const opt = trial.suggestCategorical('optimizer', ['Adam', 'SGD', 'RMSprop']) as string;
    k.manualSeed(studySeed * 1000 + trial.number);
    const model = new k.nn.Sequential(
      new k.nn.Linear(4, hidden),
      new k.nn.ReLU(),
      new k.nn.Dropout(dropout),
      new k.nn.Linear(hidden, 3),
    );
    const optimizer = makeOptimizer(opt, model.parameters(), lr, weightDecay);
    const loader = new k.data.DataLoader(new k.data.TensorDataset(xTrain, yTrain), {
      batchSize: BATCH,
      shuffle: true,
      seed: studySeed * 1000 + trial.number,
    });
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      model.train();
      for await (const [x, y] of loader) {
        optimizer.zeroGrad();
        k.F.crossEntropy(model.forward(x), y).backward();
        optimizer.step();
      }
    }
    model.eval();
    const logits = k.noGrad(() => model.forward(xVal));
    const loss = k.noGrad(() => k.F.crossEntropy(logits, yVal)).item();
    const accuracy = logits.argmax(1).eq(yVal).to('float32').mean().item();
    trial.setUserAttr('accuracy', accuracy);
    // A diverged run (lr too high) scores as a bad, finite loss, as on the Optuna side.
    return Number.isFinite(loss) ? loss : 10;
  };
}

const best: number[] = [];
const accuracy: number[] = [];
for (let seed = seedStart; seed < seedStart + seeds; seed++) {
  const study = await k.tune.createStudy({ sampler: new k.tune.TPESampler({ ...tpe, seed }) });
  await study.optimize(objective(seed), { nTrials });
  best.push(study.bestValue);
  accuracy.push(study.bestTrial.userAttrs.accuracy as number);
}
console.log(JSON.stringify({ version: 'kiln', best, accuracy }));
