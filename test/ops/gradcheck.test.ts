// Gradient checks (central differences, float64, js backend) of every differentiable primitive
// and composite of the core, on contiguous, transposed, sliced and broadcast inputs, plus edge
// shapes (size-1 dims, 0-d, empty).
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { gradcheck, type LayoutOptions, layouts } from '../helpers/gradcheck.js';

type Fn = (...xs: Tensor[]) => Tensor;

/** Runs gradcheck of a unary fn on every layout of `shape`. */
function eachLayout(fn: Fn, shape: number[], options: LayoutOptions = {}, tol = {}): void {
  for (const { name, tensor } of layouts(shape, options)) {
    try {
      gradcheck(fn, [tensor], tol);
    } catch (e) {
      throw new Error(`${name} ${JSON.stringify(shape)}: ${(e as Error).message}`);
    }
  }
}

/** Runs gradcheck of a binary fn on every pair of same-named layouts of `sa` and `sb`. */
function eachLayoutPair(fn: Fn, sa: number[], sb: number[], oa: LayoutOptions = {}, ob = oa) {
  const la = layouts(sa, { seed: 3, ...oa });
  const lb = layouts(sb, { seed: 4, ...ob });
  for (const a of la) {
    for (const b of lb) {
      if (a.name !== b.name && a.name !== 'contiguous' && b.name !== 'contiguous') continue;
      try {
        gradcheck(fn, [a.tensor, b.tensor]);
      } catch (e) {
        throw new Error(`${a.name} x ${b.name}: ${(e as Error).message}`);
      }
      a.base.grad = null;
      b.base.grad = null;
    }
  }
}

const positive: LayoutOptions = { low: 0.5, high: 2 };

describe('gradcheck: unary primitives on four layouts', () => {
  const cases: [string, Fn, LayoutOptions?][] = [
    ['neg', (x) => x.neg()],
    ['abs', (x) => x.abs()],
    ['exp', (x) => x.exp()],
    ['log', (x) => x.log(), positive],
    ['log1p', (x) => x.log1p(), positive],
    ['expm1', (x) => x.expm1()],
    ['sqrt', (x) => x.sqrt(), positive],
    ['rsqrt', (x) => x.rsqrt(), positive],
    ['square', (x) => x.square()],
    ['reciprocal', (x) => x.reciprocal(), positive],
    ['sin', (x) => x.sin()],
    ['cos', (x) => x.cos()],
    ['erf', (x) => x.erf()],
    ['relu', (x) => x.relu()],
    ['sigmoid', (x) => x.sigmoid()],
    ['tanh', (x) => x.tanh()],
    ['leakyRelu', (x) => k.F.leakyRelu(x, 0.2)],
    ['elu', (x) => k.F.elu(x, 1.5)],
    ['gelu', (x) => k.F.gelu(x)],
    ['gelu tanh', (x) => k.F.gelu(x, { approximate: 'tanh' })],
    ['softplus', (x) => k.F.softplus(x)],
    ['softplus beta', (x) => k.F.softplus(x, { beta: 2, threshold: 1.5 })],
    ['clamp', (x) => x.clamp(-0.7, 0.9)],
    ['clamp min', (x) => x.clamp(-0.5)],
    ['clamp max', (x) => x.clamp(null, 0.5)],
    ['pow 3', (x) => x.pow(3)],
    ['pow 0.5', (x) => x.pow(0.5), positive],
    ['pow -1.5', (x) => x.pow(-1.5), positive],
    ['pow 0', (x) => x.pow(0).add(x)],
    [
      'sign, floor, ceil, round',
      (x) => x.sign().add(x.floor()).add(x.ceil()).add(x.round()).add(x),
    ],
    ['clone', (x) => x.clone()],
    ['contiguous', (x) => x.contiguous().mul(2)],
  ];
  for (const [name, fn, opts] of cases) {
    it(name, () => eachLayout(fn, [2, 3], opts));
  }
  it('cast to float32 and back (steps above float32 resolution)', () => {
    eachLayout((x) => x.to('float32').to('float64').mul(x), [2, 3], {}, { eps: 1e-2, atol: 1e-3 });
  });
});

