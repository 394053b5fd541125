import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose, gradcheck } from '../helpers/gradcheck.js';
import { fromRef, isRef, type LossCase, loadNnRefs } from './fixture.js';

const { F } = k;
type Options = Record<string, unknown>;
type LossFn = (inputs: Tensor[], options: Options) => Tensor;

/** The functional loss for each fixture name (the options object is passed through). */
const LOSSES: Record<string, LossFn> = {
  mseLoss: ([a, b], o) => F.mseLoss(a!, b!, o),
  l1Loss: ([a, b], o) => F.l1Loss(a!, b!, o),
  huberLoss: ([a, b], o) => F.huberLoss(a!, b!, o),
  smoothL1Loss: ([a, b], o) => F.smoothL1Loss(a!, b!, o),
  binaryCrossEntropy: ([a, b], o) => F.binaryCrossEntropy(a!, b!, o),
  binaryCrossEntropyWithLogits: ([a, b], o) => F.binaryCrossEntropyWithLogits(a!, b!, o),
  crossEntropy: ([a, b], o) => F.crossEntropy(a!, b!, o),
  nllLoss: ([a, b], o) => F.nllLoss(a!, b!, o),
  klDiv: ([a, b], o) => F.klDiv(a!, b!, o),
  multiMarginLoss: ([a, b], o) => F.multiMarginLoss(a!, b!, o),
  cosineEmbeddingLoss: ([a, b, y], o) => F.cosineEmbeddingLoss(a!, b!, y!, o),
};

/** Whether the case's `target` holds class indices (int32 in kiln). */
function indexTarget(c: LossCase): boolean {
  if (c.name === 'nllLoss' || c.name === 'multiMarginLoss') return true;
  return c.name === 'crossEntropy' && !c.label.startsWith('probabilities');
}

function build(c: LossCase): { inputs: Tensor[]; options: Options } {
  const inputs = Object.entries(c.inputs).map(([role, ref], i) => {
    const t = fromRef(ref, role === 'target' && indexTarget(c) ? 'int32' : 'float64');
    return i === 0 && c.grad ? t.requiresGrad_() : t;
  });
  const options: Options = {};
  for (const [key, v] of Object.entries(c.options)) options[key] = isRef(v) ? fromRef(v) : v;
  return { inputs, options };
}

function describeCase(c: LossCase): string {
  const opts = Object.entries(c.options)
    .map(([key, v]) => `${key}=${isRef(v) ? `[${v.shape}]` : v}`)
    .join(' ');
  return `${c.name} ${c.label} ${opts}`.replace(/\s+/g, ' ');
}

const refs = loadNnRefs();

describe(`losses match PyTorch ${refs.torch} (values and input gradients, float64)`, () => {
  for (const c of refs.losses) {
    it(describeCase(c), () => {
      const fn = LOSSES[c.name];
      assert.ok(fn, `no kiln loss for ${c.name}`);
      const { inputs, options } = build(c);
      const out = fn(inputs, options);
      assertClose(out, fromRef(c.expected), { atol: 1e-10, rtol: 1e-9 });
      if (c.grad) {
        out.sum().backward();
        assertClose(inputs[0].grad!, fromRef(c.grad), { atol: 1e-10, rtol: 1e-9 });
      }
    });
  }
});

describe('losses pass gradcheck for every option combination', () => {
  for (const c of refs.losses.filter((x) => x.grad)) {
    it(describeCase(c), () => {
      const fn = LOSSES[c.name]!;
      const { inputs, options } = build(c);
      gradcheck((...xs) => fn(xs, options), inputs);
    });
  }
  it('binaryCrossEntropyWithLogits has the exact gradient at logit 0', () => {
    const x = k.zeros([3], { dtype: 'float64', requiresGrad: true });
    const t = k.tensor([0, 0.25, 1], { dtype: 'float64' });
    F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }).backward();
    // d/dx = sigmoid(x) - t
    assertClose(x.grad!, [0.5, 0.25, -0.5], { atol: 1e-15 });
  });
});

