import type { DType, TypedArray } from '../tensor/dtype.js';

/**
 * A strided view over typed-array storage: what every kernel reads and writes. A `Tensor`
 * satisfies this interface itself, so kernels receive tensors without wrapper objects.
 * Element `[i0, i1, ...]` lives at `storage[offset + i0*strides[0] + i1*strides[1] + ...]`.
 * Broadcast dims have stride 0.
 */
export interface View {
  readonly storage: TypedArray;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

/** Elementwise functions of one input. `param0`/`param1` carry their scalar parameters. */
export type UnaryOp =
  | 'neg'
  | 'abs'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'sin'
  | 'cos'
  | 'sign'
  | 'erf'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'softplus' // softplus: param0 = beta, param1 = threshold
  | 'leakyRelu' // param0 = negative slope
  | 'elu' // param0 = alpha
  | 'gelu'
  | 'geluTanh'
  | 'clamp' // param0 = min (-Infinity for none), param1 = max (Infinity for none)
  | 'log1p'
  | 'expm1'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'reciprocal'
  | 'square'
  | 'isnan'
  | 'isfinite'
  | 'logicalNot' // results are bool
  | 'powScalar' // x ** param0
  | 'scale' // x * param0 + param1
  | 'step'; // x > param0 ? 1 : 0 (derivative masks)

/** Elementwise functions of two inputs; comparisons and logical ops produce bool. */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  | 'logicalAnd'
  | 'logicalOr';

/** Reductions that keep values: sum, product, max, min. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

/** Reductions that return int32 positions along one dim. */
export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * The primitive kernels a backend implements. Destination-passing: the op layer validates shapes
 * and dtypes, allocates `out` (always contiguous, of the result dtype) and passes input views that
 * are already broadcast to the shape the kernel expects (stride 0 on broadcast dims). Kernels
 * trust their inputs and never allocate tensor storage that outlives the call.
 *
 * A backend may implement only some kernels: the registry fills the rest from the js reference
 * backend, per primitive.
 */
export interface Backend {
  readonly name: string;
  /** out = op(x). x has out's shape; out may be bool for isnan/isfinite/logicalNot. */
  unary(op: UnaryOp, x: View, out: View, param0: number, param1: number): void;
  /** out = op(a, b). a and b have out's shape (broadcast dims have stride 0). */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** out = cond ? a : b; all three have out's shape. */
  where(cond: View, a: View, b: View, out: View): void;
  /** Copies x into out (same shape), converting the dtype. */
  copy(x: View, out: View): void;
  /** Fills every element of out with value. */
  fill(out: View, value: number): void;
  /**
   * Reduces x over `dims` (sorted). out has x's shape with those dims set to 1 (keepDim layout).
   * Float sums accumulate in float64.
   */
  reduce(op: ReduceOp, x: View, dims: readonly number[], out: View): void;
  /** Index of the first max/min along `dim`; out (int32) has x's shape with dim set to 1. */
  argReduce(op: ArgReduceOp, x: View, dim: number, out: View): void;
  /**
   * Batched matrix product: a [...B, M, K], b [...B, K, N], out [...B, M, N]. The batch dims of
   * a and b are already broadcast to out's (stride 0 where broadcast). Any strides are allowed,
   * so transposed operands need no copy.
   */
  matmul(a: View, b: View, out: View): void;
  /** Softmax (or log-softmax when `log`) of x along `dim`, numerically stable. */
  softmax(x: View, dim: number, log: boolean, out: View): void;
  /** out[..., i, ...] = x[..., index[..., i, ...], ...] along dim; out has index's shape. */
  gather(x: View, dim: number, index: View, out: View): void;
  /** out[..., index[..., i, ...], ...] += src[..., i, ...] along dim (out is updated in place). */
  scatterAdd(out: View, dim: number, index: View, src: View): void;
  /** out = x.indexSelect(dim, index) for a 1-D int32 index. */
  indexSelect(x: View, dim: number, index: View, out: View): void;
  /** out.indexAdd_(dim, index, src): out[..., index[i], ...] += src[..., i, ...]. */
  indexAdd(out: View, dim: number, index: View, src: View): void;
}

/** The kernel names of the Backend interface: the primitive list. */
export const PRIMITIVES = [
  'unary',
  'binary',
  'where',
  'copy',
  'fill',
  'reduce',
  'argReduce',
  'matmul',
  'softmax',
  'gather',
  'scatterAdd',
  'indexSelect',
  'indexAdd',
] as const satisfies readonly (keyof Backend)[];
