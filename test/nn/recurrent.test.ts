import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';
import { runLayerTest } from '../helpers/layer-test.js';

const { nn } = k;

/** One-tensor adapters for runLayerTest: the output sequence, plus the final states. */
class Seq extends nn.Module<[Tensor], Tensor> {
  constructor(readonly rnn: k.nn.RNN | k.nn.LSTM | k.nn.GRU) {
    super();
  }
  forward(x: Tensor): Tensor {
    if (this.rnn instanceof nn.LSTM) {
      const [out, [h, c]] = this.rnn.forward(x);
      return k.cat([out.flatten(), h.flatten(), c.flatten()]);
    }
    const [out, h] = (this.rnn as k.nn.GRU).forward(x);
    return k.cat([out.flatten(), h.flatten()]);
  }
}

const keys = (layers: number, bidirectional: boolean, bias = true) => {
  const out: string[] = [];
  for (let l = 0; l < layers; l++)
    for (const s of bidirectional ? ['', '_reverse'] : [''])
      for (const n of bias
        ? ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
        : ['weight_ih', 'weight_hh'])
        out.push(`rnn.${n}_l${l}${s}`);
  return out;
};

describe('recurrent layers: runLayerTest', () => {
  it('RNN (2 layers, bidirectional, relu)', () => {
    // out [4, 2, 6] + hN [4, 2, 3]
    runLayerTest(
      () => new Seq(new nn.RNN(2, 3, { numLayers: 2, bidirectional: true, nonlinearity: 'relu' })),
      [4, 2, 2],
      {
        expectedParams: 2 * (3 * 2 + 9 + 6) + 2 * (3 * 6 + 9 + 6),
        expectedOutputShape: [4 * 2 * 6 + 4 * 2 * 3],
        expectedKeys: keys(2, true),
      },
    );
  });

  it('LSTM (2 layers, batchFirst, dropout between layers)', () => {
    runLayerTest(
      () => new Seq(new nn.LSTM(2, 3, { numLayers: 2, batchFirst: true, dropout: 0.3 })),
      [2, 4, 2],
      {
        expectedParams: 12 * 2 + 36 + 24 + 12 * 3 + 36 + 24,
        expectedOutputShape: [2 * 4 * 3 + 2 * 2 * 3 * 2],
        expectedKeys: keys(2, false),
        beforeForward: () => k.manualSeed(5),
      },
    );
  });

  it('GRU (bidirectional, no bias, unbatched input)', () => {
    runLayerTest(() => new Seq(new nn.GRU(2, 3, { bidirectional: true, bias: false })), [4, 2], {
      expectedParams: 2 * (9 * 2 + 27),
      expectedOutputShape: [4 * 6 + 2 * 3],
      expectedKeys: keys(1, true, false),
    });
  });

  for (const [name, make, size] of [
    ['RNNCell', () => new nn.RNNCell(3, 4), 4],
    ['GRUCell', () => new nn.GRUCell(3, 4), 12],
  ] as const) {
    it(name, () => {
      runLayerTest(make, [2, 3], {
        expectedParams: size * 3 + size * 4 + 2 * size,
        expectedOutputShape: [2, 4],
        expectedKeys: ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'],
      });
    });
  }

  it('LSTMCell', () => {
    class Cell extends nn.Module<[Tensor], Tensor> {
      cell = new nn.LSTMCell(3, 4);
      forward(x: Tensor): Tensor {
        const [h, c] = this.cell.forward(x);
        return this.cell.forward(x, [h, c])[1];
      }
    }
    runLayerTest(() => new Cell(), [2, 3], {
      expectedParams: 16 * 3 + 16 * 4 + 32,
      expectedOutputShape: [2, 4],
    });
  });
});

