// The kiln half of bench/mlp-rss.ts, in plain JavaScript on the compiled package (dist/, built by
// `npm install`/`npm run build`), so the peak RSS is that of a user's program and not of the
// TypeScript loader (tsx adds about 50 MiB). Prints the peak RSS in MiB.
// Run: node bench/mlp-rss-child.mjs <samples> <steps>
const k = await import('../dist/index.js');
const samples = Number(process.argv[2] ?? 16384);
const steps = Number(process.argv[3] ?? 2000);
try {
  k.setBackend('native');
} catch {
  // js backend
}
k.setNumThreads(1);
k.manualSeed(0);
const model = new k.nn.Sequential(
  new k.nn.Linear(784, 128),
  new k.nn.ReLU(),
  new k.nn.Linear(128, 10),
);
const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = k.rand([samples, 784]);
const ys = k.randint(0, 10, [samples]);
let at = 0;
function train(batch, n) {
  for (let i = 0; i < n; i++) {
    if (at + batch > samples) at = 0;
    const x = xs.narrow(0, at, batch);
    const y = ys.narrow(0, at, batch);
    at += batch;
    opt.zeroGrad();
    k.F.crossEntropy(model.forward(x), y).backward();
    opt.step();
  }
}
for (const batch of [32, 128]) {
  train(batch, Math.floor(samples / batch));
  train(batch, steps);
}
console.log(`${k.getBackend()} ${(process.resourceUsage().maxRSS / 1024).toFixed(1)}`);
