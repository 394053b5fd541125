import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import type { LayerConfig } from '../../src/nn/index.js';

const { nn } = k;

/** A minimal config and a fitting input shape [batch, ...] for every registered layer. */
const CASES: Record<string, { config: LayerConfig; input: number[] }> = {
  Linear: { config: { type: 'Linear', outFeatures: 3 }, input: [2, 5] },
  Flatten: { config: { type: 'Flatten' }, input: [2, 3, 4] },
  Identity: { config: { type: 'Identity' }, input: [2, 3] },
  ReLU: { config: { type: 'ReLU' }, input: [2, 3] },
  Sigmoid: { config: { type: 'Sigmoid' }, input: [2, 3] },
  Tanh: { config: { type: 'Tanh' }, input: [2, 3] },
  LeakyReLU: { config: { type: 'LeakyReLU', negativeSlope: 0.2 }, input: [2, 3] },
  ELU: { config: { type: 'ELU', alpha: 0.5 }, input: [2, 3] },
  GELU: { config: { type: 'GELU', approximate: 'tanh' }, input: [2, 3] },
  Softmax: { config: { type: 'Softmax' }, input: [2, 3] },
  LogSoftmax: { config: { type: 'LogSoftmax', dim: 1 }, input: [2, 3] },
  Dropout: { config: { type: 'Dropout', p: 0.3 }, input: [2, 3] },
  Dropout2d: { config: { type: 'Dropout2d', p: 0.3 }, input: [2, 3, 4, 4] },
  BatchNorm1d: { config: { type: 'BatchNorm1d', momentum: null }, input: [2, 6] },
  BatchNorm2d: { config: { type: 'BatchNorm2d', affine: false }, input: [2, 3, 4, 4] },
  LayerNorm: { config: { type: 'LayerNorm', eps: 1e-3 }, input: [2, 4, 6] },
  Embedding: { config: { type: 'Embedding', numEmbeddings: 10, embeddingDim: 4 }, input: [2, 3] },
  CategoryEmbedding: {
    config: { type: 'CategoryEmbedding', numEmbeddings: [3, 4], embeddingDim: 2 },
    input: [2, 5],
  },
  Conv1d: {
    config: { type: 'Conv1d', outChannels: 4, kernelSize: 3, padding: 'same' },
    input: [2, 2, 9],
  },
  Conv2d: {
    config: { type: 'Conv2d', outChannels: 4, kernelSize: [3, 1], stride: 2 },
    input: [2, 3, 8, 8],
  },
  ConvTranspose2d: {
    config: { type: 'ConvTranspose2d', outChannels: 2, kernelSize: 2, stride: 2 },
    input: [2, 3, 4, 4],
  },
  MaxPool1d: { config: { type: 'MaxPool1d', kernelSize: 2 }, input: [2, 3, 8] },
  MaxPool2d: { config: { type: 'MaxPool2d', kernelSize: 2, stride: 1 }, input: [2, 3, 6, 6] },
  AvgPool1d: { config: { type: 'AvgPool1d', kernelSize: 2 }, input: [2, 3, 8] },
  AvgPool2d: {
    config: { type: 'AvgPool2d', kernelSize: 2, divisorOverride: 3 },
    input: [2, 3, 6, 6],
  },
  AdaptiveAvgPool2d: { config: { type: 'AdaptiveAvgPool2d', outputSize: 1 }, input: [2, 3, 5, 5] },
  Upsample: { config: { type: 'Upsample', scaleFactor: 2, mode: 'bilinear' }, input: [1, 2, 3, 3] },
  LSTM: { config: { type: 'LSTM', hiddenSize: 5, numLayers: 2 }, input: [2, 7, 3] },
  GRU: {
    config: { type: 'GRU', hiddenSize: 5, bidirectional: true, output: 'sequence' },
    input: [2, 7, 3],
  },
  RNN: { config: { type: 'RNN', hiddenSize: 5, nonlinearity: 'relu' }, input: [2, 7, 3] },
  TransformerEncoderLayer: {
    config: { type: 'TransformerEncoderLayer', nhead: 2, dimFeedforward: 16 },
    input: [2, 5, 8],
  },
  TransformerEncoder: {
    config: {
      type: 'TransformerEncoder',
      nhead: 2,
      numLayers: 2,
      dimFeedforward: 16,
      norm: true,
      activation: 'gelu',
    },
    input: [2, 5, 8],
  },
  PositionalEncoding: { config: { type: 'PositionalEncoding', maxLen: 50 }, input: [2, 5, 8] },
  SelfAttention: {
    config: { type: 'SelfAttention', numHeads: 2, isCausal: true },
    input: [2, 5, 8],
  },
  SequencePool: { config: { type: 'SequencePool', mode: 'mean' }, input: [2, 5, 8] },
  Sequential: {
    config: { type: 'Sequential', layers: [{ type: 'Linear', outFeatures: 4 }, { type: 'ReLU' }] },
    input: [2, 3],
  },
};

function input(type: string, shape: number[]): k.Tensor {
  // CategoryEmbedding: level indices (as floats) in its two leading columns, then features.
  if (type === 'CategoryEmbedding')
    return k.tensor([
      [2, 3, 0.5, -1, 2],
      [0, 1, 1, 0, -2],
    ]);
  return type === 'Embedding' ? k.randint(0, 10, shape) : k.randn(shape);
}

