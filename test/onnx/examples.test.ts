import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildModel } from '../../src/cli/build.js';
import type { LayerSpec } from '../../src/cli/config.js';
import * as k from '../../src/index.js';
import { checkModel, roundTrip, roundTrips, runOrt, tempPath } from './ort.js';

const { nn } = k;
const dyn = { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } };

after(() => {
  const worst = Math.max(...roundTrips.map((r) => r.diff));
  console.log(
    `# example models: ${roundTrips.length} onnxruntime outputs vs kiln, max relative diff ${worst.toExponential(2)}`,
  );
});

function configModel(file: string, sample: number[]): k.nn.Module {
  const config = parse(readFileSync(file, 'utf8')) as { model: LayerSpec[] };
  return buildModel(config.model, sample);
}

/** examples/timeseries-lstm.ts's model. */
class Forecaster extends nn.Module<[k.Tensor], k.Tensor> {
  lstm = new nn.LSTM(1, 24, { batchFirst: true });
  head = new nn.Linear(24, 1);
  forward(w: k.Tensor): k.Tensor {
    const [, [hN]] = this.lstm.forward(w);
    return this.head.forward(hN.select(0, 0));
  }
}

/** examples/transformer-classify.ts's model. */
class Classifier extends nn.Module<[k.Tensor], k.Tensor> {
  embed = new nn.Embedding(12, 32);
  pos = new nn.PositionalEncoding(32, { maxLen: 16, dropout: 0, batchFirst: true });
  encoder = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(32, 4, {
      dimFeedforward: 64,
      dropout: 0,
      batchFirst: true,
      normFirst: true,
    }),
    1,
    { norm: new nn.LayerNorm(32) },
  );
  head = new nn.Linear(32, 2);
  forward(tokens: k.Tensor): k.Tensor {
    const h = this.encoder.forward(this.pos.forward(this.embed.forward(tokens)));
    return this.head.forward(h.mean(1));
  }
}

describe('the example models export to ONNX and match kiln in onnxruntime at batch sizes 1, 3 and 64', () => {
  const runs = (make: (n: number) => k.Tensor) => [3, 1, 64].map((n) => [make(n)]);
  it('MNIST MLP (examples/mnist-mlp.yaml)', async () => {
    k.manualSeed(0);
    const model = configModel('examples/mnist-mlp.yaml', [1, 28, 28]);
    const make = (n: number) => k.rand([n, 1, 28, 28]);
    await roundTrip('mnist-mlp', model, [make(3)], runs(make), dyn);
  });
  it('MNIST CNN (examples/mnist-cnn.yaml)', async () => {
    k.manualSeed(0);
    const model = configModel('examples/mnist-cnn.yaml', [1, 28, 28]);
    const make = (n: number) => k.rand([n, 1, 28, 28]);
    await roundTrip('mnist-cnn', model, [make(3)], runs(make), dyn);
  });
  it('LSTM forecaster (examples/timeseries-lstm.ts)', async () => {
    k.manualSeed(0);
    const make = (n: number) => k.randn([n, 24, 1]);
    await roundTrip('lstm-forecaster', new Forecaster(), [make(3)], runs(make), dyn);
  });
  it('Transformer classifier (examples/transformer-classify.ts)', async () => {
    k.manualSeed(0);
    const make = (n: number) => k.randint(0, 12, [n, 16], { dtype: 'int32' });
    await roundTrip('transformer-classifier', new Classifier(), [make(3)], runs(make), dyn);
  });

  it('external data: initializers in <file>.data load in onnxruntime', async () => {
    k.manualSeed(0);
    const model = configModel('examples/mnist-mlp.yaml', [1, 28, 28]).eval();
    const path = tempPath('external.onnx');
    const x = k.rand([2, 1, 28, 28]);
    await k.onnx.export(model, [x], path, { ...dyn, externalData: true });
    checkModel(path);
    assert.ok(statSync(path).size < 10_000, 'weights are not inline');
    assert.ok(
      statSync(`${path}.data`).size >= (784 * 128 + 128 * 10) * 4,
      'the weight matrices are in the data file',
    );
    const [y] = await runOrt(path, [x]);
    const expected = k.noGrad(() => model.forward(x) as k.Tensor);
    assert.ok(y!.sub(expected).abs().amax().item() < 1e-5);
  });

  it('inputNames, outputNames and named dynamic axes appear in the model', async () => {
    const model = new Forecaster().eval();
    const path = tempPath('names.onnx');
    await k.onnx.export(model, [k.randn([2, 24, 1])], path, {
      inputNames: ['window'],
      outputNames: ['forecast'],
      dynamicAxes: { window: { 0: 'n' }, forecast: { 0: 'n' } },
    });
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(path);
    assert.deepEqual([s.inputNames, s.outputNames], [['window'], ['forecast']]);
    const bytes = readFileSync(path);
    assert.ok(
      bytes.includes(Buffer.from('lstm.weight_ih_l0')) === false,
      'LSTM weights are reordered copies',
    );
    assert.ok(bytes.includes(Buffer.from('head.weight')), 'parameters keep their state-dict names');
    assert.equal(model.training, false);
    await s.release();
    await assert.rejects(
      k.onnx.export(model, [k.randn([2, 24, 1])], path, { dynamicAxes: { nope: [0] } }),
      /neither an input nor an output/,
    );
    await assert.rejects(
      k.onnx.export(model, [k.randn([2, 24, 1])], path, {
        opset: 17,
      } as unknown as k.onnx.ExportOptions),
      /unknown option 'opset'/,
    );
  });
});

describe('onnx.export names', () => {
  it('an output that is an input or repeated gets its own name through Identity; names must be distinct', async () => {
    class Twice extends nn.Module<[k.Tensor], k.Tensor[]> {
      fc = new nn.Linear(3, 2);
      forward(x: k.Tensor): k.Tensor[] {
        const y = this.fc.forward(x);
        return [y, y, x];
      }
    }
    const model = new Twice();
    const x = k.randn([2, 3]);
    const path = await roundTrip('outputs', model, [x], [[x]], {
      outputNames: ['a', 'b', 'c'],
    });
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(path);
    assert.deepEqual(s.outputNames, ['a', 'b', 'c']);
    await s.release();
    await assert.rejects(
      k.onnx.export(model, [x], tempPath('dup.onnx'), { outputNames: ['a', 'input', 'c'] }),
      /input and output names must be distinct/,
    );
  });
});
