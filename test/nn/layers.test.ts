import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { runLayerTest } from '../helpers/layer-test.js';
import { loadNnRefs } from './fixture.js';

const { nn } = k;
const keys = loadNnRefs().stateKeys;

describe('runLayerTest on every layer', () => {
  it('Linear', () => {
    runLayerTest(() => new nn.Linear(3, 2), [4, 3], {
      expectedParams: 8,
      expectedOutputShape: [4, 2],
      expectedKeys: keys.linear,
    });
    runLayerTest(() => new nn.Linear(3, 2, { bias: false }), [2, 5, 3], {
      expectedParams: 6,
      expectedOutputShape: [2, 5, 2],
      expectedKeys: keys.linearNoBias,
    });
  });

  it('Identity and Flatten', () => {
    runLayerTest(() => new nn.Identity(), [2, 3], {
      expectedParams: 0,
      expectedOutputShape: [2, 3],
    });
    runLayerTest(() => new nn.Flatten(), [2, 3, 2, 2], {
      expectedParams: 0,
      expectedOutputShape: [2, 12],
    });
    runLayerTest(() => new nn.Flatten({ startDim: 0, endDim: 1 }), [2, 3, 2], {
      expectedParams: 0,
      expectedOutputShape: [6, 2],
    });
  });

  const activations: [string, () => k.nn.Module<[k.Tensor], k.Tensor>][] = [
    ['ReLU', () => new nn.ReLU()],
    ['LeakyReLU', () => new nn.LeakyReLU(0.2)],
    ['ELU', () => new nn.ELU(0.7)],
    ['GELU', () => new nn.GELU()],
    ['GELU tanh', () => new nn.GELU({ approximate: 'tanh' })],
    ['Sigmoid', () => new nn.Sigmoid()],
    ['Tanh', () => new nn.Tanh()],
    ['Softmax', () => new nn.Softmax(1)],
    ['LogSoftmax', () => new nn.LogSoftmax(-1)],
  ];
  for (const [name, make] of activations) {
    it(name, () => {
      runLayerTest(make, [3, 4], { expectedParams: 0, expectedOutputShape: [3, 4] });
    });
  }

  it('Dropout (training mask reseeded per forward)', () => {
    const g = new k.Generator(5);
    runLayerTest(() => new nn.Dropout(0.3, { generator: g }), [4, 5], {
      expectedParams: 0,
      expectedOutputShape: [4, 5],
      beforeForward: () => g.manualSeed(5),
    });
  });

  it('BatchNorm1d on [N,C] and [N,C,L], with and without affine/stats', () => {
    runLayerTest(() => new nn.BatchNorm1d(3), [5, 3], {
      expectedParams: 6,
      expectedOutputShape: [5, 3],
      expectedKeys: keys.batchNorm1d,
    });
    runLayerTest(() => new nn.BatchNorm1d(3, { momentum: null }), [4, 3, 2], {
      expectedParams: 6,
      expectedOutputShape: [4, 3, 2],
    });
    runLayerTest(() => new nn.BatchNorm1d(4, { affine: false }), [3, 4], {
      expectedParams: 0,
      expectedOutputShape: [3, 4],
      expectedKeys: keys.batchNorm1dNoAffine,
    });
    runLayerTest(() => new nn.BatchNorm1d(4, { trackRunningStats: false }), [3, 4], {
      expectedParams: 8,
      expectedOutputShape: [3, 4],
      expectedKeys: keys.batchNorm1dNoStats,
    });
    runLayerTest(() => new nn.BatchNorm2d(4), [2, 4, 2, 2], {
      expectedParams: 8,
      expectedOutputShape: [2, 4, 2, 2],
      expectedKeys: keys.batchNorm2d,
    });
  });

  it('LayerNorm', () => {
    runLayerTest(() => new nn.LayerNorm([3, 4]), [2, 3, 4], {
      expectedParams: 24,
      expectedOutputShape: [2, 3, 4],
      expectedKeys: keys.layerNorm,
    });
    runLayerTest(() => new nn.LayerNorm(4, { elementwiseAffine: false }), [3, 4], {
      expectedParams: 0,
      expectedOutputShape: [3, 4],
      expectedKeys: keys.layerNormNoAffine,
    });
    runLayerTest(() => new nn.LayerNorm(4, { bias: false }), [3, 4], {
      expectedParams: 4,
      expectedOutputShape: [3, 4],
    });
  });

  it('Embedding (int32 input)', () => {
    runLayerTest(() => new nn.Embedding(6, 3), [2, 4], {
      expectedParams: 18,
      expectedOutputShape: [2, 4, 3],
      expectedKeys: keys.embedding,
      makeInput: (shape, g) => k.randint(0, 6, shape, { generator: g }),
      lr: 0.5,
    });
    // The padding row's gradient is zero by design, so the true gradient only matches when the
    // input does not look it up; its behaviour is checked below and against PyTorch.
    runLayerTest(() => new nn.Embedding(6, 3, { paddingIdx: 0 }), [2, 4], {
      expectedParams: 18,
      expectedOutputShape: [2, 4, 3],
      makeInput: (shape, g) => k.randint(1, 6, shape, { generator: g }),
      lr: 0.5,
    });
  });

  it('Sequential (positional and named)', () => {
    runLayerTest(
      () =>
        new nn.Sequential(
          new nn.Linear(4, 8),
          new nn.ReLU(),
          new nn.BatchNorm1d(8),
          new nn.Dropout(0),
          new nn.Linear(8, 2),
        ),
      [5, 4],
      { expectedParams: 40 + 16 + 18, expectedOutputShape: [5, 2], expectedKeys: keys.sequential },
    );
    runLayerTest(
      () =>
        new nn.Sequential({
          fc1: new nn.Linear(4, 8),
          act: new nn.GELU(),
          norm: new nn.LayerNorm(8),
          fc2: new nn.Linear(8, 2),
        }),
      [3, 4],
      {
        expectedParams: 40 + 16 + 18,
        expectedOutputShape: [3, 2],
        expectedKeys: keys.sequentialNamed,
      },
    );
  });
});

