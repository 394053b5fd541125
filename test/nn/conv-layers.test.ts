// Convolution, pooling and resampling layers: the standard layer checks (runLayerTest), PyTorch's
// initialization bounds and state-dict keys, representations, and a small CNN that learns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { type Layer, runLayerTest } from '../helpers/layer-test.js';

const { nn } = k;

describe('conv layers pass runLayerTest', () => {
  it('Conv2d', () => {
    runLayerTest(() => new nn.Conv2d(3, 4, 3, { padding: 1 }), [2, 3, 5, 5], {
      expectedParams: 4 * 3 * 9 + 4,
      expectedOutputShape: [2, 4, 5, 5],
      expectedKeys: ['weight', 'bias'],
    });
  });
  it('Conv2d groups, stride, dilation, no bias', () => {
    const make = () =>
      new nn.Conv2d(4, 6, [3, 2], { stride: 2, dilation: [1, 2], groups: 2, bias: false });
    runLayerTest(make, [2, 4, 7, 6], {
      expectedParams: 6 * 2 * 6,
      expectedOutputShape: [2, 6, 3, 2],
      expectedKeys: ['weight'],
    });
  });
  it('Conv2d depthwise', () => {
    runLayerTest(() => new nn.Conv2d(3, 3, 3, { groups: 3, padding: 'same' }), [1, 3, 4, 4], {
      expectedParams: 3 * 9 + 3,
      expectedOutputShape: [1, 3, 4, 4],
    });
  });
  it('Conv1d', () => {
    runLayerTest(() => new nn.Conv1d(2, 3, 3, { stride: 2 }), [2, 2, 9], {
      expectedParams: 3 * 2 * 3 + 3,
      expectedOutputShape: [2, 3, 4],
      expectedKeys: ['weight', 'bias'],
    });
  });
  it('ConvTranspose2d', () => {
    const make = () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 });
    runLayerTest(make, [2, 4, 3, 3], {
      expectedParams: 4 * 2 * 9 + 2,
      expectedOutputShape: [2, 2, 6, 6],
      expectedKeys: ['weight', 'bias'],
    });
  });
});