describe('loss modules', () => {
  it('forward equals the functional form and weights are PyTorch-keyed buffers', () => {
    const logits = k.randn([4, 3]);
    const labels = k.tensor([0, 2, 1, 1], { dtype: 'int32' });
    const w = k.tensor([1, 2, 0.5]);
    const ce = new k.nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 });
    assert.equal(
      ce.forward(logits, labels).item(),
      F.crossEntropy(logits, labels, { weight: w, labelSmoothing: 0.1 }).item(),
    );
    assert.deepEqual(Object.keys(ce.stateDict()), refs.stateKeys.crossEntropyWeighted);
    const bce = new k.nn.BCEWithLogitsLoss({ weight: k.ones([3]), posWeight: k.ones([3]) });
    assert.deepEqual(Object.keys(bce.stateDict()), refs.stateKeys.bceWithLogitsWeighted);
    assert.deepEqual(Object.keys(new k.nn.MSELoss().stateDict()), refs.stateKeys.mseLoss);
    const pairs: [k.nn.Module<[Tensor, Tensor], Tensor>, Tensor][] = [
      [
        new k.nn.MSELoss({ reduction: 'sum' }),
        F.mseLoss(logits, logits.mul(2), { reduction: 'sum' }),
      ],
      [new k.nn.L1Loss(), F.l1Loss(logits, logits.mul(2))],
      [new k.nn.HuberLoss({ delta: 0.5 }), F.huberLoss(logits, logits.mul(2), { delta: 0.5 })],
      [new k.nn.SmoothL1Loss({ beta: 2 }), F.smoothL1Loss(logits, logits.mul(2), { beta: 2 })],
      [
        new k.nn.KLDivLoss({ reduction: 'batchmean' }),
        F.klDiv(logits, logits.mul(2), { reduction: 'batchmean' }),
      ],
    ];
    for (const [m, expected] of pairs)
      assert.equal(m.forward(logits, logits.mul(2)).item(), expected.item(), m.constructor.name);
    const probs = logits.sigmoid();
    const target = k.rand([4, 3]);
    assert.equal(
      new k.nn.BCELoss().forward(probs, target).item(),
      F.binaryCrossEntropy(probs, target).item(),
    );
    const logp = logits.logSoftmax(1);
    assert.equal(new k.nn.NLLLoss().forward(logp, labels).item(), F.nllLoss(logp, labels).item());
    assert.equal(
      new k.nn.MultiMarginLoss({ p: 2 }).forward(logits, labels).item(),
      F.multiMarginLoss(logits, labels, { p: 2 }).item(),
    );
    const y = k.tensor([1, -1, 1, -1]);
    assert.equal(
      new k.nn.CosineEmbeddingLoss({ margin: 0.1 }).forward(logits, target, y).item(),
      F.cosineEmbeddingLoss(logits, target, y, { margin: 0.1 }).item(),
    );
  });
});

describe('loss errors name the loss, the shapes and the bad value', () => {
  const logits = k.randn([4, 3]);
  it('wrong target dtype', () => {
    assert.throws(
      () => F.crossEntropy(logits, k.tensor([0, 1, 2, 1], { dtype: 'bool' })),
      (e: Error) =>
        e instanceof k.DTypeError && /crossEntropy: target must be int32/.test(e.message),
    );
    assert.throws(() => F.nllLoss(logits, k.tensor([0, 1, 2, 1])), k.DTypeError);
    assert.throws(() => F.mseLoss(logits, k.zeros([4, 3], { dtype: 'int32' })), k.DTypeError);
  });
  it('wrong shapes', () => {
    assert.throws(
      () => F.crossEntropy(logits, k.tensor([0, 1], { dtype: 'int32' })),
      (e: Error) =>
        e instanceof k.ShapeError && e.message.includes('[2]') && e.message.includes('[4,3]'),
    );
    assert.throws(
      () => F.mseLoss(logits, k.zeros([4])),
      (e: Error) =>
        e instanceof k.ShapeError && /mseLoss: input \[4,3\] and target \[4\]/.test(e.message),
    );
    assert.throws(() => F.crossEntropy(logits, k.zeros([4, 2])), k.ShapeError);
    assert.throws(
      () => F.crossEntropy(logits, labelsOf([0, 1, 2, 1]), { weight: k.ones([2]) }),
      k.ShapeError,
    );
  });
  it('class index out of range (ignoreIndex allowed)', () => {
    assert.throws(
      () => F.crossEntropy(logits, labelsOf([0, 3, 1, 1])),
      (e: Error) =>
        e instanceof k.ValueError &&
        /crossEntropy: target 3 is out of bounds for 3 classes/.test(e.message),
    );
    assert.throws(() => F.nllLoss(logits, labelsOf([0, -1, 1, 1])), /nllLoss: target -1/);
    assert.throws(
      () => F.multiMarginLoss(logits, labelsOf([0, 1, 9, 1])),
      /multiMarginLoss: target 9/,
    );
    const v = F.crossEntropy(logits, labelsOf([0, -100, 1, 1]));
    assert.ok(Number.isFinite(v.item()));
  });
  it('bad values and options', () => {
    assert.throws(
      () => F.binaryCrossEntropy(k.tensor([0.5, 1.5]), k.tensor([1, 0])),
      /between 0 and 1, got 1.5/,
    );
    assert.throws(
      () => F.cosineEmbeddingLoss(logits, logits, k.tensor([1, 0, 1, 1])),
      /1 or -1, got 0/,
    );
    assert.throws(() => F.mseLoss(logits, logits, { reduction: 'avg' as 'mean' }), k.ValueError);
    assert.throws(
      () => F.crossEntropy(logits, labelsOf([0, 1, 2, 1]), { labelSmoothing: 2 }),
      k.ValueError,
    );
  });
  it('all-ignored targets give NaN under mean, as PyTorch', () => {
    assert.ok(Number.isNaN(F.crossEntropy(logits, labelsOf([-100, -100, -100, -100])).item()));
  });
});

function labelsOf(values: number[]): Tensor {
  return k.tensor(values, { dtype: 'int32' });
}
