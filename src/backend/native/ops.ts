import {
  type ArgReduceOp,
  BINARY_OPS,
  type BinaryOp,
  REDUCE_OPS,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
  type View,
} from '../backend.js';
import { ARG_REDUCE_OPS } from '../op-table/index.js';

type Storage = View['storage'];

/** The addon's raw elementwise, reduction and optimizer exports (native/src/ops_addon.cc). */
export interface RawOps {
  unary(x: Storage, out: Storage, params: Float64Array): boolean;
  binary(a: Storage, b: Storage, out: Storage, params: Float64Array): boolean;
  where(cond: Storage, a: Storage, b: Storage, out: Storage, params: Float64Array): boolean;
  copy(x: Storage, out: Storage, params: Float64Array): boolean;
  fill(out: Storage, params: Float64Array): boolean;
  reduce(x: Storage, out: Storage, params: Float64Array): boolean;
  argReduce(x: Storage, out: Storage, params: Float64Array): boolean;
  softmax(x: Storage, out: Storage, params: Float64Array): boolean;
  adam(p: Storage, g: Storage, m: Storage, v: Storage, params: Float64Array): boolean;
  sgd(p: Storage, g: Storage, buf: Storage | undefined, params: Float64Array): boolean;
  setEwParMin(n?: number): number;
  /** Op names in code order, as the build's generated header (native/src/generated/) has them. */
  opTable(): Record<OpKind, readonly string[]>;
}

type OpKind = 'unary' | 'binary' | 'reduce' | 'argReduce';
const OP_LISTS: Record<OpKind, readonly string[]> = {
  unary: UNARY_OPS,
  binary: BINARY_OPS,
  reduce: REDUCE_OPS,
  argReduce: ARG_REDUCE_OPS,
};

/**
 * Why an addon's op codes disagree with the op table (src/backend/op-table/), or null when they
 * agree. Codes are positions in the table, so a build/ compiled before the table changed would
 * run the wrong kernel for an op; the loader refuses such a build instead.
 */
export function opTableMismatch(raw: Partial<Pick<RawOps, 'opTable'>>): string | null {
  if (typeof raw.opTable !== 'function') return 'the build has no opTable export';
  const built = raw.opTable();
  for (const kind of Object.keys(OP_LISTS) as OpKind[]) {
    const want = OP_LISTS[kind];
    const got = built[kind] ?? [];
    for (let i = 0; i < Math.max(want.length, got.length); i++) {
      if (got[i] !== want[i]) {
        return `${kind} op code ${i} is '${got[i] ?? 'missing'}' in the build but '${want[i] ?? 'missing'}' in the table`;
      }
    }
  }
  return null;
}

/**
 * Typed access to the native elementwise, reduction and optimizer kernels. Each returns false
 * when it does not take the operands' dtypes (or more than 16 dims); the caller then runs the
 * js kernel. Views are bounds-checked natively (a RangeError instead of memory corruption).
 */
export interface NativeOps {
  /** out = op(x, p0, p1) (the js kernel's formulas); x float32/float64, out the same or bool. */
  unary(op: UnaryOp, x: View, out: View, p0: number, p1: number): boolean;
  /** out = op(a, b); a and b of one float dtype, out the same or bool (comparisons). */
  binary(op: BinaryOp, a: View, b: View, out: View): boolean;
  /** out = cond ? a : b; cond bool, a, b and out of one dtype. */
  where(cond: View, a: View, b: View, out: View): boolean;
  /** Copies x into out, converting the dtype as a typed-array store does. */
  copy(x: View, out: View): boolean;
  /** Fills out with value. */
  fill(out: View, value: number): boolean;
  /** Reduces x over `dims` into out (contiguous, keepDim layout), accumulating in float64. */
  reduce(op: ReduceOp, x: View, dims: readonly number[], out: View): boolean;
  /** First index of the max/min along `dim` into out (int32, contiguous). */
  argReduce(op: ArgReduceOp, x: View, dim: number, out: View): boolean;
  /** Softmax or log-softmax of x along `dim` into out (x's dtype), in float64 per line. */
  softmax(x: View, dim: number, log: boolean, out: View): boolean;
  /**
   * One Adam/AdamW update of `n` elements: p[pOff..], g[gOff..], state m and v from 0, all of
   * one float dtype. The scalars are those src/optim/adam.ts derives for the step.
   */
  adamUpdate(
    p: Storage,
    pOff: number,
    g: Storage,
    gOff: number,
    m: Storage,
    v: Storage,
    n: number,
    s: AdamScalars,
  ): boolean;
  /** One SGD update (src/optim/sgd.ts); `buf` is the momentum buffer, null without momentum. */
  sgdUpdate(
    p: Storage,
    pOff: number,
    g: Storage,
    gOff: number,
    buf: Storage | null,
    n: number,
    s: SgdScalars,
  ): boolean;
  /** Test hook: weighted element count below which kernels stay on one thread; returns the old. */
  setElementwiseParMin(n: number): number;
}

/** Per-step scalars of an Adam update. */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  stepSize: number;
  bc2Sqrt: number;
  eps: number;
  l2: number;
  shrink: number;
  sign: number;
}

