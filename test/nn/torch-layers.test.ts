import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';
import { fromRef, loadNnRefs, type RefTensor } from './fixture.js';

const refs = loadNnRefs();
const { nn } = k;
const tol = { atol: 1e-10, rtol: 1e-9 };

interface BnStep {
  x: RefTensor;
  out: RefTensor;
  running_mean?: RefTensor;
  running_var?: RefTensor;
  num_batches_tracked?: number;
}
interface BnRun {
  numFeatures: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
  steps: BnStep[];
  evalX: RefTensor;
  evalOut: RefTensor;
  weight?: RefTensor;
  bias?: RefTensor;
}
interface LnRun {
  normalizedShape: number[];
  affine: boolean;
  x: RefTensor;
  out: RefTensor;
  weight?: RefTensor;
  bias?: RefTensor;
}
interface Layers {
  linear: { weight: RefTensor; bias: RefTensor; x: RefTensor; out: RefTensor };
  batchNorm1d: BnRun[];
  layerNorm: LnRun[];
  embedding: {
    paddingIdx: number;
    weight: RefTensor;
    idx: RefTensor;
    out: RefTensor;
    outGradWeights: RefTensor;
    weightGrad: RefTensor;
  };
  activations: Record<string, RefTensor>;
}
const layers = refs.layers as unknown as Layers;

/** Loads tensors by key into a module through its state dict (the path users take). */
function load(m: k.nn.Module, entries: Record<string, RefTensor | undefined>): void {
  const sd: Record<string, k.Tensor> = {};
  for (const [key, ref] of Object.entries(entries)) if (ref) sd[key] = fromRef(ref);
  m.loadStateDict(sd, { strict: false });
}

describe(`layers match PyTorch ${refs.torch} for given weights (float64)`, () => {
  it('Linear', () => {
    const ref = layers.linear;
    const fc = new nn.Linear(3, 2, { dtype: 'float64' });
    load(fc, { weight: ref.weight, bias: ref.bias });
    assertClose(fc.forward(fromRef(ref.x)), fromRef(ref.out), tol);
  });

  layers.batchNorm1d.forEach((run, i) => {
    const name = `BatchNorm1d #${i}: momentum=${run.momentum} affine=${run.affine} track=${run.trackRunningStats}, input ${JSON.stringify(run.steps[0]!.x.shape)}`;
    it(`${name}: training steps, running statistics, eval`, () => {
      const bn = new nn.BatchNorm1d(run.numFeatures, {
        momentum: run.momentum,
        affine: run.affine,
        trackRunningStats: run.trackRunningStats,
        dtype: 'float64',
      });
      load(bn, { weight: run.weight, bias: run.bias });
      run.steps.forEach((step, s) => {
        assertClose(bn.forward(fromRef(step.x)), fromRef(step.out), tol);
        if (run.trackRunningStats) {
          assertClose(bn.runningMean!, fromRef(step.running_mean!), tol);
          assertClose(bn.runningVar!, fromRef(step.running_var!), tol);
          assert.equal(bn.numBatchesTracked!.item(), step.num_batches_tracked, `step ${s}`);
        }
      });
      bn.eval();
      assertClose(bn.forward(fromRef(run.evalX)), fromRef(run.evalOut), tol);
    });
  });

  it('F.batchNorm updates running statistics in place with the unbiased variance', () => {
    const run = layers.batchNorm1d[0]!;
    const rm = k.zeros([3], { dtype: 'float64' });
    const rv = k.ones([3], { dtype: 'float64' });
    const step = run.steps[0]!;
    const y = k.F.batchNorm(fromRef(step.x), rm, rv, fromRef(run.weight!), fromRef(run.bias!), {
      training: true,
      momentum: 0.1,
    });
    assertClose(y, fromRef(step.out), tol);
    assertClose(rm, fromRef(step.running_mean!), tol);
    assertClose(rv, fromRef(step.running_var!), tol);
  });

  layers.layerNorm.forEach((run, i) => {
    it(`LayerNorm #${i}: normalizedShape [${run.normalizedShape}] affine=${run.affine}`, () => {
      const ln = new nn.LayerNorm(run.normalizedShape, {
        elementwiseAffine: run.affine,
        dtype: 'float64',
      });
      load(ln, { weight: run.weight, bias: run.bias });
      assertClose(ln.forward(fromRef(run.x)), fromRef(run.out), tol);
      const f = k.F.layerNorm(
        fromRef(run.x),
        run.normalizedShape,
        run.weight && fromRef(run.weight),
        run.bias && fromRef(run.bias),
      );
      assertClose(f, fromRef(run.out), tol);
    });
  });

  it('Embedding with paddingIdx: output and weight gradient', () => {
    const ref = layers.embedding;
    const emb = new nn.Embedding(5, 3, { paddingIdx: ref.paddingIdx, dtype: 'float64' });
    load(emb, { weight: ref.weight });
    const out = emb.forward(fromRef(ref.idx, 'int32'));
    assertClose(out, fromRef(ref.out), tol);
    out.mul(fromRef(ref.outGradWeights)).sum().backward();
    assertClose(emb.weight.grad!, fromRef(ref.weightGrad), tol);
  });

  it('activation modules', () => {
    const a = layers.activations;
    const x = fromRef(a.x!);
    const cases: [k.nn.Module<[k.Tensor], k.Tensor>, string][] = [
      [new nn.GELU(), 'gelu'],
      [new nn.GELU({ approximate: 'tanh' }), 'geluTanh'],
      [new nn.ELU(0.5), 'elu05'],
      [new nn.LeakyReLU(0.2), 'leakyRelu02'],
      [new nn.Softmax(0), 'softmax0'],
      [new nn.LogSoftmax(1), 'logSoftmax1'],
    ];
    for (const [m, key] of cases)
      assertClose(m.forward(x), fromRef(a[key]!), { atol: 1e-9, rtol: 1e-8 });
  });
});

