/**
 * MNIST-shaped MLP training throughput (784-128-10, ReLU, Adam, cross-entropy) in samples/s at
 * batch 32 and 128, on batches streamed from a random dataset of 16,384 samples (51 MiB, larger
 * than the last-level cache, as an epoch reads them) after a warm-up pass over all of it: kiln
 * native at 1 and 2 threads (and the js backend with --js) against every PyTorch found
 * (bench/peers.ts) at 1 and 2 threads, best of alternating rounds.
 * Run: npx tsx bench/mlp.ts [--rounds R] [--steps S] [--samples N] [--js]
 */
import * as k from '../src/index.js';
import {
  bestOfRounds,
  contenders,
  type LocalWork,
  line,
  localRunner,
  type Runner,
  warmUp,
} from './peers.js';

/** Kiln's MLP on a streamed random dataset, on the backend active when it is created. */
export function mlpWork(samples: number): LocalWork {
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
  const next = (batch: number): [k.Tensor, k.Tensor] => {
    if (at + batch > samples) at = 0;
    const r: [k.Tensor, k.Tensor] = [xs.narrow(0, at, batch), ys.narrow(0, at, batch)];
    at += batch;
    return r;
  };
  return {
    train(batch, steps) {
      for (let i = 0; i < steps; i++) {
        const [x, y] = next(batch);
        opt.zeroGrad();
        k.F.crossEntropy(model.forward(x), y).backward();
        opt.step();
      }
    },
    infer(batch, steps) {
      k.noGrad(() => {
        for (let i = 0; i < steps; i++) model.forward(next(batch)[0]);
      });
    },
  };
}

export interface MlpOptions {
  rounds?: number;
  steps?: number;
  samples?: number;
  js?: boolean;
}

/** A runner that switches kiln to `backendName` before each command. */
function onBackend(backendName: string, runner: Runner): Runner {
  return {
    ...runner,
    ask: (command) => {
      k.setBackend(backendName);
      return runner.ask(command);
    },
  };
}

/** Runs the MLP benchmark and prints one table per batch size. */
export async function benchMlp(options: MlpOptions = {}): Promise<void> {
  const { rounds = 5, steps = 200, samples = 16384, js = false } = options;
  const kiln: Runner[] = [];
  const setThreads = (n: number) => k.setNumThreads(n);
  try {
    k.setBackend('native');
    const work = mlpWork(samples);
    for (const t of [1, 2])
      kiln.push(
        onBackend('native', localRunner(`kiln native ${t}T`, t, samples, work, setThreads)),
      );
  } catch {
    console.log('  kiln native backend unavailable');
  }
  if (js || kiln.length === 0) {
    k.setBackend('js');
    kiln.push(onBackend('js', localRunner('kiln js', 1, samples, mlpWork(samples), setThreads)));
  }
  const peers = (await contenders(kiln[0]!, 'mlp', samples)).slice(1);
  const runners = [...kiln, ...peers];
  try {
    for (const batch of [32, 128]) {
      await warmUp(runners, batch);
      const best = await bestOfRounds(runners, `train ${batch} ${steps}`, rounds);
      const rates = best.map((s) => (batch * steps) / s);
      const kilnBest = Math.max(...rates.slice(0, kiln.length));
      console.log(
        `MLP 784-128-10 training, batch ${batch}: ${samples} samples streamed, best of ${rounds} alternating rounds of ${steps} steps`,
      );
      for (const [i, r] of runners.entries())
        console.log(line(r.name, rates[i]!, i >= kiln.length ? kilnBest : undefined));
    }
  } finally {
    for (const r of runners) r.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string, fallback: number) => {
    const at = process.argv.indexOf(flag);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  await benchMlp({
    rounds: arg('--rounds', 5),
    steps: arg('--steps', 200),
    samples: arg('--samples', 16384),
    js: process.argv.includes('--js'),
  });
}