describe('pooling and resampling layers pass runLayerTest', () => {
  const cases: [string, () => Layer, number[], number[]][] = [
    ['MaxPool2d', () => new nn.MaxPool2d(2), [2, 3, 6, 5], [2, 3, 3, 2]],
    [
      'MaxPool2d ceilMode',
      () => new nn.MaxPool2d(3, { stride: 2, ceilMode: true }),
      [1, 2, 6, 6],
      [1, 2, 3, 3],
    ],
    ['MaxPool1d', () => new nn.MaxPool1d(3, { stride: 2, padding: 1 }), [2, 3, 8], [2, 3, 4]],
    [
      'AvgPool2d',
      () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
      [2, 2, 6, 6],
      [2, 2, 3, 3],
    ],
    ['AvgPool1d', () => new nn.AvgPool1d(2), [2, 3, 9], [2, 3, 4]],
    ['AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d([2, 3]), [2, 3, 5, 7], [2, 3, 2, 3]],
    ['Upsample nearest', () => new nn.Upsample({ scaleFactor: 2 }), [1, 2, 3, 3], [1, 2, 6, 6]],
    [
      'Upsample bilinear',
      () => new nn.Upsample({ size: [5, 4], mode: 'bilinear' }),
      [1, 2, 3, 3],
      [1, 2, 5, 4],
    ],
  ];
  for (const [name, make, input, output] of cases) {
    it(name, () => {
      runLayerTest(make, input, {
        expectedParams: 0,
        expectedOutputShape: output,
        expectedKeys: [],
      });
    });
  }
  it('Dropout2d (fixed generator), identity in eval', () => {
    const g = new k.Generator(5);
    const start = g.getState();
    const make = () => new nn.Dropout2d(0.3, { generator: g });
    runLayerTest(make, [2, 4, 3, 3], {
      expectedParams: 0,
      expectedOutputShape: [2, 4, 3, 3],
      beforeForward: () => {
        g.setState(start);
      },
    });
    const x = k.randn([2, 4, 3, 3]);
    assert.equal(new nn.Dropout2d(0.3).eval().forward(x), x);
  });
});

describe('conv layers: initialization, keys and representation as PyTorch', () => {
  it('weight and bias within +-1/sqrt(fanIn), spread over the range', () => {
    k.manualSeed(0);
    for (const [layer, fanIn] of [
      [new nn.Conv2d(8, 16, 3), 72],
      [new nn.Conv2d(8, 16, [3, 5], { groups: 4 }), 30],
      [new nn.Conv1d(4, 6, 7), 28],
      [new nn.ConvTranspose2d(8, 6, 4, { groups: 2 }), 48],
    ] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const w = Math.max(...Array.from(layer.weight.dataSync(), Math.abs));
      assert.ok(w <= bound && w > 0.9 * bound, `${layer}: max |weight| ${w} vs bound ${bound}`);
      const b = Math.max(...Array.from(layer.bias!.dataSync(), Math.abs));
      assert.ok(b <= bound && b > 0, `${layer}: max |bias| ${b} vs bound ${bound}`);
    }
  });
  it('weight layouts [out, in/g, ...k] and [in, out/g, ...k] for transposed', () => {
    assert.deepEqual(new nn.Conv2d(6, 4, [3, 2], { groups: 2 }).weight.shape, [4, 3, 3, 2]);
    assert.deepEqual(new nn.Conv1d(6, 4, 5).weight.shape, [4, 6, 5]);
    assert.deepEqual(new nn.ConvTranspose2d(6, 4, 3, { groups: 2 }).weight.shape, [6, 2, 3, 3]);
  });
  it('toString as PyTorch', () => {
    assert.equal(
      new nn.Conv2d(1, 32, 3, { stride: 2, padding: 1 }).toString(),
      'Conv2d(1, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))',
    );
    assert.equal(
      new nn.Conv1d(4, 8, 5, { padding: 'same', groups: 2, bias: false }).toString(),
      'Conv1d(4, 8, kernel_size=(5,), stride=(1,), padding=same, groups=2, bias=False)',
    );
    assert.equal(
      new nn.ConvTranspose2d(4, 2, 3, { stride: 2, outputPadding: 1 }).toString(),
      'ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))',
    );
    assert.equal(
      new nn.MaxPool2d(2).toString(),
      'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
    );
    assert.equal(
      new nn.AvgPool2d([2, 3], { stride: 1 }).toString(),
      'AvgPool2d(kernel_size=(2, 3), stride=1, padding=0)',
    );
  });
  it('rejects bad layer arguments', () => {
    assert.throws(
      () => new nn.Conv2d(3, 4, 3, { groups: 2 }),
      /inChannels 3 .* divisible by groups 2/,
    );
    assert.throws(() => new nn.Conv2d(3, 4, 0), /kernelSize must be a positive integer/);
    assert.throws(() => new nn.Upsample({}), /exactly one of size and scaleFactor/);
    assert.throws(() => new nn.Dropout2d(1.5), /between 0 and 1/);
  });
});

describe('a small CNN learns', () => {
  it('tells a bright left half from a bright right half', () => {
    k.manualSeed(3);
    const n = 32;
    const x = k.randn([n, 1, 8, 8]).mul(0.3);
    const labels = k.randint(0, 2, [n], { dtype: 'int32' });
    const side = labels.to('float32').reshape([n, 1, 1, 1]);
    const mask = k.arange(0, 8).ge(4).to('float32').reshape([1, 1, 1, 8]);
    const inputs = x.add(side.mul(mask).add(side.neg().add(1).mul(mask.neg().add(1))));
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 4, 3),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d([1, 2]),
      new nn.Flatten(),
      new nn.Linear(8, 2),
    );
    const opt = new k.optim.Adam(model.parameters(), { lr: 0.03 });
    let loss = 0;
    for (let step = 0; step < 40; step++) {
      opt.zeroGrad();
      const l = k.F.crossEntropy(model.forward(inputs), labels);
      l.backward();
      opt.step();
      loss = l.item();
    }
    const acc = model.forward(inputs).argmax(1).eq(labels).to('float32').mean().item();
    assert.ok(acc === 1 && loss < 0.2, `accuracy ${acc}, loss ${loss}`);
  });
});
