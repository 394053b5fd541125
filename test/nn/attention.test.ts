import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';
import { runLayerTest } from '../helpers/layer-test.js';

const { nn, F } = k;

/** Self-attention as a one-tensor layer for runLayerTest. */
class SelfAttention extends nn.Module<[Tensor], Tensor> {
  constructor(readonly mha: k.nn.MultiheadAttention) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.mha.forward(x, x, x, { isCausal: true })[0];
  }
}

/** Cross-attention with different key/value sizes, for runLayerTest. */
class CrossAttention extends nn.Module<[Tensor], Tensor> {
  mha = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, batchFirst: true });
  forward(x: Tensor): Tensor {
    const key = x.narrow(2, 0, 3).mul(2);
    const value = k.cat([x, x.narrow(2, 0, 1)], 2);
    const [out, weights] = this.mha.forward(x, key, value, { averageAttnWeights: false });
    return k.cat([out.flatten(), weights!.flatten()]);
  }
}

const causalBool = (n: number) =>
  k
    .arange(n, undefined, 1, { dtype: 'int32' })
    .unsqueeze(0)
    .gt(k.arange(n, undefined, 1, { dtype: 'int32' }).unsqueeze(1));

describe('attention layers: runLayerTest', () => {
  it('MultiheadAttention (self, causal)', () => {
    runLayerTest(() => new SelfAttention(new nn.MultiheadAttention(4, 2)), [3, 2, 4], {
      expectedParams: 3 * 16 + 12 + 16 + 4,
      expectedOutputShape: [3, 2, 4],
      expectedKeys: [
        'mha.in_proj_weight',
        'mha.in_proj_bias',
        'mha.out_proj.weight',
        'mha.out_proj.bias',
      ],
    });
  });

  it('MultiheadAttention (kdim/vdim, per-head weights)', () => {
    runLayerTest(() => new CrossAttention(), [2, 3, 4], {
      expectedParams: 16 + 12 + 20 + 12 + 16 + 4,
      expectedOutputShape: [2 * 3 * 4 + 2 * 2 * 3 * 3],
      expectedKeys: [
        'mha.q_proj_weight',
        'mha.k_proj_weight',
        'mha.v_proj_weight',
        'mha.in_proj_bias',
        'mha.out_proj.weight',
        'mha.out_proj.bias',
      ],
    });
  });

  for (const normFirst of [false, true]) {
    it(`TransformerEncoderLayer (normFirst ${normFirst}, gelu, dropout)`, () => {
      runLayerTest(
        () =>
          new nn.TransformerEncoderLayer(4, 2, {
            dimFeedforward: 6,
            activation: 'gelu',
            normFirst,
            batchFirst: true,
            dropout: 0.2,
          }),
        [2, 3, 4],
        {
          expectedParams: 3 * 16 + 12 + 20 + 24 + 6 + 24 + 4 + 16,
          expectedOutputShape: [2, 3, 4],
          beforeForward: () => k.manualSeed(9),
        },
      );
    });
  }

  it('TransformerEncoder (2 layers + norm)', () => {
    const make = () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(4, 1, { dimFeedforward: 4, dropout: 0 }),
        2,
        {
          norm: new nn.LayerNorm(4),
        },
      );
    runLayerTest(make, [3, 2, 4], {
      expectedParams: 2 * (48 + 12 + 20 + 20 + 20 + 16) + 8,
      expectedOutputShape: [3, 2, 4],
    });
  });

  it('PositionalEncoding (parameter-free; dropout)', () => {
    runLayerTest(() => new nn.PositionalEncoding(4, { maxLen: 8, dropout: 0.3 }), [5, 2, 4], {
      expectedParams: 0,
      expectedOutputShape: [5, 2, 4],
      expectedKeys: ['pe'],
      beforeForward: () => k.manualSeed(2),
    });
  });
});

