/**
 * Fits y = 2x + 1 + noise by gradient descent with kiln tensors and autograd: the classic first
 * example. Prints loss, w and b per epoch; ends with w close to 2 and b close to 1.
 *
 * Run: npx tsx examples/linear-regression.ts
 */
import * as k from '../src/index.js';

k.manualSeed(42);

// 200 points on y = 2x + 1 with Gaussian noise (std 0.1), x in [-1, 1).
const n = 200;
const x = k.rand([n, 1]).mul(2).sub(1);
const y = x
  .mul(2)
  .add(1)
  .add(k.randn([n, 1]).mul(0.1));

// Parameters start at zero and learn by full-batch gradient descent on the mean squared error.
const w = k.zeros([1], { requiresGrad: true });
const b = k.zeros([1], { requiresGrad: true });
const lr = 0.1;
const epochs = 100;

for (let epoch = 1; epoch <= epochs; epoch++) {
  const prediction = x.mul(w).add(b);
  const loss = prediction.sub(y).square().mean();
  w.grad = null;
  b.grad = null;
  loss.backward();
  k.noGrad(() => {
    w.sub_(w.grad!.mul(lr));
    b.sub_(b.grad!.mul(lr));
  });
  if (epoch % 10 === 0 || epoch === 1) {
    const line = `epoch ${String(epoch).padStart(3)}  loss ${loss.item().toFixed(6)}  w ${w.item().toFixed(4)}  b ${b.item().toFixed(4)}`;
    console.log(line);
  }
}

const [wFinal, bFinal] = [w.item(), b.item()];
console.log(`\nlearned y = ${wFinal.toFixed(4)} x + ${bFinal.toFixed(4)} (true: y = 2 x + 1)`);
if (Math.abs(wFinal - 2) >= 0.05 || Math.abs(bFinal - 1) >= 0.05) {
  console.error('did not converge: |w - 2| or |b - 1| is 0.05 or more');
  process.exit(1);
}
