import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { batches, roundTrip, roundTrips, tempPath } from './ort.js';

const { nn, F } = k;
const dyn = { dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } } };

after(() => {
  const worst = Math.max(...roundTrips.map((r) => r.diff));
  console.log(
    `# layers: ${roundTrips.length} onnxruntime outputs vs kiln, max relative diff ${worst.toExponential(2)}`,
  );
});

/** A module from a function of one tensor (for reshapes, slicing and functional ops). */
class Fn extends nn.Module<[k.Tensor], k.Tensor> {
  constructor(readonly fn: (x: k.Tensor) => k.Tensor) {
    super();
  }
  forward(x: k.Tensor): k.Tensor {
    return this.fn(x);
  }
}

/** Exports `model` traced at batch 2 and checks batches 2, 1 and 5 against kiln. */
async function check(
  name: string,
  model: k.nn.Module,
  sample: readonly number[],
  tol = 1e-5,
): Promise<void> {
  k.manualSeed(7);
  const make = (n: number) => [k.randn([n, ...sample])];
  await roundTrip(name, model, make(2), batches(make), dyn, tol);
}

describe('onnx export of single layers matches kiln in onnxruntime (dynamic batch)', () => {
  const cases: [string, () => k.nn.Module, number[]][] = [
    ['Linear', () => new nn.Linear(6, 4), [6]],
    ['Linear without bias', () => new nn.Linear(6, 4, { bias: false }), [6]],
    ['Linear on 3-D input', () => new nn.Linear(6, 4), [3, 6]],
    ['Linear 3-D without bias', () => new nn.Linear(6, 4, { bias: false }), [3, 6]],
    ['Conv1d stride 2 padding 1', () => new nn.Conv1d(3, 5, 3, { stride: 2, padding: 1 }), [3, 11]],
    [
      'Conv1d dilation 2 groups 3',
      () => new nn.Conv1d(3, 6, 3, { dilation: 2, groups: 3 }),
      [3, 12],
    ],
    ['Conv2d', () => new nn.Conv2d(2, 4, 3), [2, 8, 7]],
    [
      "Conv2d padding 'same' even kernel",
      () => new nn.Conv2d(2, 4, [4, 2], { padding: 'same' }),
      [2, 7, 6],
    ],
    [
      'Conv2d stride 2 no bias groups 2',
      () => new nn.Conv2d(4, 6, 3, { stride: [2, 1], padding: [1, 0], groups: 2, bias: false }),
      [4, 9, 8],
    ],
    ['ConvTranspose2d', () => new nn.ConvTranspose2d(3, 2, 3), [3, 5, 4]],
    [
      'ConvTranspose2d stride 2 padding 1 outputPadding 1',
      () => new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
      [4, 5, 5],
    ],
    ['MaxPool2d', () => new nn.MaxPool2d(2), [3, 8, 7]],
    [
      'MaxPool2d stride 1 padding 1 ceilMode',
      () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
      [2, 8, 9],
    ],
    ['MaxPool2d dilation 2', () => new nn.MaxPool2d(2, { stride: 1, dilation: 2 }), [2, 6, 6]],
    ['MaxPool1d', () => new nn.MaxPool1d(3, { stride: 2 }), [2, 10]],
    ['AvgPool2d', () => new nn.AvgPool2d(2), [3, 8, 6]],
    [
      'AvgPool2d padding countIncludePad false',
      () => new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
      [2, 7, 8],
    ],
    ['AvgPool2d ceilMode', () => new nn.AvgPool2d(2, { ceilMode: true }), [2, 7, 5]],
    ['AvgPool1d', () => new nn.AvgPool1d(3, { stride: 2, padding: 1 }), [2, 9]],
    ['AdaptiveAvgPool2d 1', () => new nn.AdaptiveAvgPool2d(1), [3, 5, 4]],
    ['AdaptiveAvgPool2d [3, 2]', () => new nn.AdaptiveAvgPool2d([3, 2]), [3, 7, 5]],
    ['BatchNorm1d [N, C]', () => trainedNorm(new nn.BatchNorm1d(5), [5]), [5]],
    ['BatchNorm1d [N, C, L]', () => trainedNorm(new nn.BatchNorm1d(3), [3, 6]), [3, 6]],
    [
      'BatchNorm2d without affine',
      () => trainedNorm(new nn.BatchNorm2d(3, { affine: false }), [3, 4, 4]),
      [3, 4, 4],
    ],
    ['LayerNorm', () => new nn.LayerNorm(6), [4, 6]],
    [
      'LayerNorm over two dims without affine',
      () => new nn.LayerNorm([3, 4], { elementwiseAffine: false }),
      [3, 4],
    ],
    [
      'Dropout (eval: identity) then ReLU',
      () => new nn.Sequential(new nn.Dropout(0.5), new nn.ReLU()),
      [6],
    ],
    [
      'ReLU, LeakyReLU, ELU',
      () =>
        new nn.Sequential(
          new nn.ReLU(),
          new nn.Linear(5, 5),
          new nn.LeakyReLU(0.2),
          new nn.ELU(0.7),
        ),
      [5],
    ],
    [
      'GELU exact and tanh',
      () => new nn.Sequential(new nn.GELU(), new nn.GELU({ approximate: 'tanh' })),
      [7],
    ],
    ['Sigmoid, Tanh', () => new nn.Sequential(new nn.Sigmoid(), new nn.Tanh()), [7]],
    ['Softmax head', () => new nn.Sequential(new nn.Linear(6, 4), new nn.Softmax(1)), [6]],
    ['LogSoftmax head', () => new nn.Sequential(new nn.Linear(6, 4), new nn.LogSoftmax(-1)), [6]],
    ['Flatten', () => new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 2)), [3, 4]],
    ['Flatten startDim 2', () => new nn.Flatten({ startDim: 2 }), [3, 2, 2]],
    ['Upsample nearest', () => new nn.Upsample({ scaleFactor: 2, mode: 'nearest' }), [2, 3, 4]],
    ['RNNCell', () => new Fn(cellRunner(new nn.RNNCell(4, 3))), [4]],
    ['LSTMCell', () => new Fn(cellRunner(new nn.LSTMCell(4, 3))), [4]],
    ['GRUCell', () => new Fn(cellRunner(new nn.GRUCell(4, 3))), [4]],
  ];
  for (const [name, make, sample] of cases) {
    it(name, async () => {
      k.manualSeed(1);
      await check(name, make().eval(), sample);
    });
  }

  it('functional ops: reshape, permute, cat, slicing, reductions, clamp, where, matmul', async () => {
    const w = k.randn([4, 3]);
    const model = new Fn((x) => {
      const a = x.reshape([x.shape[0]!, 2, 6]).permute([0, 2, 1]); // [N, 6, 2]
      const b = k.cat([a, a.slice(1, 1, 5, 2).mul(2)], 1); // [N, 8, 2]
      const c = b.transpose(1, 2).narrow(2, 1, 4).contiguous(); // [N, 2, 4]
      const d = c.matmul(w).clamp(-1, 1.5); // [N, 2, 3]
      const e = k.where(d.gt(0), d.exp(), d.abs().sqrt().neg());
      const f = e
        .sum(2, true)
        .add(e.amax(1, true))
        .sub(e.amin(1, true))
        .div(e.mean(-1, true).add(3));
      return k.cat([f.flatten(1), x.select(1, 0).unsqueeze(1), x.pow(2).slice(1, -3)], 1);
    });
    await check('functional ops', model, [12]);
  });

  it('more elementwise: softplus (beta), log1p, expm1, sin, cos, sign, reciprocal, square, pad, logsumexp', async () => {
    const model = new Fn((x) => {
      const a = F.softplus(x, { beta: 2 }).add(x.abs().log1p()).add(x.expm1().mul(0.1));
      const b = a.sin().add(x.cos()).mul(x.sign()).add(x.square().add(1).reciprocal());
      const c = k.pad(b, [1, 2]).add(b.logsumexp(1, true).mean());
      return k.cat([c, x.argmax(1, true).to('float32')], 1);
    });
    await check('elementwise', model, [5]);
  });

  it('a state made from the traced batch size: exports with a fixed batch, a clear error with a dynamic one', async () => {
    const cell = new nn.GRUCell(4, 3);
    const model = new nn.Sequential(cell).eval();
    const x = k.randn([2, 4]);
    await roundTrip('GRUCell fixed batch', model, [x], [[x]]);
    await assert.rejects(
      k.onnx.export(model, [x], tempPath('bad.onnx'), dyn),
      /changes to \[3,3\] with the input size/,
    );
    const mean = new Fn((t) => t.sum().div(t.shape[0]!));
    await assert.rejects(
      k.onnx.export(mean, [x], tempPath('bad2.onnx'), dyn),
      /computed inside the forward \(from an input's size/,
    );
  });

  it('an op without an ONNX translation names its module path and op', async () => {
    const target = k.tensor([1, 0], { dtype: 'int32' });
    const model = new nn.Sequential(new nn.Linear(4, 2), new Fn((t) => F.crossEntropy(t, target)));
    await assert.rejects(
      k.onnx.export(model, [k.randn([2, 4])], tempPath('ce.onnx')),
      /cannot export 'crossEntropy' in module '1'/,
    );
    await assert.rejects(
      k.onnx.export(model, [k.randn([2, 4])], tempPath('x.onnx'), { opsetVersion: 9 }),
      /opsetVersion must be an integer from 13/,
    );
  });

  it('Embedding on int32 indices (dynamic batch)', async () => {
    const model = new nn.Sequential(
      new nn.Embedding(10, 4, { paddingIdx: 0 }),
      new nn.Flatten(),
      new nn.Linear(12, 2),
    ).eval();
    const make = (n: number) => [k.randint(0, 10, [n, 3], { dtype: 'int32' })];
    await roundTrip('Embedding', model, make(2), batches(make), dyn);
  });
});

