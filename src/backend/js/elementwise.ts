import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { runLoop, storeBody } from './loops.js';

/** Value expressions of the unary ops over `x` (and parameters `p0`, `p1`). */
const UNARY: Record<UnaryOp, string> = {
  neg: '-x',
  abs: 'Math.abs(x)',
  exp: 'Math.exp(x)',
  log: 'Math.log(x)',
  sqrt: 'Math.sqrt(x)',
  rsqrt: '1 / Math.sqrt(x)',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  sign: '(x > 0 ? 1 : x < 0 ? -1 : x)',
  erf: 'erf(x)',
  relu: '(x > 0 || x !== x ? x : 0)',
  sigmoid: '1 / (1 + Math.exp(-x))',
  tanh: 'Math.tanh(x)',
  softplus: '(x * p0 > p1 ? x : Math.log1p(Math.exp(x * p0)) / p0)',
  leakyRelu: '(x > 0 ? x : x * p0)',
  elu: '(x > 0 ? x : p0 * Math.expm1(x))',
  gelu: '0.5 * x * (1 + erf(x * 0.7071067811865476))',
  geluTanh: '0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
  clamp: '(x < p0 ? p0 : x > p1 ? p1 : x)',
  log1p: 'Math.log1p(x)',
  expm1: 'Math.expm1(x)',
  floor: 'Math.floor(x)',
  ceil: 'Math.ceil(x)',
  round: 'roundHalfEven(x)',
  reciprocal: '1 / x',
  square: 'x * x',
  isnan: 'x !== x',
  isfinite: 'x - x === 0',
  logicalNot: 'x === 0',
  powScalar: 'Math.pow(x, p0)',
  scale: 'x * p0 + p1',
  step: '(x > p0 ? 1 : 0)',
};

/** Value expressions of the binary ops over `a`, `b`. */
const BINARY: Record<BinaryOp, string> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  maximum: 'Math.max(a, b)',
  minimum: 'Math.min(a, b)',
  eq: 'a === b',
  ne: 'a !== b',
  lt: 'a < b',
  le: 'a <= b',
  gt: 'a > b',
  ge: 'a >= b',
  logicalAnd: '(a !== 0 && b !== 0)',
  logicalOr: '(a !== 0 || b !== 0)',
};

/** Integer variants where float arithmetic would lose int32 wrap-around semantics. */
const BINARY_INT: Partial<Record<BinaryOp, string>> = { mul: 'Math.imul(a, b)' };

const bodies = new Map<string, string>();

/** The loop body of an op for an output dtype, built once. */
function bodyOf(key: string, outIsBool: boolean, build: () => string): string {
  const cacheKey = `${key}|${outIsBool}`;
  let body = bodies.get(cacheKey);
  if (body === undefined) {
    body = storeBody(build(), outIsBool);
    bodies.set(cacheKey, body);
  }
  return body;
}

export function unary(op: UnaryOp, x: View, out: View, p0: number, p1: number): void {
  const body = bodyOf(op, out.dtype === 'bool', () => `(${UNARY[op].replace(/\bx\b/g, 'x0[i0]')})`);
  runLoop(body, out, [x], p0, p1);
}

export function binary(op: BinaryOp, a: View, b: View, out: View): void {
  const isInt = out.dtype === 'int32' && BINARY_INT[op] !== undefined;
  const body = bodyOf(isInt ? `${op}:int` : op, out.dtype === 'bool', () => {
    const template = (isInt && BINARY_INT[op]) || BINARY[op];
    return `(${template.replace(/\ba\b/g, 'x0[i0]').replace(/\bb\b/g, 'x1[i1]')})`;
  });
  runLoop(body, out, [a, b]);
}

const WHERE = storeBody('(x0[i0] !== 0 ? x1[i1] : x2[i2])', false);
const WHERE_BOOL = storeBody('(x0[i0] !== 0 ? x1[i1] : x2[i2])', true);
const COPY = storeBody('x0[i0]', false);
const COPY_BOOL = storeBody('x0[i0]', true);
const FILL = storeBody('p0', false);
const FILL_BOOL = storeBody('p0', true);

export function where(cond: View, a: View, b: View, out: View): void {
  runLoop(out.dtype === 'bool' ? WHERE_BOOL : WHERE, out, [cond, a, b]);
}

export function copy(x: View, out: View): void {
  runLoop(out.dtype === 'bool' ? COPY_BOOL : COPY, out, [x]);
}

export function fill(out: View, value: number): void {
  runLoop(out.dtype === 'bool' ? FILL_BOOL : FILL, out, [], value);
}
