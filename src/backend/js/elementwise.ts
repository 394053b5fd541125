import type { BinaryOp, UnaryOp, View } from '../backend.js';
import { BINARY_JS, BINARY_JS_INT, UNARY_JS } from '../op-table/index.js';
import { runLoop, storeBody } from './loops.js';

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
  const body = bodyOf(
    op,
    out.dtype === 'bool',
    () => `(${UNARY_JS[op].replace(/\bx\b/g, 'x0[i0]')})`,
  );
  runLoop(body, out, [x], p0, p1);
}

export function binary(op: BinaryOp, a: View, b: View, out: View): void {
  const isInt = out.dtype === 'int32' && BINARY_JS_INT[op] !== undefined;
  const body = bodyOf(isInt ? `${op}:int` : op, out.dtype === 'bool', () => {
    const template = (isInt && BINARY_JS_INT[op]) || BINARY_JS[op];
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
