// kiln against PyTorch 1.13, op by op: forward values and gradients of sum(out * w) on the fixed
// inputs of test/fixtures/make_torch_refs.py (which writes torch-core.json; torch is not needed
// here). float32 to float32 tolerance, float64 tighter; plus dtype promotion and printing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';
import { assertClose } from '../helpers/gradcheck.js';

type Enc = { shape: number[]; dtype: string; data: (number | string | boolean)[] };
interface Case {
  name: string;
  dtype: 'float32' | 'float64';
  inputs: string[];
  outs: Enc[];
  grads?: (Enc | null)[];
}
interface Refs {
  inputs: Record<string, { kind: 'f' | 'i' | 'b'; shape: number[]; data: unknown }>;
  cases: Case[];
  promotion: { name: string; out: Enc }[];
  prints: { name: string; text: string }[];
}

const refs = JSON.parse(
  readFileSync(new URL('../fixtures/torch-core.json', import.meta.url), 'utf8'),
) as Refs;

const num = (v: number | string | boolean): number =>
  typeof v === 'number'
    ? v
    : typeof v === 'boolean'
      ? Number(v)
      : v === 'nan'
        ? Number.NaN
        : v === 'inf'
          ? Infinity
          : -Infinity;

/** The reference as a kiln tensor (float64 for floats, so comparisons do not round it). */
function decode(e: Enc): Tensor {
  const dtype = e.dtype === 'float32' ? 'float64' : (e.dtype as k.DType);
  return k.tensor(e.data.map(num), { dtype, shape: e.shape });
}

