/**
 * An MLP on the iris data with a hand-written PyTorch-style loop: zeroGrad, forward, loss,
 * backward, step, scheduler. Reports accuracy on a stratified held-out split (>= 95% expected).
 *
 * Run: npx tsx examples/mlp-manual-loop.ts
 */
import * as k from '../src/index.js';

const { nn, optim, F, data } = k;

k.manualSeed(0);
const iris = await data.loadIris('datasets/iris/iris.csv');
const split = data.trainTestSplit(iris.features, iris.labels, {
  testSize: 0.2,
  stratify: true,
  seed: 0,
});

// Standardize with statistics of the training split only, then apply them to both splits.
const scaler = new data.Standardize().fit(split.xTrain);
const [xTrain, xTest] = [scaler.apply(split.xTrain), scaler.apply(split.xTest)];

const model = new nn.Sequential(new nn.Linear(4, 32), new nn.ReLU(), new nn.Linear(32, 3));
const optimizer = new optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 1e-3 });
const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 40, gamma: 0.5 });
const loader = new data.DataLoader(new data.TensorDataset(xTrain, split.yTrain), {
  batchSize: 16,
  shuffle: true,
  seed: 0,
});

function accuracy(x: k.Tensor, y: k.Tensor): number {
  const predicted = k.noGrad(() => model.forward(x)).argmax(1);
  return predicted.eq(y).to('float32').mean().item();
}

for (let epoch = 1; epoch <= 100; epoch++) {
  model.train();
  let total = 0;
  for await (const [x, y] of loader) {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    total += loss.item() * x.shape[0]!;
  }
  scheduler.step();
  if (epoch % 20 === 0) {
    model.eval();
    const line = `epoch ${String(epoch).padStart(3)}  loss ${(total / xTrain.shape[0]!).toFixed(4)}  lr ${scheduler.getLastLr()[0]!.toFixed(4)}  test accuracy ${accuracy(xTest, split.yTest).toFixed(4)}`;
    console.log(line);
  }
}

model.eval();
const testAccuracy = accuracy(xTest, split.yTest);
console.log(`held-out accuracy: ${(testAccuracy * 100).toFixed(1)}% on ${xTest.shape[0]} flowers`);
if (testAccuracy < 0.95) {
  console.error('below the expected 95%');
  process.exit(1);
}
