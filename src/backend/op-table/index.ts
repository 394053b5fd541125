/**
 * Everything the TypeScript side derives from the op table: op-name types, code-ordered name
 * lists, the dtype and gradient sets of the op layer, and the js backend's formulas. Nothing here
 * is generated, so nothing can go stale; the C++ side reads the table through the headers that
 * `npm run gen:ops` writes (scripts/gen-ops.ts).
 */
import { BINARY } from './binary.js';
import { ARG_REDUCE_OPS, REDUCE } from './reduce.js';
import type { BinaryEntry, ReduceEntry, UnaryEntry } from './schema.js';
import { UNARY } from './unary.js';

export { ARG_REDUCE_OPS, BINARY, REDUCE, UNARY };
export type { BinaryEntry, Cost, DtypeRule, ReduceEntry, UnaryEntry } from './schema.js';

type UnaryRow = (typeof UNARY)[number];
type BinaryRow = (typeof BINARY)[number];

/** An elementwise function of one input (see the table in unary.ts). */
export type UnaryOp = UnaryRow['name'];
/** An elementwise function of two inputs (see the table in binary.ts). */
export type BinaryOp = BinaryRow['name'];
/** A reduction that keeps values: sum, product, max or min. */
export type ReduceOp = (typeof REDUCE)[number]['name'];
/** Reductions that return int32 positions along one dim. */
export type ArgReduceOp = (typeof ARG_REDUCE_OPS)[number];
/** Unary primitives that record a graph node, so each needs a derivative rule. */
export type DifferentiableUnaryOp = Extract<UnaryRow, { grad: true }>['name'];
/** Binary primitives that record a graph node, so each needs a derivative rule. */
export type DifferentiableBinaryOp = Extract<BinaryRow, { grad: true }>['name'];

/** Unary op names in native op-code order. */
export const UNARY_OPS: readonly UnaryOp[] = UNARY.map((e) => e.name);
/** Binary op names in native op-code order. */
export const BINARY_OPS: readonly BinaryOp[] = BINARY.map((e) => e.name);
/** Reduction names in native op-code order. */
export const REDUCE_OPS: readonly ReduceOp[] = REDUCE.map((e) => e.name);

function namesWhere<E extends { readonly name: string }, N extends E['name']>(
  rows: readonly E[],
  keep: (e: E) => boolean,
): ReadonlySet<N> {
  return new Set(rows.filter(keep).map((e) => e.name as N));
}

/** Float-only unary ops: integer and bool inputs are computed in float32. */
export const FLOAT_UNARY = namesWhere<UnaryEntry, UnaryOp>(UNARY, (e) => e.dtype === 'float');
/** Unary ops computed in float32 for integer inputs when their `p0` is fractional. */
export const FRACTIONAL_P0_UNARY = namesWhere<UnaryEntry, UnaryOp>(
  UNARY,
  (e) => e.dtype === 'float-if-fractional-p0',
);
/** Unary predicates: bool output. */
export const BOOL_UNARY = namesWhere<UnaryEntry, UnaryOp>(UNARY, (e) => e.dtype === 'bool');
/** Float-only binary ops (true division): integer and bool operands give float32. */
export const FLOAT_BINARY = namesWhere<BinaryEntry, BinaryOp>(BINARY, (e) => e.dtype === 'float');
/** Comparisons and logical ops: bool output, no graph node. */
export const BOOL_BINARY = namesWhere<BinaryEntry, BinaryOp>(BINARY, (e) => e.dtype === 'bool');
/** Binary ops that reject two bool operands. */
export const NO_BOOL_BINARY = namesWhere<BinaryEntry, BinaryOp>(BINARY, (e) => !!e.noBool);

function byName<E extends { readonly name: string }, N extends E['name'], V>(
  rows: readonly E[],
  value: (e: E) => V,
): Readonly<Record<N, V>> {
  return Object.fromEntries(rows.map((e) => [e.name, value(e)])) as Record<N, V>;
}

/** What each binary op's derivative rule reads, so the op layer saves only that. */
export const BINARY_SAVES = byName<BinaryEntry, BinaryOp, BinaryEntry['saves']>(
  BINARY,
  (e) => e.saves,
);
/** The js backend's value expressions of the unary ops over `x`, `p0`, `p1`. */
export const UNARY_JS = byName<UnaryEntry, UnaryOp, string>(UNARY, (e) => e.js);
/** The js backend's value expressions of the binary ops over `a`, `b`. */
export const BINARY_JS = byName<BinaryEntry, BinaryOp, string>(BINARY, (e) => e.js);
/** Int32 variants of binary expressions, where the op has one. */
export const BINARY_JS_INT = byName<BinaryEntry, BinaryOp, string | undefined>(
  BINARY,
  (e) => e.jsInt,
);
/** The js backend's accumulate statements of the reductions over `acc`, `v`. */
export const REDUCE_JS = byName<ReduceEntry, ReduceOp, string>(REDUCE, (e) => e.js);
/** The starting value of each reduction's float64 accumulator. */
export const REDUCE_IDENTITY = byName<ReduceEntry, ReduceOp, number>(REDUCE, (e) => e.identity);

const GRAD_UNARY: ReadonlySet<string> = namesWhere(UNARY, (e: UnaryEntry) => e.grad);
const GRAD_BINARY: ReadonlySet<string> = namesWhere(BINARY, (e: BinaryEntry) => e.grad);

/** Whether a unary op records a graph node (predicates and derivative masks do not). */
export function isGradUnary(op: UnaryOp): op is DifferentiableUnaryOp {
  return GRAD_UNARY.has(op);
}

/** Whether a binary op records a graph node (comparisons and logical ops do not). */
export function isGradBinary(op: BinaryOp): op is DifferentiableBinaryOp {
  return GRAD_BINARY.has(op);
}