describe('layer registry', () => {
  it('has a case here for every registered type (new layers must be added to this test)', () => {
    assert.deepEqual(nn.layerTypes().sort(), Object.keys(CASES).sort());
  });

  for (const [type, { config, input: shape }] of Object.entries(CASES)) {
    it(`${type}: config -> module -> config -> module gives the same layer and outputs`, () => {
      const a = nn.layerFromConfig(config, { inputShape: shape }).eval();
      const described = nn.layerToConfig(a);
      assert.equal(described.type, type);
      // Every option the config gave survives; the description is complete (no shape needed).
      for (const [key, v] of Object.entries(config)) {
        if (key !== 'layers') assert.deepEqual(described[key], v, `${type}.${key}`);
      }
      const b = nn.layerFromConfig(JSON.parse(JSON.stringify(described))).eval();
      assert.deepEqual(nn.layerToConfig(b), described);
      const sdA = a.stateDict();
      assert.deepEqual(
        Object.entries(b.stateDict()).map(([key, t]) => [key, t.shape]),
        Object.entries(sdA).map(([key, t]) => [key, t.shape]),
      );
      b.loadStateDict(sdA);
      const x = input(type, shape);
      const ya = a.forward(x) as k.Tensor;
      const yb = b.forward(x) as k.Tensor;
      assert.deepEqual(yb.toArray(), ya.toArray());
    });
  }

  it('describes modules built directly, with PyTorch constructor defaults', () => {
    const lstm = new nn.RecurrentBlock(new nn.LSTM(3, 4), { output: 'sequence' });
    assert.deepEqual(nn.layerToConfig(lstm), {
      type: 'LSTM',
      inputSize: 3,
      hiddenSize: 4,
      numLayers: 1,
      bias: true,
      batchFirst: false,
      dropout: 0,
      bidirectional: false,
      output: 'sequence',
    });
    const conv = new nn.Conv2d(3, 8, 3, { padding: 1, bias: false });
    assert.deepEqual(nn.layerToConfig(conv), {
      type: 'Conv2d',
      inChannels: 3,
      outChannels: 8,
      kernelSize: 3,
      stride: 1,
      padding: 1,
      dilation: 1,
      groups: 1,
      bias: false,
    });
  });

  it('builds a recurrent block followed by a head from a flat list, inferring sizes', () => {
    const model = nn.buildSequential(
      [
        { type: 'GRU', hiddenSize: 6 },
        { type: 'Dropout', p: 0.1 },
        { type: 'Linear', outFeatures: 2 },
      ],
      { sampleShape: [10, 3] },
    );
    assert.deepEqual(model.forward(k.randn([4, 10, 3])).shape, [4, 2]);
    const config = nn.layerToConfig(model);
    assert.equal((config.layers as LayerConfig[])[2]!.inFeatures, 6);
  });

  it('rejects unknown options with a did-you-mean, wrong types, missing sizes', () => {
    const bad = (config: LayerConfig, message: RegExp, shape?: number[]) =>
      assert.throws(
        () =>
          nn.layerFromConfig(config, { ...(shape ? { inputShape: shape } : {}), where: 'model.1' }),
        (e: Error) =>
          e instanceof k.ConfigError && message.test(e.message) && !e.message.includes('\n'),
      );
    bad({ type: 'Dropout', rate: 0.9 }, /model\.1 \(Dropout\): unknown option 'rate'.*options: p/);
    bad(
      { type: 'Linear', out_features: 3 },
      /unknown option 'out_features'; did you mean 'outFeatures'\?/,
      [2, 4],
    );
    bad(
      { type: 'Linear', outFeatures: '3' },
      /model\.1 \(Linear\)\.outFeatures: must be an integer, got "3"/,
      [2, 4],
    );
    bad({ type: 'Linear', outFeatures: 3 }, /missing option 'inFeatures'/);
    bad({ type: 'Dropout', p: 1.5 }, /\.p: must be <= 1/);
    bad({ type: 'Lienar' }, /unknown layer 'Lienar'; did you mean 'Linear'\?/);
    bad(
      { type: 'LSTM', hiddenSize: 4, output: 'all' },
      /output: must be one of 'last', 'sequence'/,
      [2, 3, 1],
    );
  });

  it('names the layer and the shape when a layer does not fit its input', () => {
    assert.throws(
      () =>
        nn.buildSequential(
          [
            { type: 'Linear', outFeatures: 4 },
            { type: 'Conv2d', outChannels: 2, kernelSize: 3 },
          ],
          { sampleShape: [5] },
        ),
      /model\.1 \(Conv2d\) does not accept input of shape \[2,4\]/,
    );
  });

  it('refuses to describe a module it does not know', () => {
    class Square extends nn.Module<[k.Tensor], k.Tensor> {
      forward(x: k.Tensor) {
        return x.mul(x);
      }
    }
    assert.throws(() => nn.layerToConfig(new Square()), /Square has no config form/);
    nn.registerLayer(
      nn.defineLayer(Square, {
        type: 'Square',
        description: 'x^2',
        options: {},
        create: () => new Square(),
        describe: () => ({}),
      }),
    );
    assert.deepEqual(nn.layerToConfig(new Square()), { type: 'Square' });
    assert.throws(
      () => nn.registerLayer({ ...nn.describeLayers()[0]! } as never),
      /already registered/,
    );
  });
});
