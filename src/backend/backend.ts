import type { DType, TypedArray } from '../tensor/dtype.js';
import type { ArgReduceOp, BinaryOp, ReduceOp, UnaryOp } from './op-table/index.js';

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

// The primitive names live in the op table (./op-table/), with their dtype rules and formulas.
export {
  type ArgReduceOp,
  BINARY_OPS,
  type BinaryOp,
  REDUCE_OPS,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
} from './op-table/index.js';

/**
 * A sliding window over the two spatial dims (h, w) of [N, C, H, W] data, for `im2col`, `col2im`
 * and `maxPool`. Only the leading (top, left) padding is given: the window positions are fixed by
 * the output size the caller chose, and taps that fall outside the input read 0 (or are skipped
 * by max pooling), so asymmetric padding ('same' with an even kernel, ceilMode) needs no extra
 * fields.
 */
export interface Window2d {
  /** Kernel size [kh, kw]. */
  readonly kernel: readonly [number, number];
  /** Step between window positions [sh, sw]. */
  readonly stride: readonly [number, number];
  /** Leading zero padding [top, left]. */
  readonly padding: readonly [number, number];
  /** Spacing between kernel taps [dh, dw]. */
  readonly dilation: readonly [number, number];
}

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
  /**
   * Unfolds the windows of x [N, C, H, W] into out [C, kh, kw, N, OH, OW] (contiguous):
   * `out[c, a, b, n, i, j] = x[n, c, i*sh - ph + a*dh, j*sw - pw + b*dw]`, 0 outside the input.
   * The layout puts the batch inside the columns, so a convolution is one matmul
   * `W[G, Og, Cg*kh*kw] @ cols[G, Cg*kh*kw, N*OH*OW]` and its weight gradient one more.
   */
  im2col(x: View, window: Window2d, out: View): void;
  /**
   * The adjoint of `im2col`: overwrites out [N, C, H, W] (contiguous) with the sum of every
   * column entry of cols [C, kh, kw, N, OH, OW] at the input position it was read from (entries
   * that fall in the padding are dropped). Used by the convolution backward and convTranspose.
   */
  col2im(cols: View, window: Window2d, out: View): void;
  /**
   * Max pooling of x [N, C, H, W] into out [N, C, OH, OW] (x's dtype) and indices [N, C, OH, OW]
   * (int32, the flat position `h*W + w` of the max inside its [H, W] plane, as PyTorch). Taps in
   * the padding are ignored; the first maximum wins ties; NaN propagates. The op layer
   * guarantees every window holds at least one input element.
   */
  maxPool(x: View, window: Window2d, out: View, indices: View): void;
  /**
   * The max-pooling backward: overwrites out [N, C, H, W] (contiguous) with zeros, then adds each
   * grad [N, C, OH, OW] entry at its plane position `indices` (int32, as `maxPool` wrote them).
   */
  maxPoolBackward(grad: View, indices: View, out: View): void;
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
  'im2col',
  'col2im',
  'maxPool',
  'maxPoolBackward',
] as const satisfies readonly (keyof Backend)[];