describe('gradcheck: binary primitives with broadcasting', () => {
  const cases: [string, Fn, LayoutOptions?][] = [
    ['add', (a, b) => a.add(b)],
    ['sub', (a, b) => a.sub(b)],
    ['mul', (a, b) => a.mul(b)],
    ['div', (a, b) => a.div(b), positive],
    ['pow', (a, b) => a.pow(b), positive],
    ['maximum', (a, b) => a.maximum(b)],
    ['minimum', (a, b) => a.minimum(b)],
    ['where', (a, b) => k.where(a.gt(b), a, b)],
  ];
  for (const [name, fn, opts] of cases) {
    it(`${name}: same shape`, () => eachLayoutPair(fn, [2, 3], [2, 3], opts));
    it(`${name}: broadcast [2,3] with [3] and [2,1]`, () => {
      eachLayoutPair(fn, [2, 3], [3], opts);
      eachLayoutPair(fn, [2, 1], [2, 3], opts);
    });
    it(`${name}: 0-d and number operands`, () => {
      const [x] = layouts([2, 2], { seed: 5, ...opts });
      const [s] = layouts([], { seed: 6, ...opts });
      gradcheck(fn, [x!.tensor, s!.tensor]);
      gradcheck((a) => fn(a, k.tensor(1.25, { dtype: 'float64' })), [x!.tensor]);
    });
  }
  it('numbers on the left: k.sub(1, x), k.div(2, x), k.pow(2, x)', () => {
    eachLayout((x) => k.sub(1, x).mul(k.div(2, x)).add(k.pow(2, x)), [2, 3], positive);
  });
  it('pow at a zero base and zero exponent', () => {
    const a = k.tensor([0, 2, 3], { dtype: 'float64', requiresGrad: true });
    const b = k.tensor([2, 0, 1.5], { dtype: 'float64', requiresGrad: true });
    gradcheck((x, y) => x.pow(y), [a, b]);
  });
  it('mixed float32/float64 operands keep each input dtype for its grad', () => {
    const a = k.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    gradcheck((x) => x.mul(k.tensor([3, 4], { dtype: 'float32' })), [a]);
  });
});

