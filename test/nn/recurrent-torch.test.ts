import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { checkCase, inputsOf, loadSeqRefs, loadState } from './seq-fixture.js';

const refs = loadSeqRefs();
const { nn } = k;
const maxDiffs: number[] = [];

after(() => {
  // Visible with the spec reporter; the lead's report quotes it.
  console.log(`recurrent vs PyTorch: max |diff| ${Math.max(...maxDiffs).toExponential(2)}`);
});

describe(`RNN, LSTM and GRU match PyTorch ${refs.torch} for given weights (float64)`, () => {
  refs.recurrent.forEach((c) => {
    const o = c.options;
    const inputs = c.inputs.map((r) => r.shape);
    const label = `${c.mode} layers=${o.numLayers} bidirectional=${o.bidirectional} batchFirst=${o.batchFirst}${o.bias === false ? ' bias=false' : ''}${o.nonlinearity ? ` ${o.nonlinearity}` : ''}, x ${JSON.stringify(inputs[0])}${inputs.length > 1 ? ' with initial state' : ''}`;
    it(label, () => {
      const options = { ...o, dtype: 'float64' as const };
      const xs = inputsOf(c);
      const [x, h0, c0] = xs as [Tensor, Tensor | undefined, Tensor | undefined];
      let outputs: Tensor[];
      let m: k.nn.Module;
      if (c.mode === 'LSTM') {
        const lstm = new nn.LSTM(3, 4, options);
        loadState(lstm, c.state);
        const [out, [hN, cN]] = lstm.eval().forward(x, h0 && c0 ? [h0, c0] : undefined);
        outputs = [out, hN, cN];
        m = lstm;
      } else {
        const rnn = c.mode === 'RNN' ? new nn.RNN(3, 4, options) : new nn.GRU(3, 4, options);
        loadState(rnn, c.state);
        const [out, hN] = rnn.eval().forward(x, h0);
        outputs = [out, hN];
        m = rnn;
      }
      assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), 'key order');
      maxDiffs.push(checkCase(c, outputs, xs, m));
    });
  });

  refs.cells.forEach((c) => {
    it(`${c.mode}, x ${JSON.stringify(c.inputs[0]!.shape)}`, () => {
      const xs = inputsOf(c);
      const [x, h, cx] = xs as [Tensor, Tensor, Tensor | undefined];
      let outputs: Tensor[];
      let m: k.nn.Module;
      if (c.mode === 'LSTMCell') {
        const cell = new nn.LSTMCell(3, 4, { dtype: 'float64' });
        loadState(cell, c.state);
        outputs = cell.forward(x, [h, cx!]);
        m = cell;
      } else {
        const cell =
          c.mode === 'RNNCell'
            ? new nn.RNNCell(3, 4, { dtype: 'float64' })
            : new nn.GRUCell(3, 4, { dtype: 'float64' });
        loadState(cell, c.state);
        outputs = [cell.forward(x, h)];
        m = cell;
      }
      assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), 'key order');
      maxDiffs.push(checkCase(c, outputs, xs));
    });
  });
});
