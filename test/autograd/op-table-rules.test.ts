// Every differentiable primitive of the op table, applied directly (with its scalars), against
// central differences. The case maps are typed by the table's names, so a primitive added to the
// table without a case here fails to compile, as one without a derivative rule does.
import { describe, it } from 'node:test';
import type {
  DifferentiableBinaryOp,
  DifferentiableUnaryOp,
} from '../../src/backend/op-table/index.js';
import { binary, unary } from '../../src/ops/elementwise.js';
import { gradcheck, type LayoutOptions, layouts } from '../helpers/gradcheck.js';

interface UnaryCase extends LayoutOptions {
  p0?: number;
  p1?: number;
}

const positive = { low: 0.5, high: 2 };

const UNARY_CASES: Record<DifferentiableUnaryOp, UnaryCase> = {
  neg: {},
  abs: {},
  exp: {},
  log: positive,
  sqrt: positive,
  rsqrt: positive,
  sin: {},
  cos: {},
  sign: {},
  erf: {},
  relu: {},
  sigmoid: {},
  tanh: {},
  softplus: { p0: 2, p1: 1.5 },
  leakyRelu: { p0: 0.2 },
  elu: { p0: 1.5 },
  gelu: {},
  geluTanh: {},
  clamp: { p0: -0.7, p1: 0.9 },
  log1p: positive,
  expm1: {},
  floor: {},
  ceil: {},
  round: {},
  reciprocal: positive,
  square: {},
  powScalar: { p0: 2.5, ...positive },
  scale: { p0: 1.5, p1: -2 },
};

const BINARY_CASES: Record<DifferentiableBinaryOp, LayoutOptions> = {
  add: {},
  sub: {},
  mul: {},
  div: positive,
  pow: positive,
  maximum: {},
  minimum: {},
};

describe('derivative rules of the op table primitives match central differences', () => {
  for (const [op, { p0 = 0, p1 = 0, ...range }] of Object.entries(UNARY_CASES)) {
    it(`${op}(x, ${p0}, ${p1})`, () => {
      const [x] = layouts([3, 4], { seed: 11, ...range });
      gradcheck((t) => unary(op as DifferentiableUnaryOp, t, p0, p1), [x!.tensor]);
    });
  }
  for (const [op, range] of Object.entries(BINARY_CASES)) {
    it(`${op}(a, b) with broadcasting`, () => {
      const [a] = layouts([3, 4], { seed: 12, ...range });
      const [b] = layouts([4], { seed: 13, ...range });
      gradcheck((x, y) => binary(op as DifferentiableBinaryOp, x, y), [a!.tensor, b!.tensor]);
    });
  }
});
