import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';
import { checkCase, fromSeq, inputsOf, loadSeqRefs, loadState, tight } from './seq-fixture.js';

const refs = loadSeqRefs();
const { nn, F } = k;
const maxDiffs: number[] = [];

after(() => {
  console.log(`attention vs PyTorch: max |diff| ${Math.max(...maxDiffs).toExponential(2)}`);
});

describe(`attention layers match PyTorch ${refs.torch} for given weights (float64)`, () => {
  refs.mha.forEach((c) => {
    it(`MultiheadAttention: ${c.name}`, () => {
      const o = c.options;
      const mha = new nn.MultiheadAttention(8, 2, { ...o, dtype: 'float64' }).eval();
      loadState(mha, c.state);
      assert.deepEqual(Object.keys(mha.stateDict()), Object.keys(c.state), 'key order');
      const xs = inputsOf(c);
      const [q, key, v] = c.selfAttention
        ? [xs[0]!, xs[0]!, xs[0]!]
        : (xs as [Tensor, Tensor, Tensor]);
      const [out, weights] = mha.forward(q, key, v, {
        keyPaddingMask: c.keyPaddingMask ? fromSeq(c.keyPaddingMask) : null,
        attnMask: c.attnMask ? fromSeq(c.attnMask) : null,
        isCausal: c.isCausal,
        averageAttnWeights: c.averageAttnWeights,
      });
      maxDiffs.push(checkCase(c, [out, weights!], xs, mha));
    });
  });

  refs.sdpa.forEach((c) => {
    it(`F.scaledDotProductAttention: ${c.name}`, () => {
      const xs = inputsOf(c);
      const [q, key, v] = xs as [Tensor, Tensor, Tensor];
      const out = F.scaledDotProductAttention(q, key, v, {
        attnMask: c.attnMask ? fromSeq(c.attnMask) : null,
        isCausal: c.isCausal,
        scale: c.scale,
      });
      maxDiffs.push(checkCase(c, [out], xs));
    });
  });

  refs.encoder.forEach((c) => {
    it(`TransformerEncoderLayer: ${c.name}`, () => {
      const layer = new nn.TransformerEncoderLayer(8, 2, {
        ...c.options,
        dtype: 'float64',
      }).eval();
      loadState(layer, c.state);
      assert.deepEqual(Object.keys(layer.stateDict()), Object.keys(c.state), 'key order');
      const xs = inputsOf(c);
      const out = layer.forward(xs[0]!, {
        srcKeyPaddingMask: c.srcKeyPaddingMask ? fromSeq(c.srcKeyPaddingMask) : null,
        srcMask: c.srcMask ? fromSeq(c.srcMask) : null,
      });
      maxDiffs.push(checkCase(c, [out], xs));
    });
  });

  it('TransformerEncoder: 2 layers with independent weights, final norm, causal', () => {
    const c = refs.encoderStack;
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 12, dtype: 'float64' });
    const encoder = new nn.TransformerEncoder(layer, 2, {
      norm: new nn.LayerNorm(8, { dtype: 'float64' }),
    }).eval();
    assert.deepEqual(Object.keys(encoder.stateDict()), c.keys, 'keys and order');
    loadState(encoder, c.state);
    const xs = inputsOf(c);
    maxDiffs.push(checkCase(c, [encoder.forward(xs[0]!, { isCausal: c.causal })], xs));
  });

  it('PositionalEncoding: the tutorial buffer', () => {
    const { dModel, maxLen, pe } = refs.positional;
    const pos = new nn.PositionalEncoding(dModel, { maxLen, dtype: 'float64' });
    assertClose(pos.stateDict().pe!, fromSeq(pe), tight);
  });
});