/** Per-step scalars of an SGD update. */
export interface SgdScalars {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  sign: number;
  nesterov: boolean;
  first: boolean;
}

// Codes: positions in the op table's lists, as the enums of native/src/generated/op_codes.h.
const codes = <T extends string>(ops: readonly T[]): Map<T, number> =>
  new Map(ops.map((op, i) => [op, i]));
const UNARY = codes(UNARY_OPS);
const BINARY = codes(BINARY_OPS);
const REDUCE = codes(REDUCE_OPS);
const ARG_REDUCE = codes(ARG_REDUCE_OPS);

// Layout shared with ops_addon.cc: a 10-slot header (op, nd, p0, p1, the offsets of operands
// 0-3, extra, flag), then per dim (size, strides of operands 0-3). Operand 0 is the output.
// One module-level array is reused because calls are synchronous.
const HEADER = 10;
const PER_DIM = 5;
const MAX_DIMS = 16;
const params = new Float64Array(HEADER + PER_DIM * MAX_DIMS);
const optParams = new Float64Array(16);

/** Writes header and dims for `shape` with up to four operands' views; false if too many dims. */
function pack(
  op: number,
  shape: readonly number[],
  v0: View,
  v1: View | null,
  v2: View | null,
  v3: View | null,
): boolean {
  const nd = shape.length;
  if (nd > MAX_DIMS) return false;
  params[0] = op;
  params[1] = nd;
  params[4] = v0.offset;
  params[5] = v1 === null ? 0 : v1.offset;
  params[6] = v2 === null ? 0 : v2.offset;
  params[7] = v3 === null ? 0 : v3.offset;
  const s0 = v0.strides;
  const s1 = v1 === null ? s0 : v1.strides;
  const s2 = v2 === null ? s0 : v2.strides;
  const s3 = v3 === null ? s0 : v3.strides;
  for (let d = 0, q = HEADER; d < nd; d++, q += PER_DIM) {
    params[q] = shape[d]!;
    params[q + 1] = s0[d]!;
    params[q + 2] = s1[d]!;
    params[q + 3] = s2[d]!;
    params[q + 4] = s3[d]!;
  }
  return true;
}

/** Binds the raw exports to views. */
export function wrapOps(raw: RawOps): NativeOps {
  return {
    unary(op, x, out, p0, p1) {
      if (!pack(UNARY.get(op) ?? -1, out.shape, out, x, null, null)) return false;
      params[2] = p0;
      params[3] = p1;
      return raw.unary(x.storage, out.storage, params);
    },
    binary(op, a, b, out) {
      if (!pack(BINARY.get(op) ?? -1, out.shape, out, a, b, null)) return false;
      return raw.binary(a.storage, b.storage, out.storage, params);
    },
    where(cond, a, b, out) {
      if (!pack(0, out.shape, out, cond, a, b)) return false;
      return raw.where(cond.storage, a.storage, b.storage, out.storage, params);
    },
    copy(x, out) {
      if (!pack(0, out.shape, out, x, null, null)) return false;
      return raw.copy(x.storage, out.storage, params);
    },
    fill(out, value) {
      if (!pack(0, out.shape, out, null, null, null)) return false;
      params[2] = value;
      return raw.fill(out.storage, params);
    },
    reduce(op, x, dims, out) {
      // Operand 0 only carries out's offset: the kernel derives out's contiguous layout.
      if (!pack(REDUCE.get(op) ?? -1, x.shape, out, x, null, null)) return false;
      let mask = 0;
      for (const d of dims) mask |= 1 << d;
      params[8] = mask;
      return raw.reduce(x.storage, out.storage, params);
    },
    argReduce(op, x, dim, out) {
      if (!pack(ARG_REDUCE.get(op) ?? -1, x.shape, out, x, null, null)) return false;
      params[8] = dim;
      return raw.argReduce(x.storage, out.storage, params);
    },
    softmax(x, dim, log, out) {
      if (!pack(0, x.shape, out, x, null, null)) return false;
      params[8] = dim;
      params[9] = log ? 1 : 0;
      return raw.softmax(x.storage, out.storage, params);
    },
    adamUpdate(p, pOff, g, gOff, m, v, n, s) {
      const q = optParams;
      q[0] = n;
      q[1] = pOff;
      q[2] = gOff;
      q[3] = s.beta1;
      q[4] = s.beta2;
      q[5] = s.stepSize;
      q[6] = s.bc2Sqrt;
      q[7] = s.eps;
      q[8] = s.l2;
      q[9] = s.shrink;
      q[10] = s.sign;
      return raw.adam(p, g, m, v, q);
    },
    sgdUpdate(p, pOff, g, gOff, buf, n, s) {
      const q = optParams;
      q[0] = n;
      q[1] = pOff;
      q[2] = gOff;
      q[3] = s.lr;
      q[4] = s.momentum;
      q[5] = s.dampening;
      q[6] = s.weightDecay;
      q[7] = s.sign;
      q[8] = s.nesterov ? 1 : 0;
      q[9] = s.first ? 1 : 0;
      return raw.sgd(p, g, buf ?? undefined, q);
    },
    setElementwiseParMin: (n) => raw.setEwParMin(n),
  };
}
