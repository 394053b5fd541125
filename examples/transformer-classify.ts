/**
 * A small Transformer encoder classifies generated token sequences: does token A appear before
 * token B? Each sequence holds one A and one B at random positions among random filler tokens,
 * so the answer depends on positions only, which the model reads through the sinusoidal
 * positional encoding and self-attention. Embedding, positional encoding, one or two encoder
 * layers, mean pooling and a linear head; exits 1 below 95% held-out accuracy.
 *
 * Run: npx tsx examples/transformer-classify.ts
 */
import * as k from '../src/index.js';

const { nn, optim, F } = k;

k.manualSeed(3);
const quiet = process.env.KILN_QUIET === '1';
const started = performance.now();

const seqLen = 10;
const vocab = 8; // 0 = A, 1 = B, 2..7 filler
const dModel = 32;

/** `n` sequences and labels (1 when A comes before B), from a seeded generator. */
function makeData(n: number, g: k.Generator): [k.Tensor, k.Tensor] {
  const tokens = new Int32Array(n * seqLen);
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < seqLen; i++) tokens[s * seqLen + i] = 2 + g.int(vocab - 2);
    const a = g.int(seqLen);
    let b = g.int(seqLen - 1);
    if (b >= a) b++;
    tokens[s * seqLen + a] = 0;
    tokens[s * seqLen + b] = 1;
    labels[s] = a < b ? 1 : 0;
  }
  return [k.tensor(tokens, { shape: [n, seqLen] }), k.tensor(labels)];
}

/** Token embedding + positional encoding -> encoder -> mean over positions -> 2 logits. */
class Classifier extends nn.Module<[k.Tensor], k.Tensor> {
  embed = new nn.Embedding(vocab, dModel);
  pos = new nn.PositionalEncoding(dModel, { maxLen: seqLen, dropout: 0, batchFirst: true });
  encoder = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(dModel, 4, {
      dimFeedforward: 64,
      dropout: 0,
      batchFirst: true,
      normFirst: true,
    }),
    1,
    { norm: new nn.LayerNorm(dModel) },
  );
  head = new nn.Linear(dModel, 2);
  forward(tokens: k.Tensor): k.Tensor {
    const h = this.encoder.forward(this.pos.forward(this.embed.forward(tokens)));
    return this.head.forward(h.mean(1));
  }
}

const g = new k.Generator(11);
const [xTrain, yTrain] = makeData(2000, g);
const [xTest, yTest] = makeData(1000, g);
const model = new Classifier();
const epochs = 5;
const optimizer = new optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
const loader = new k.data.DataLoader(new k.data.TensorDataset(xTrain, yTrain), {
  batchSize: 50,
  shuffle: true,
  seed: 0,
});
const scheduler = new optim.lrScheduler.OneCycleLR(optimizer, {
  maxLr: 3e-3,
  totalSteps: epochs * loader.length,
});

function accuracy(x: k.Tensor, y: k.Tensor): number {
  model.eval();
  const predicted = k.noGrad(() => model.forward(x)).argmax(1);
  return predicted.eq(y).to('float32').mean().item();
}

for (let epoch = 1; epoch <= epochs; epoch++) {
  model.train();
  let total = 0;
  for await (const [xb, yb] of loader) {
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(xb), yb);
    loss.backward();
    k.nn.utils.clipGradNorm(model.parameters(), 1);
    optimizer.step();
    scheduler.step();
    total += loss.item() * xb.shape[0]!;
  }
  if (!quiet && epoch % 1 === 0) {
    const line = `epoch ${String(epoch).padStart(2)}  loss ${(total / 2000).toFixed(4)}  test accuracy ${accuracy(xTest, yTest).toFixed(4)}`;
    console.log(line);
  }
}

const testAccuracy = accuracy(xTest, yTest);
const seconds = (performance.now() - started) / 1000;
console.log(
  `held-out accuracy: ${(testAccuracy * 100).toFixed(1)}% on ${xTest.shape[0]} sequences, ${seconds.toFixed(1)} s on the ${k.getBackend()} backend`,
);
if (testAccuracy < 0.95) {
  console.error('below the expected 95%');
  process.exit(1);
}