describe('gradcheck: reductions and composites', () => {
  const cases: [string, Fn, number[]?][] = [
    ['sum all', (x) => x.sum()],
    ['sum dim 1', (x) => x.sum(1)],
    ['sum dims [0,2] keepDim', (x) => x.sum([0, 2], true), [2, 3, 2]],
    ['mean -1', (x) => x.mean(-1)],
    ['mean all', (x) => x.mean()],
    ['amax', (x) => x.amax(1)],
    ['amin keepDim', (x) => x.amin(0, true)],
    ['max all', (x) => x.max()],
    ['min [0,1]', (x) => x.min([0, 1]), [2, 2, 3]],
    ['var', (x) => x.var(1)],
    ['var correction 0 all', (x) => x.var(null, { correction: 0 })],
    ['std keepDim', (x) => x.std(1, { keepDim: true })],
    ['logsumexp', (x) => x.logsumexp(1)],
    ['logsumexp all keepDim', (x) => x.logsumexp(null, true)],
    ['softmax', (x) => x.softmax(1)],
    ['softmax dim 0', (x) => x.softmax(0)],
    ['logSoftmax -1', (x) => x.logSoftmax(-1)],
    ['logSoftmax 3-d dim 1', (x) => x.logSoftmax(1), [2, 3, 2]],
  ];
  for (const [name, fn, shape] of cases) {
    it(name, () => eachLayout(fn, shape ?? [3, 4]));
  }
  it('amax with ties shares the gradient evenly', () => {
    const x = k.tensor(
      [
        [1, 3, 3],
        [2, 2, 0],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    x.amax(1).sum().backward();
    assertGrad(x, [
      [0, 0.5, 0.5],
      [0.5, 0.5, 0],
    ]);
  });
});

function assertGrad(x: Tensor, expected: number[][]): void {
  const got = x.grad!.toArray();
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    throw new Error(`grad ${JSON.stringify(got)} != ${JSON.stringify(expected)}`);
  }
}

describe('gradcheck: views', () => {
  const cases: [string, Fn, number[]][] = [
    ['reshape', (x) => x.reshape([3, -1]), [2, 3, 2]],
    ['view of contiguous', (x) => x.contiguous().view([6, 2]), [2, 3, 2]],
    ['transpose', (x) => x.transpose(0, -1), [2, 3, 2]],
    ['permute', (x) => x.permute([1, 2, 0]), [2, 3, 2]],
    ['T', (x) => x.T, [2, 3]],
    ['expand', (x) => x.unsqueeze(0).expand([3, -1, -1]), [2, 3]],
    ['expandAs', (x) => x.expandAs(k.zeros([4, 2, 3])), [2, 3]],
    ['narrow', (x) => x.narrow(1, 1, 2), [2, 4]],
    ['slice step', (x) => x.slice(1, 0, undefined, 2), [2, 5]],
    ['slice negative', (x) => x.slice(0, -2), [3, 2]],
    ['select', (x) => x.select(1, -1), [2, 3]],
    ['squeeze', (x) => x.squeeze(), [2, 1, 3]],
    ['unsqueeze', (x) => x.unsqueeze(-1), [2, 3]],
    ['flatten', (x) => x.flatten(1), [2, 2, 3]],
    ['split', (x) => x.split([1, 2], 1)[1]!, [2, 3]],
    ['chunk', (x) => x.chunk(2, 0)[1]!, [3, 2]],
  ];
  for (const [name, fn, shape] of cases) {
    it(name, () => eachLayout(fn, shape));
  }
  it('slice of a slice (unslice of unslice, double backward path)', () => {
    eachLayout((x) => x.slice(0, 1, undefined, 2).slice(0, 1), [7]);
  });
  it('second order through slicing: the unslice rule itself is differentiated', () => {
    // x.grad = unslice(unslice(2 * (s * w) * w)) with s the strided slice of x; its derivative
    // in w runs backward through unslice, which a first-order check never does.
    const xs = k.tensor([0.3, -1.2, 0.7, 2.1, -0.4, 1.6, 0.9], { dtype: 'float64' });
    const gradOfGrad = (w: Tensor) =>
      k.enableGrad(() => {
        const x = xs.clone().requiresGrad_();
        const y = x.slice(0, 1, undefined, 2).slice(0, 1).mul(w).square().sum();
        y.backward(undefined, { createGraph: true });
        w.grad = null; // only x.grad is the output; backward also reached w
        return x
          .grad!.mul(k.tensor([1, 2, 3, 4, 5, 6, 7], { dtype: 'float64' }))
          .square()
          .sum();
      });
    const w = k.tensor([0.8, -1.5], { dtype: 'float64', requiresGrad: true });
    gradcheck(gradOfGrad, [w]);
  });
});

describe('gradcheck: linear algebra', () => {
  it('matmul 2-D', () => eachLayoutPair((a, b) => a.matmul(b), [2, 3], [3, 4]));
  it('matmul batched with broadcast batch dims', () => {
    eachLayoutPair((a, b) => a.matmul(b), [2, 3, 4], [4, 2]);
    eachLayoutPair((a, b) => a.matmul(b), [2, 1, 2, 3], [3, 3, 2]);
  });
  it('matmul 1-D @ 1-D, 1-D @ 2-D, 2-D @ 1-D, 1-D @ 3-D', () => {
    eachLayoutPair((a, b) => a.matmul(b), [3], [3]);
    eachLayoutPair((a, b) => a.matmul(b), [3], [3, 2]);
    eachLayoutPair((a, b) => a.matmul(b), [2, 3], [3]);
    eachLayoutPair((a, b) => a.matmul(b), [3], [2, 3, 2]);
  });
  it('mm, bmm, dot', () => {
    eachLayoutPair((a, b) => k.mm(a, b), [2, 3], [3, 2]);
    eachLayoutPair((a, b) => k.bmm(a, b), [2, 2, 3], [2, 3, 2]);
    eachLayoutPair((a, b) => k.dot(a, b), [4], [4]);
  });
});

describe('gradcheck: indexing and joining', () => {
  const idx = (data: number[] | number[][]) => k.tensor(data, { dtype: 'int32' });
  it('gather', () =>
    eachLayout(
      (x) =>
        x.gather(
          1,
          idx([
            [0, 2, 2],
            [1, 0, 1],
          ]),
        ),
      [2, 3],
    ));
  it('gather with a smaller index', () => eachLayout((x) => x.gather(0, idx([[2, 0]])), [3, 2]));
  it('indexSelect with repeats', () => eachLayout((x) => x.indexSelect(0, idx([2, 0, 2])), [3, 2]));
  it('scatterAdd (self and src)', () => {
    eachLayoutPair(
      (a, s) =>
        a.scatterAdd(
          0,
          idx([
            [0, 1],
            [0, 0],
          ]),
          s,
        ),
      [2, 2],
      [2, 2],
    );
  });
  it('indexAdd (self and src)', () => {
    eachLayoutPair((a, s) => a.indexAdd(1, idx([2, 0]), s), [2, 3], [2, 2]);
  });
  it('cat and stack', () => {
    eachLayoutPair((a, b) => k.cat([a, b, a], 1), [2, 3], [2, 2]);
    eachLayoutPair((a, b) => k.stack([a, b], -1), [2, 3], [2, 3]);
  });
  it('pad with positive and negative pads', () => {
    eachLayout((x) => k.F.pad(x, [1, 2, 0, 1]), [2, 3]);
    eachLayout((x) => k.F.pad(x, [-1, 2, 1, -1], 0.5), [3, 3]);
  });
  it('maskedFill', () => {
    const mask = k.tensor([true, false, true]);
    eachLayout((x) => x.maskedFill(mask, -1), [2, 3]);
  });
});

describe('gradcheck: edge shapes', () => {
  it('size-1 dims', () => {
    eachLayout((x) => x.exp().sum(1).softmax(0), [3, 1]);
    eachLayout((x) => x.logsumexp(0), [1, 4]);
    eachLayoutPair((a, b) => a.matmul(b), [1, 1], [1, 3]);
  });
  it('0-d inputs', () => {
    const x = k.tensor(0.7, { dtype: 'float64', requiresGrad: true });
    for (const fn of [
      (t: Tensor) => t.exp(),
      (t: Tensor) => t.sum(),
      (t: Tensor) => t.mean(),
      (t: Tensor) => t.softmax(0),
      (t: Tensor) => t.logSoftmax(-1),
      (t: Tensor) => t.reshape([1, 1]),
      (t: Tensor) => t.unsqueeze(0).expand([3]),
      (t: Tensor) => t.mul(t).amax(),
      (t: Tensor) => t.logsumexp(),
    ]) {
      gradcheck(fn, [x]);
    }
  });
  it('empty tensors give empty gradients', () => {
    const x = k.zeros([0, 3], { dtype: 'float64', requiresGrad: true });
    x.exp().sum().backward();
    if (x.grad === null || x.grad.shape.join() !== '0,3') throw new Error('bad empty grad');
  });
  it('a composite: a tiny MLP with logSoftmax', () => {
    const w1 = k.randn([3, 4], {
      dtype: 'float64',
      requiresGrad: true,
      generator: new k.Generator(1),
    });
    const w2 = k.randn([4, 2], {
      dtype: 'float64',
      requiresGrad: true,
      generator: new k.Generator(2),
    });
    const xs = k.randn([5, 3], { dtype: 'float64', generator: new k.Generator(3) });
    gradcheck((a, b) => xs.matmul(a).tanh().matmul(b).logSoftmax(1), [w1, w2]);
  });
});
