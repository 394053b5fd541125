/**
 * One-step-ahead forecasting with an LSTM on a generated noisy seasonal series (two sines, a
 * trend and Gaussian noise, seeded). The last 20% of the series is held out; each input is a
 * window of the previous values, the target the next value. Reports the held-out RMSE against
 * the naive forecast "next = last value" and exits 1 unless the LSTM beats it by at least 30%.
 *
 * Windows are fed relative to their last value, and the model predicts the change from it, so
 * the trend (which carries the test values beyond the training range) does not matter.
 *
 * Run: npx tsx examples/timeseries-lstm.ts
 */
import * as k from '../src/index.js';

const { nn, optim } = k;

k.manualSeed(7);
const quiet = process.env.KILN_QUIET === '1';
const started = performance.now();

// The series: periods 24 and 9, a slow trend and noise of std 0.1.
const length = 900;
const noise = k.randn([length]).dataSync();
const series = Array.from(
  { length },
  (_, t) =>
    Math.sin((2 * Math.PI * t) / 24) +
    0.5 * Math.sin((2 * Math.PI * t) / 9) +
    0.003 * t +
    0.1 * noise[t]!,
);

// Windows of `window` values -> the next one, relative to the window's last value.
const window = 16;
const inputs: number[] = [];
const targets: number[] = [];
const lasts: number[] = [];
for (let t = window; t < length; t++) {
  const last = series[t - 1]!;
  for (let i = t - window; i < t; i++) inputs.push(series[i]! - last);
  targets.push(series[t]! - last);
  lasts.push(last);
}
const count = targets.length;
const split = Math.floor(count * 0.8);
const x = k.tensor(inputs, { shape: [count, window, 1] });
const y = k.tensor(targets, { shape: [count, 1] });
const [xTrain, xTest] = [x.narrow(0, 0, split), x.narrow(0, split, count - split)];
const [yTrain, yTest] = [y.narrow(0, 0, split), y.narrow(0, split, count - split)];

/** An LSTM reading the window, and a linear head on its last hidden state. */
class Forecaster extends nn.Module<[k.Tensor], k.Tensor> {
  lstm = new nn.LSTM(1, 24, { batchFirst: true });
  head = new nn.Linear(24, 1);
  forward(w: k.Tensor): k.Tensor {
    const [, [hN]] = this.lstm.forward(w);
    return this.head.forward(hN.select(0, 0));
  }
}

const model = new Forecaster();
const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
const epochs = 20;
const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, {
  tMax: epochs,
  etaMin: 1e-3,
});
const loader = new k.data.DataLoader(new k.data.TensorDataset(xTrain, yTrain), {
  batchSize: 64,
  shuffle: true,
  seed: 0,
});

const rmse = (pred: k.Tensor, target: k.Tensor) =>
  Math.sqrt(pred.sub(target).square().mean().item());

for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  let total = 0;
  for await (const [xb, yb] of loader) {
    optimizer.zeroGrad();
    const loss = model.forward(xb).sub(yb).square().mean();
    loss.backward();
    optimizer.step();
    total += loss.item() * xb.shape[0]!;
  }
  scheduler.step();
  if (!quiet && epoch % 5 === 0) {
    model.eval();
    const test = rmse(
      k.noGrad(() => model.forward(xTest)),
      yTest,
    );
    console.log(
      `epoch ${String(epoch).padStart(2)}  train MSE ${(total / split).toFixed(4)}  test RMSE ${test.toFixed(4)}`,
    );
  }
}

model.eval();
const lstmRmse = rmse(
  k.noGrad(() => model.forward(xTest)),
  yTest,
);
// The naive forecast predicts no change: its error is the target itself (relative to `last`).
const naiveRmse = rmse(k.zerosLike(yTest), yTest);
const gain = 1 - lstmRmse / naiveRmse;
const seconds = (performance.now() - started) / 1000;
console.log(
  `held-out RMSE: LSTM ${lstmRmse.toFixed(4)}, naive last value ${naiveRmse.toFixed(4)} (${(gain * 100).toFixed(1)}% lower) on ${count - split} steps, ${seconds.toFixed(1)} s on the ${k.getBackend()} backend`,
);
if (gain < 0.3) {
  console.error('the LSTM should beat the naive forecast by at least 30%');
  process.exit(1);
}