describe('layer behaviour', () => {
  it('Linear default init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias', () => {
    k.manualSeed(3);
    const fc = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    for (const p of [fc.weight, fc.bias!]) {
      const v = Array.from(p.dataSync());
      assert.ok(Math.max(...v) <= bound && Math.min(...v) >= -bound, 'within the bound');
      assert.ok(Math.max(...v) > 0.95 * bound && Math.min(...v) < -0.95 * bound, 'fills it');
    }
    const w = Array.from(fc.weight.dataSync());
    const variance = w.reduce((a, x) => a + x * x, 0) / w.length;
    assert.ok(Math.abs(variance / ((bound * bound) / 3) - 1) < 0.02, `variance ${variance}`);
  });

  it('Linear draws from a given generator reproducibly', () => {
    const a = new nn.Linear(3, 2, { generator: new k.Generator(9) });
    const b = new nn.Linear(3, 2, { generator: new k.Generator(9) });
    assert.deepEqual(a.weight.toArray(), b.weight.toArray());
    assert.deepEqual(a.bias!.toArray(), b.bias!.toArray());
  });

  it('Dropout scales kept values by 1/(1-p), is identity in eval, and handles p = 0 and 1', () => {
    const x = k.ones([2000]);
    const drop = new nn.Dropout(0.25, { generator: new k.Generator(1) });
    const y = Array.from(drop.forward(x).dataSync());
    const kept = y.filter((v) => v !== 0);
    assert.ok(
      kept.every((v) => Math.abs(v - 4 / 3) < 1e-6),
      'kept values scaled',
    );
    assert.ok(Math.abs(kept.length / 2000 - 0.75) < 0.04, `keep rate ${kept.length / 2000}`);
    assert.deepEqual(drop.eval().forward(x).toArray(), x.toArray());
    assert.deepEqual(new nn.Dropout(0).forward(x).toArray(), x.toArray());
    assert.ok(Array.from(new nn.Dropout(1).forward(x).dataSync()).every((v) => v === 0));
    assert.throws(() => new nn.Dropout(1.5), k.ValueError);
    k.manualSeed(4);
    const a = k.F.dropout(x, 0.5, true).toArray();
    k.manualSeed(4);
    assert.deepEqual(k.F.dropout(x, 0.5, true).toArray(), a, 'seeded from the default generator');
  });

  it('BatchNorm1d counts batches, refuses one value per channel, checks channels', () => {
    const bn = new nn.BatchNorm1d(2);
    bn.forward(k.randn([4, 2]));
    bn.forward(k.randn([4, 2]));
    assert.equal(bn.numBatchesTracked!.dtype, 'int32');
    assert.equal(bn.numBatchesTracked!.item(), 2);
    assert.throws(() => bn.forward(k.randn([1, 2])), /more than 1 value per channel/);
    assert.throws(() => bn.forward(k.randn([4, 3])), k.ShapeError);
    assert.throws(() => bn.forward(k.randn([4])), k.ShapeError);
    bn.eval().forward(k.randn([1, 2]));
    assert.equal(bn.numBatchesTracked!.item(), 2, 'eval does not count');
  });

  it('Embedding zero-initializes the padding row and gives it no gradient', () => {
    const emb = new nn.Embedding(5, 3, { paddingIdx: -1 });
    assert.equal(emb.paddingIdx, 4);
    assert.deepEqual(emb.weight.select(0, 4).toArray(), [0, 0, 0]);
    const idx = k.tensor([4, 1, 4], { dtype: 'int32' });
    emb.forward(idx).sum().backward();
    const grad = emb.weight.grad!.toArray() as number[][];
    assert.deepEqual(grad[4], [0, 0, 0]);
    assert.deepEqual(grad[1], [1, 1, 1]);
    assert.throws(() => emb.forward(k.tensor([5], { dtype: 'int32' })), /index 5 out of range/);
    assert.throws(() => emb.forward(k.tensor([1])), k.DTypeError);
    assert.throws(() => new nn.Embedding(3, 2, { paddingIdx: 3 }), k.ValueError);
  });

  it('Sequential is indexable, iterable and appendable', () => {
    const relu = new nn.ReLU();
    const seq = new nn.Sequential(new nn.Linear(2, 3), relu);
    assert.equal(seq[1], relu);
    assert.equal(seq.at(-1), relu);
    assert.equal(seq.length, 2);
    seq.append(new nn.Linear(3, 1));
    assert.deepEqual(Object.keys(seq.stateDict()), ['0.weight', '0.bias', '2.weight', '2.bias']);
    assert.deepEqual(
      [...seq].map((m) => m.constructor.name),
      ['Linear', 'ReLU', 'Linear'],
    );
    assert.equal(seq.forward(k.ones([4, 2])).shape[1], 1);
    const named = new nn.Sequential({ fc: new nn.Linear(2, 2), act: relu });
    assert.equal(named.get('act'), relu);
    assert.throws(() => named.get('nope'), k.ValueError);
    assert.throws(() => seq.at(7), k.ValueError);
    assert.throws(() => new nn.Sequential({ forward: relu }), /cannot name a module/);
    assert.throws(() => new nn.Sequential({ 'a.b': relu }), /cannot name a module/);
  });

  it('Linear reports mis-shaped input', () => {
    assert.throws(
      () => new nn.Linear(3, 2).forward(k.ones([4, 5])),
      (e: Error) => e instanceof k.ShapeError && e.message.includes('[4,5]'),
    );
  });
});
