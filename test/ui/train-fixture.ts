/**
 * A real training for the dashboard tests: an MLP on the iris data, logging every batch's loss,
 * each epoch's validation accuracy and the learning rate into a tracking store, and a confusion
 * matrix SVG into its run folder.
 *
 * Usage: tsx test/ui/train-fixture.ts <store> <runs-dir> <name> <lr> <epochs>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k from '../../src/index.js';
import { openStore } from '../../src/track/open.js';

const [storePath, runsDir, name, lrArg, epochsArg] = process.argv.slice(2);
const lr = Number(lrArg);
const epochs = Number(epochsArg);
const { nn, optim, F, data } = k;

k.manualSeed(0);
const iris = await data.loadIris(join(import.meta.dirname, '../../datasets/iris/iris.csv'));
const split = data.trainTestSplit(iris.features, iris.labels, {
  testSize: 0.2,
  stratify: true,
  seed: 0,
});
const scaler = new data.Standardize().fit(split.xTrain);
const [xTrain, xTest] = [scaler.apply(split.xTrain), scaler.apply(split.xTest)];
const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Linear(16, 3));
const optimizer = new optim.Adam(model.parameters(), { lr });
const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: epochs });
const loader = new data.DataLoader(new data.TensorDataset(xTrain, split.yTrain), {
  batchSize: 16,
  shuffle: true,
  seed: 0,
});

const runDir = join(runsDir!, name!);
mkdirSync(runDir, { recursive: true });
const store = await openStore(storePath);
const run = await store.createRun({
  experiment: 'iris',
  name: name!,
  seed: 0,
  runDir,
  config: {
    model: [{ type: 'Linear', outFeatures: 16 }, { type: 'ReLU' }],
    optimizer: { type: 'Adam', lr },
  },
});
await store.logParams(run.id, { 'optimizer.type': 'Adam', 'optimizer.lr': lr, 'model.hidden': 16 });
await store.setTags(run.id, { purpose: 'dashboard test' });

let step = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  model.train();
  const points = [];
  for await (const [x, y] of loader) {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    points.push({ key: 'loss', value: loss.item(), step: step++, epoch, time: Date.now() });
  }
  model.eval();
  const predicted = k.noGrad(() => model.forward(xTest)).argmax(1);
  const accuracy = predicted.eq(split.yTest).to('float32').mean().item();
  points.push({ key: 'val_accuracy', value: accuracy, step, epoch, time: Date.now() });
  points.push({ key: 'lr', value: scheduler.getLastLr()[0]!, step, epoch, time: Date.now() });
  scheduler.step();
  await store.logMetrics(run.id, points);
  await store.heartbeat(run.id);
}

// The confusion matrix of the held-out split, as the run folder's picture.
const predicted = Array.from(
  k
    .noGrad(() => model.forward(xTest))
    .argmax(1)
    .dataSync(),
);
const truth = Array.from(split.yTest.dataSync());
const counts = [0, 1, 2].map((t) =>
  [0, 1, 2].map((p) => truth.filter((v, i) => v === t && predicted[i] === p).length),
);
const cells = counts.flatMap((row, t) =>
  row.map(
    (c, p) =>
      `<rect x="${p * 60}" y="${t * 60}" width="60" height="60" fill="rgb(${255 - c * 20},${255 - c * 12},255)"/><text x="${p * 60 + 25}" y="${t * 60 + 35}">${c}</text>`,
  ),
);
writeFileSync(
  join(runDir, 'confusion-matrix.svg'),
  `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="180">${cells.join('')}</svg>`,
);
await store.endRun(run.id, 'finished');
await store.close();
console.log(run.id);