describe('attention: behaviour', () => {
  it('SDPA: gradcheck with a float mask and dropout-free scale', () => {
    const g = new k.Generator(4);
    const q = k.randn([2, 3, 4], { dtype: 'float64', generator: g }).requiresGrad_();
    const key = k.randn([2, 5, 4], { dtype: 'float64', generator: g }).requiresGrad_();
    const v = k.randn([2, 5, 2], { dtype: 'float64', generator: g }).requiresGrad_();
    const mask = k.randn([3, 5], { dtype: 'float64', generator: g });
    gradcheck(
      (a, b, c) => F.scaledDotProductAttention(a!, b!, c!, { attnMask: mask, scale: 0.7 }),
      [q, key, v],
    );
  });

  it('SDPA bool mask: true = attend (PyTorch convention), the negation of MHA masks', () => {
    const q = k.randn([1, 4, 2]);
    const allowed = causalBool(4).logicalNot();
    assertClose(
      F.scaledDotProductAttention(q, q, q, { attnMask: allowed }),
      F.scaledDotProductAttention(q, q, q, { isCausal: true }),
    );
  });

  it('SDPA dropoutP zeroes weights and rescales', () => {
    const q = k.randn([2, 8, 4]);
    const v = k.ones([2, 8, 4]);
    k.manualSeed(3);
    const out = F.scaledDotProductAttention(q, q, v, { dropoutP: 0.5 });
    // rows of weights sum to 1, so with v = 1 each output is (kept weight mass) / (1 - p)
    assert.ok(out.amax().item() <= 2 + 1e-5 && out.sub(1).abs().amax().item() > 1e-3);
  });

  it('MHA: isCausal equals an explicit bool mask; needWeights false gives null', () => {
    const mha = new nn.MultiheadAttention(4, 2);
    const x = k.randn([5, 2, 4]);
    const [a, wa] = mha.forward(x, x, x, { isCausal: true });
    const [b] = mha.forward(x, x, x, { attnMask: causalBool(5), needWeights: false });
    assertClose(a, b);
    assert.deepEqual(wa!.shape, [2, 5, 5]);
    assert.equal(wa!.select(1, 0).narrow(1, 1, 4).abs().amax().item(), 0);
    assert.equal(mha.forward(x, x, x, { needWeights: false })[1], null);
  });

  it('MHA: a float key padding mask of -inf equals the bool one', () => {
    const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true });
    const x = k.randn([2, 3, 4]);
    const pad = k
      .tensor(
        [
          [0, 0, 1],
          [0, 1, 1],
        ],
        { dtype: 'int32' },
      )
      .ne(0);
    const asFloat = k.zeros([2, 3]).maskedFill(pad, -Infinity);
    assertClose(
      mha.forward(x, x, x, { keyPaddingMask: pad })[0],
      mha.forward(x, x, x, { keyPaddingMask: asFloat })[0],
    );
  });

  it('MHA: a query with every key masked gives NaN (PyTorch 1.13 behaviour)', () => {
    const mha = new nn.MultiheadAttention(4, 1);
    const x = k.randn([3, 2, 4]);
    const pad = k
      .tensor(
        [
          [1, 1, 1],
          [0, 0, 1],
        ],
        { dtype: 'int32' },
      )
      .ne(0);
    const [out] = mha.forward(x, x, x, { keyPaddingMask: pad });
    assert.ok(out.select(1, 0).isnan().all().item());
    assert.ok(out.select(1, 1).isfinite().all().item());
  });

  it('MHA: training dropout changes the weights, eval does not', () => {
    const mha = new nn.MultiheadAttention(4, 2, { dropout: 0.5 });
    const x = k.randn([3, 1, 4]);
    const evalW = mha.eval().forward(x, x, x)[1]!;
    assertClose(evalW.sum(-1), k.ones([1, 3]));
    k.manualSeed(0);
    const trainW = mha.train().forward(x, x, x)[1]!;
    assert.ok(trainW.sub(evalW).abs().amax().item() > 1e-3);
  });

  it('TransformerEncoder: layers start equal to the template but are independent', () => {
    const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    const enc = new nn.TransformerEncoder(layer, 2);
    const w0 = enc.layers[0]!.linear1.weight;
    const w1 = enc.layers[1]!.linear1.weight;
    assertClose(w0, layer.linear1.weight);
    assert.notEqual(w0.storage, w1.storage);
    assert.notEqual(w0.storage, layer.linear1.weight.storage);
    k.noGrad(() => w0.add_(1));
    assertClose(w1, layer.linear1.weight);
    assert.equal(enc.parameters().length, 2 * layer.parameters().length);
  });

  it('PositionalEncoding: batchFirst, eval identity plus pe, non-persistent buffer', () => {
    const pos = new nn.PositionalEncoding(6, {
      maxLen: 10,
      batchFirst: true,
      persistent: false,
    }).eval();
    assert.deepEqual(Object.keys(pos.stateDict()), []);
    const out = pos.forward(k.zeros([2, 4, 6]));
    assertClose(out.select(0, 1), pos.pe.narrow(0, 0, 4).squeeze(1));
    assertClose(out.select(1, 3).select(0, 0).narrow(0, 0, 2), [Math.sin(3), Math.cos(3)], {
      atol: 1e-6,
    });
    // odd dModel: the last column is a sine
    assert.deepEqual(new nn.PositionalEncoding(5, { maxLen: 3 }).pe.shape, [3, 1, 5]);
  });
});