describe('recurrent layers: behaviour', () => {
  it('gradcheck in float64 through initial states (LSTM, GRU)', () => {
    const g = new k.Generator(3);
    const x = k.randn([3, 2, 2], { dtype: 'float64', generator: g }).requiresGrad_();
    const h0 = k.randn([2, 2, 3], { dtype: 'float64', generator: g }).requiresGrad_();
    const c0 = k.randn([2, 2, 3], { dtype: 'float64', generator: g }).requiresGrad_();
    const lstm = new nn.LSTM(2, 3, { bidirectional: true, dtype: 'float64' });
    gradcheck((a, h, c) => k.cat(lstm.forward(a!, [h!, c!])[1], 0), [x, h0, c0]);
    const gru = new nn.GRU(2, 3, { numLayers: 2, dtype: 'float64' });
    gradcheck((a, h) => gru.forward(a!, h!)[0], [x, h0]);
  });

  it('init: every parameter in U(-1/sqrt(H), 1/sqrt(H))', () => {
    const lstm = new nn.LSTM(5, 16, { numLayers: 2 });
    for (const p of lstm.parameters()) {
      const a = p.abs().amax().item();
      assert.ok(a <= 0.25 && a > 0.2, `max |p| = ${a}`);
    }
    assert.equal(lstm.allWeights.length, 2);
    assert.equal(lstm.allWeights[1][0]!.shape[1], 16);
  });

  it('final states equal the matching output steps', () => {
    const lstm = new nn.LSTM(2, 3, { bidirectional: true, batchFirst: true });
    const [out, [hN]] = lstm.forward(k.randn([2, 5, 2]));
    assertClose(out.select(1, 4).narrow(1, 0, 3), hN.select(0, 0)); // forward ends at t = T-1
    assertClose(out.select(1, 0).narrow(1, 3, 3), hN.select(0, 1)); // reverse ends at t = 0
  });

  it('unbatched input equals a batch of one', () => {
    const gru = new nn.GRU(2, 3, { numLayers: 2 });
    const x = k.randn([4, 2]);
    const h0 = k.randn([2, 3]);
    const [out, hN] = gru.forward(x, h0);
    const [outB, hNB] = gru.forward(x.unsqueeze(1), h0.unsqueeze(1));
    assert.deepEqual(out.shape, [4, 3]);
    assertClose(out, outB.squeeze(1));
    assertClose(hN, hNB.squeeze(1));
  });

  it('dropout acts between layers in training only', () => {
    const a = new nn.LSTM(2, 3, { numLayers: 2, dropout: 0.5 });
    const b = new nn.LSTM(2, 3, { numLayers: 2 });
    b.loadStateDict(a.stateDict());
    const x = k.randn([4, 2, 2]);
    assertClose(a.eval().forward(x)[0], b.eval().forward(x)[0]);
    k.manualSeed(1);
    const trained = a.train().forward(x)[0];
    const diff = trained.sub(b.forward(x)[0]).abs().amax().item();
    assert.ok(diff > 1e-4, 'training output differs');
    // One layer: dropout has nothing to act on (PyTorch warns), so training changes nothing.
    const one = new nn.GRU(2, 3, { dropout: 0.5 });
    assertClose(one.train().forward(x)[0], one.eval().forward(x)[0]);
  });

  it('RNN relu differs from tanh; toString is PyTorch-like', () => {
    const r = new nn.RNN(2, 3, { numLayers: 2, batchFirst: true, nonlinearity: 'relu' });
    assert.equal(r.toString(), 'RNN(2, 3, num_layers=2, batch_first=True)');
    const [out] = r.forward(k.randn([1, 3, 2]));
    assert.ok(out.amin().item() >= 0);
  });
});

describe('recurrent layers: errors', () => {
  it('rejects bad input and state shapes', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
    assert.throws(() => lstm.forward(k.zeros([5, 2, 2])), /has 2 features, expected inputSize 3/);
    assert.throws(() => lstm.forward(k.zeros([1, 5, 2, 3])), k.ShapeError);
    const h = k.zeros([1, 2, 4]);
    assert.throws(
      () => lstm.forward(k.zeros([5, 2, 3]), [h, h]),
      /h0 has shape \[1,2,4\], expected \[2,2,4\]/,
    );
    assert.throws(
      () => new nn.GRU(3, 4).forward(k.zeros([5, 3]), k.zeros([1, 2, 4])),
      k.ShapeError,
    );
    assert.throws(() => new nn.GRUCell(3, 4).forward(k.zeros([2, 4])), k.ShapeError);
    assert.throws(
      () => new nn.LSTMCell(3, 4).forward(k.zeros([2, 3]), [k.zeros([3, 4]), k.zeros([2, 4])]),
      k.ShapeError,
    );
  });

  it('rejects bad options', () => {
    assert.throws(() => new nn.LSTM(3, 0), k.ValueError);
    assert.throws(() => new nn.GRU(3, 4, { numLayers: 1.5 }), k.ValueError);
    assert.throws(() => new nn.RNN(3, 4, { dropout: 2 }), k.ValueError);
    const bad = 'sigmoid' as 'tanh';
    assert.throws(() => new nn.RNN(3, 4, { nonlinearity: bad }), /unknown nonlinearity/);
    assert.throws(() => new nn.RNNCell(3, 4, { nonlinearity: bad }), k.ValueError);
  });
});