describe('state-dict keys equal torch state_dict().keys()', () => {
  const builders: Record<string, () => k.nn.Module> = {
    linear: () => new nn.Linear(3, 2),
    linearNoBias: () => new nn.Linear(3, 2, { bias: false }),
    batchNorm1d: () => new nn.BatchNorm1d(4),
    batchNorm1dNoAffine: () => new nn.BatchNorm1d(4, { affine: false }),
    batchNorm1dNoStats: () => new nn.BatchNorm1d(4, { trackRunningStats: false }),
    batchNorm2d: () => new nn.BatchNorm2d(4),
    layerNorm: () => new nn.LayerNorm([3, 4]),
    layerNormNoAffine: () => new nn.LayerNorm(4, { elementwiseAffine: false }),
    embedding: () => new nn.Embedding(5, 3),
    sequential: () =>
      new nn.Sequential(
        new nn.Linear(4, 8),
        new nn.ReLU(),
        new nn.BatchNorm1d(8),
        new nn.Dropout(0.1),
        new nn.Linear(8, 2),
      ),
    sequentialNamed: () =>
      new nn.Sequential({
        fc1: new nn.Linear(4, 8),
        act: new nn.GELU(),
        norm: new nn.LayerNorm(8),
        fc2: new nn.Linear(8, 2),
      }),
    crossEntropyWeighted: () => new nn.CrossEntropyLoss({ weight: k.ones([3]) }),
    bceWithLogitsWeighted: () =>
      new nn.BCEWithLogitsLoss({ weight: k.ones([3]), posWeight: k.ones([3]) }),
    mseLoss: () => new nn.MSELoss(),
  };
  for (const [name, expected] of Object.entries(refs.stateKeys)) {
    it(name, () => {
      const build = builders[name];
      assert.ok(build, `no kiln builder for ${name}`);
      assert.deepEqual(Object.keys(build().stateDict()), expected);
    });
  }
});

describe('init.calculateGain and utils.clipGradNorm match PyTorch', () => {
  it('calculateGain', () => {
    for (const [key, expected] of Object.entries(refs.gains)) {
      const [name, param] = key.split(':');
      const p = param === 'None' ? undefined : Number(param);
      const got = nn.init.calculateGain(name as k.nn.init.Nonlinearity, p);
      assert.ok(Math.abs(got - expected) < 1e-12, `${key}: ${got} vs ${expected}`);
    }
  });

  for (const c of refs.clipGradNorm) {
    it(`clipGradNorm normType=${c.normType} maxNorm=${c.maxNorm}`, () => {
      const params = c.grads.map((g) => {
        const p = new nn.Parameter(k.zeros(g.shape, { dtype: 'float64' }));
        p.grad = fromRef(g);
        return p;
      });
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const total = nn.utils.clipGradNorm(params, c.maxNorm, { normType });
      assert.ok(Math.abs(total - c.total) < 1e-10, `total ${total} vs ${c.total}`);
      for (const [i, p] of params.entries()) assertClose(p.grad!, fromRef(c.clipped[i]!), tol);
    });
  }
});