describe('attention: errors', () => {
  it('MultiheadAttention', () => {
    assert.throws(
      () => new nn.MultiheadAttention(10, 3),
      /embedDim 10 must be divisible by numHeads 3/,
    );
    assert.throws(() => new nn.MultiheadAttention(8, 0), k.ValueError);
    const mha = new nn.MultiheadAttention(4, 2);
    const x = k.zeros([3, 2, 4]);
    assert.throws(
      () => mha.forward(k.zeros([3, 2, 5]), x, x),
      /query \[3,2,5\] has 5 features, expected 4/,
    );
    assert.throws(() => mha.forward(x, x, k.zeros([2, 2, 4])), /key shape/);
    assert.throws(() => mha.forward(x, k.zeros([3, 1, 4]), k.zeros([3, 1, 4])), /batch sizes/);
    assert.throws(() => mha.forward(x, x, k.zeros([3, 4])), k.ShapeError);
    assert.throws(() => mha.forward(x, x, x, { attnMask: k.zeros([3, 4]) }), /attnMask has shape/);
    assert.throws(
      () => mha.forward(x, x, x, { keyPaddingMask: k.zeros([3, 2]) }),
      /keyPaddingMask/,
    );
    const intMask = k.zeros([3, 3], { dtype: 'int32' });
    assert.throws(() => mha.forward(x, x, x, { attnMask: intMask }), k.DTypeError);
  });

  it('scaledDotProductAttention', () => {
    const q = k.zeros([2, 3, 4]);
    assert.throws(() => F.scaledDotProductAttention(q, k.zeros([2, 3, 5]), q), k.ShapeError);
    assert.throws(
      () => F.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: k.zeros([3, 3]) }),
      k.ValueError,
    );
    assert.throws(() => F.scaledDotProductAttention(q, q, q, { dropoutP: 1.5 }), k.ValueError);
  });

  it('transformer and positional encoding', () => {
    const bad = 'tanh' as 'relu';
    assert.throws(() => new nn.TransformerEncoderLayer(4, 2, { activation: bad }), /activation/);
    assert.throws(() => new nn.TransformerEncoderLayer(6, 4), k.ValueError);
    assert.throws(
      () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2), 0),
      k.ValueError,
    );
    const pos = new nn.PositionalEncoding(4, { maxLen: 3 });
    assert.throws(() => pos.forward(k.zeros([4, 1, 4])), /L <= maxLen 3/);
    assert.throws(() => pos.forward(k.zeros([2, 1, 5])), k.ShapeError);
  });
});