/** A BatchNorm with running statistics from a few training steps, in eval mode. */
function trainedNorm<T extends k.nn.Module<[k.Tensor], k.Tensor>>(bn: T, sample: number[]): T {
  bn.train();
  k.noGrad(() => {
    for (let i = 0; i < 3; i++)
      bn.forward(
        k
          .randn([8, ...sample])
          .mul(2)
          .add(1),
      );
  });
  for (const p of bn.parameters()) k.noGrad(() => p.add_(k.randn(p.shape).mul(0.1)));
  return bn.eval();
}

/**
 * Runs a recurrent cell for two steps from a state derived from x (a zero state made from
 * x.shape[0] would be a constant of the traced batch size).
 */
function cellRunner(cell: k.nn.RNNCell | k.nn.LSTMCell | k.nn.GRUCell): (x: k.Tensor) => k.Tensor {
  return (x) => {
    const h0 = x.narrow(1, 0, 3).mul(0.1);
    if (cell instanceof nn.LSTMCell) {
      const s = cell.forward(x, [h0, h0.mul(-1)]);
      return cell.forward(x.mul(0.5), s)[1];
    }
    const h = (cell as k.nn.GRUCell).forward(x, h0);
    return (cell as k.nn.GRUCell).forward(x.mul(0.5), h);
  };
}