type Fn = (x: Tensor[], dtype: 'float32' | 'float64') => Tensor | Tensor[];
const F = k.F;
const I: Record<string, Fn> = {};
const bin = {
  add: k.add,
  sub: k.sub,
  mul: k.mul,
  div: k.div,
  maximum: k.maximum,
  minimum: k.minimum,
};
for (const [op, f] of Object.entries(bin)) {
  I[op] = (x) => f(x[0]!, x[1]!);
  I[`${op} bcast [2,3] [3]`] = (x) => f(x[0]!, x[1]!);
  I[`${op} bcast [2,1] [3]`] = (x) => f(x[0]!, x[1]!);
  I[`${op} 0-d`] = (x) => f(x[0]!, x[1]!);
}
Object.assign(I, {
  'add number': (x) => x[0]!.add(2.5),
  'rsub number': (x) => k.sub(1, x[0]!),
  'rdiv number': (x) => k.div(2, x[0]!),
  'mul number': (x) => x[0]!.mul(-3),
  pow: (x) => x[0]!.pow(x[1]!),
  'pow bcast': (x) => k.pow(x[0]!, x[1]!),
  'pow number 2': (x) => x[0]!.pow(2),
  'pow number 0.5': (x) => x[0]!.pow(0.5),
  'pow number -1.5': (x) => k.pow(x[0]!, -1.5),
  'rpow number': (x) => k.pow(2, x[0]!),
  where: (x) => k.where(x[0]!, x[1]!, x[2]!),
  'where bcast': (x) => k.where(x[0]!, x[1]!, x[2]!),
  'where number': (x) => k.where(x[0]!, x[1]!, 0.5),
  maskedFill: (x) => x[0]!.maskedFill(x[1]!, -2.5),
  'maskedFill bcast': (x) => x[0]!.maskedFill(x[1]!, 7),
} satisfies Record<string, Fn>);
for (const op of ['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) {
  I[op] = (x) => x[0]![op](x[1]!);
  I[`${op} number`] = (x) => x[0]![op](2);
}
const unaryNames = [
  'neg',
  'abs',
  'exp',
  'sin',
  'cos',
  'sign',
  'relu',
  'sigmoid',
  'tanh',
  'erf',
  'expm1',
  'square',
  'floor',
  'ceil',
  'round',
] as const;
for (const op of unaryNames) {
  I[op] = (x) => x[0]![op]();
  I[`${op} [2,3]`] = (x) => x[0]![op]();
}
for (const op of ['log', 'sqrt', 'rsqrt', 'log1p', 'reciprocal'] as const) {
  I[op] = (x) => x[0]![op]();
}
Object.assign(I, {
  'round half even': (x) => x[0]!.round(),
  clamp: (x) => x[0]!.clamp(-1.5, 2),
  'clamp [2,3]': (x) => x[0]!.clamp(-1, 1),
  'clamp min': (x) => x[0]!.clamp(0.3),
  'clamp max': (x) => x[0]!.clamp(null, 0.3),
  leakyRelu: (x) => F.leakyRelu(x[0]!),
  'leakyRelu 0.2': (x) => F.leakyRelu(x[0]!, 0.2),
  elu: (x) => F.elu(x[0]!),
  'elu 0.5': (x) => F.elu(x[0]!, 0.5),
  gelu: (x) => F.gelu(x[0]!),
  'gelu tanh': (x) => F.gelu(x[0]!, { approximate: 'tanh' }),
  softplus: (x) => F.softplus(x[0]!),
  'softplus beta 2 threshold 3': (x) => F.softplus(x[0]!, { beta: 2, threshold: 3 }),
  sum: (x) => x[0]!.sum(),
  'sum 1': (x) => x[0]!.sum(1),
  'sum -1 keepDim': (x) => x[0]!.sum(-1, true),
  'sum [0,2]': (x) => x[0]!.sum([0, 2]),
  'sum empty': (x) => x[0]!.sum(0),
  mean: (x) => x[0]!.mean(),
  'mean [-1,0] keepDim': (x) => x[0]!.mean([-1, 0], true),
  'mean 1': (x) => x[0]!.mean(1),
  max: (x) => x[0]!.max(),
  min: (x) => x[0]!.min(),
  'max dim': (x) => x[0]!.max(0),
  'min dim keepDim': (x) => x[0]!.min(1, true),
  var: (x) => x[0]!.var(),
  'var [0,2] keepDim': (x) => x[0]!.var([0, 2], { keepDim: true }),
  std: (x) => x[0]!.std(),
  logsumexp: (x) => x[0]!.logsumexp(2),
  'logsumexp [0,1] keepDim': (x) => x[0]!.logsumexp([0, 1], true),
  'logsumexp large': (x) => x[0]!.logsumexp(1),
  'logsumexp -inf': (x) => x[0]!.logsumexp(1),
} satisfies Record<string, Fn>);
for (const op of ['amax', 'amin'] as const) {
  I[op] = (x) => x[0]![op](1);
  I[`${op} [0,2] keepDim`] = (x) => x[0]![op]([0, 2], true);
  I[`${op} ties`] = (x) => x[0]![op](-1);
}
for (const op of ['argmax', 'argmin'] as const) {
  I[op] = (x) => x[0]![op]();
  I[`${op} 1`] = (x) => x[0]![op](1);
  I[`${op} -1 keepDim`] = (x) => x[0]![op](-1, true);
  I[`${op} ties`] = (x) => x[0]![op](1);
}
for (const c of [0, 1, 2]) {
  I[`var correction ${c}`] = (x) => x[0]!.var(1, { correction: c });
  I[`std correction ${c}`] = (x) => x[0]!.std(0, { correction: c });
}
for (const op of ['softmax', 'logSoftmax'] as const) {
  I[op] = (x) => x[0]![op](1);
  I[`${op} -1`] = (x) => F[op](x[0]!, -1);
  I[`${op} large`] = (x) => x[0]![op](1);
  I[`${op} 0-d`] = (x) => x[0]![op](0);
}
const mm: Fn = (x) => x[0]!.matmul(x[1]!);
Object.assign(I, {
  'matmul 2-D': mm,
  'matmul batched': mm,
  'matmul 1-D 1-D': mm,
  'matmul 1-D 2-D': mm,
  'matmul 2-D 1-D': mm,
  'matmul 3-D 1-D': mm,
  'matmul bcast batch': (x) => x[0]!.unsqueeze(1).matmul(x[1]!.transpose(-1, -2)),
  reshape: (x) => x[0]!.reshape([4, -1]),
  transpose: (x) => x[0]!.transpose(0, 2),
  permute: (x) => x[0]!.permute([2, 0, 1]),
  expand: (x) => x[0]!.expand([3, 2, 4]),
  narrow: (x) => x[0]!.narrow(1, 1, 2),
  'slice step': (x) => x[0]!.slice(1, 1, undefined, 2),
  'slice negative': (x) => x[0]!.slice(0, -2),
  squeeze: (x) => x[0]!.squeeze(),
  'squeeze dim': (x) => x[0]!.squeeze(1),
  unsqueeze: (x) => x[0]!.unsqueeze(-2),
  flatten: (x) => x[0]!.flatten(1),
  split: (x) => x[0]!.split(3, 1),
  'split sizes': (x) => k.split(x[0]!, [1, 2], 0),
  chunk: (x) => k.chunk(x[0]!, 3, -1),
  gather: (x) => x[0]!.gather(1, x[1]!),
  'gather 0': (x) => k.gather(x[0]!, 0, x[1]!),
  indexSelect: (x) => x[0]!.indexSelect(0, x[1]!),
  'indexSelect 1': (x) => k.indexSelect(x[0]!, 1, x[1]!),
  scatterAdd: (x) => x[0]!.scatterAdd(0, x[1]!, x[2]!),
  indexAdd: (x) => x[0]!.indexAdd(1, x[1]!, x[2]!),
  cat: (x) => k.cat([x[0]!, x[1]!], 0),
  'cat -1': (x) => k.cat([x[0]!, x[1]!, x[0]!], -1),
  stack: (x) => k.stack([x[0]!, x[1]!], 1),
  'stack -1': (x) => k.stack([x[0]!, x[1]!], -1),
  pad: (x) => F.pad(x[0]!, [1, 2]),
  'pad 2 dims value': (x) => k.pad(x[0]!, [0, 1, 2, 0], -1.5),
  'pad negative': (x) => F.pad(x[0]!, [-1, 2, 1, -2]),
  oneHot: (x) => k.oneHot(x[0]!),
  'oneHot 4': (x) => F.oneHot(x[0]!, 4),
  arange: (_, dtype) => k.arange(5, undefined, 1, { dtype }),
  'arange step': (_, dtype) => k.arange(1, 2, 0.25, { dtype }),
  'arange negative step': (_, dtype) => k.arange(3, -2, -1.5, { dtype }),
  linspace: (_, dtype) => k.linspace(-1, 2, 7, { dtype }),
  'linspace 1': (_, dtype) => k.linspace(3, 5, 1, { dtype }),
  eye: (_, dtype) => k.eye(3, { dtype }),
  'eye 2x3': (_, dtype) => k.eye(2, 3, { dtype }),
  full: (_, dtype) => k.full([2, 2], 1.5, { dtype }),
} satisfies Record<string, Fn>);

const int32 = (d: number[]) => k.tensor(d, { dtype: 'int32' });
const PROMOTION: Record<string, () => Tensor> = {
  'int32 + float32': () => int32([1, 2, 3]).add(k.tensor([0.5, 1.5, 2.5])),
  'float32 + float64': () => k.tensor([0.5, 1.5]).add(k.tensor([1, 2], { dtype: 'float64' })),
  'int32 + 2.5': () => int32([1, 2, 3]).add(2.5),
  'int32 + 2': () => int32([1, 2, 3]).add(2),
  'int32 / int32': () => int32([1, 2, 3]).div(int32([2, 2, 4])),
  'int32 * int32': () => int32([1, 2, 3]).mul(int32([2, 2, 4])),
  'float32 [2] + 0-d float64': () => k.tensor([0.5, 1.5]).add(k.tensor(2, { dtype: 'float64' })),
  'int32 [2] + 0-d float64': () => int32([1, 2]).add(k.tensor(0.25, { dtype: 'float64' })),
  '0-d float64 + 0-d float32': () => k.tensor(1, { dtype: 'float64' }).add(k.tensor(0.5)),
  'bool + bool': () => k.tensor([true, false]).add(k.tensor([true, true])),
  'bool + 1': () => k.tensor([true, false]).add(1),
  'bool * 1.5': () => k.tensor([true, false]).mul(1.5),
  'int32 pow 0.5': () => int32([1, 4, 9]).pow(0.5),
  'int32 sqrt': () => int32([1, 4, 9]).sqrt(),
  'int32 clamp 1.5': () => int32([1, 2, 3]).clamp(1.5),
  'int32 maskedFill 1.5': () => int32([1, 2, 3]).maskedFill(k.tensor([true, false, true]), 1.5),
  'int32 abs': () => int32([-1, 2]).abs(),
  'int32 sum': () => int32([1, 2, 3]).sum(),
  'bool sum': () => k.tensor([true, false, true]).sum(),
  'float32 eq float64': () => k.tensor([0.1]).eq(k.tensor([0.1], { dtype: 'float64' })),
  'float32 eq 0.1': () => k.tensor([0.1]).eq(0.1),
  'where int32 float32': () =>
    k.where(k.tensor([true, false]), int32([1, 2]), k.tensor([0.5, 1.5])),
};

const PRINTS: Record<string, () => Tensor> = {
  ints: () =>
    k.tensor([
      [1, 2],
      [3, 4],
    ]),
  fractions: () =>
    k.tensor([
      [-1.5, 2],
      [3.25, 4],
    ]),
  '0-d': () => k.tensor(3.5),
  '0-d int': () => k.tensor(-7),
  'nan inf': () => k.tensor([1.5, Number.NaN, 0, -Infinity]),
  'int inf': () => k.tensor([1, Infinity]),
  'scientific small': () => k.tensor([1e-5, 1]),
  'scientific ratio': () => k.tensor([0.001, 1000]),
  'scientific big': () => k.tensor([123456789, 1]),
  zeros: () => k.zeros([3]),
  '3-d': () => k.arange(12).reshape([2, 3, 2]).div(4),
  'wrapped row': () => k.arange(30),
  summarized: () => k.arange(2000).reshape([2, 1000]),
  'summarized rows': () => k.arange(1200).reshape([400, 3]).div(7),
  'summarized vector': () => k.arange(1001),
  bool: () => k.tensor([true, false]),
  'bool all true': () => k.tensor([[true, true]]),
  int32: () =>
    k.tensor(
      [
        [-1, 20],
        [3, 4],
      ],
      { dtype: 'int32' },
    ),
  'empty 1-d': () => k.tensor([]),
  'empty 2-d': () => k.zeros([0, 3]),
  'empty int32': () => k.zeros([0], { dtype: 'int32' }),
  float64: () => k.tensor([1.5, 2], { dtype: 'float64' }),
  'requires grad': () => k.tensor([1, 2], { requiresGrad: true }),
};

function input(name: string, dtype: k.DType, requiresGrad: boolean): Tensor {
  const spec = refs.inputs[name]!;
  const flat = [spec.data].flat(8) as (number | string | boolean)[];
  const d = spec.kind === 'f' ? dtype : spec.kind === 'i' ? 'int32' : 'bool';
  const t = k.tensor(flat.map(num), { dtype: d, shape: spec.shape });
  return spec.kind === 'f' && requiresGrad ? t.requiresGrad_() : t;
}

const weights = (n: number, shape: readonly number[], dtype: k.DType) =>
  k.tensor(
    Array.from({ length: n }, (_, i) => (((7 * i) % 11) - 5) / 4),
    { dtype, shape },
  );

describe('torch parity: ops (forward and gradients)', () => {
  it('the fixture covers every kiln case and vice versa', () => {
    const names = new Set(refs.cases.map((c) => c.name));
    assert.deepEqual(
      [...names].filter((n) => !I[n]),
      [],
    );
    assert.deepEqual(
      Object.keys(I).filter((n) => !names.has(n)),
      [],
    );
  });
  for (const c of refs.cases) {
    it(`${c.name} (${c.dtype})`, () => {
      const tol = c.dtype === 'float32' ? { atol: 1e-5, rtol: 1e-4 } : { atol: 1e-10, rtol: 1e-9 };
      const xs = c.inputs.map((n) => input(n, c.dtype, c.grads !== undefined));
      const result = I[c.name]!(xs, c.dtype);
      const outs = Array.isArray(result) ? result : [result];
      assert.equal(outs.length, c.outs.length, 'number of outputs');
      outs.forEach((o, i) => {
        assert.equal(o.dtype, c.outs[i]!.dtype, `output ${i} dtype`);
        assertClose(o, decode(c.outs[i]!), tol);
      });
      if (!c.grads) return;
      outs
        .map((o) => o.mul(weights(o.numel(), o.shape, o.dtype)).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      c.grads.forEach((g, i) => {
        if (g === null) return;
        const got = xs[i]!.grad ?? k.zerosLike(xs[i]!);
        assert.equal(got.dtype, g.dtype, `grad ${i} dtype`);
        assertClose(got, decode(g), tol);
      });
    });
  }
});

describe('torch parity: dtype promotion', () => {
  it('covers every reference', () => {
    assert.deepEqual(
      refs.promotion.map((p) => p.name).filter((n) => !PROMOTION[n]),
      [],
    );
  });
  for (const p of refs.promotion) {
    it(p.name, () => {
      const out = PROMOTION[p.name]!();
      assert.equal(out.dtype, p.out.dtype);
      assertClose(out, decode(p.out), { atol: 1e-6 });
    });
  }
});

describe('torch parity: printing', () => {
  for (const p of refs.prints) {
    it(p.name, () => {
      assert.equal(PRINTS[p.name]!().toString(), p.text);
    });
  }
});
