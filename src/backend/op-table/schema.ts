/**
 * The shape of the op table's entries. The table (unary.ts, binary.ts, reduce.ts) is the one
 * source of truth for kiln's elementwise and reduction primitives: the op-name types, the dtype
 * sets of the op layer, the js backend's loop bodies and the native addon's op codes and scalar
 * formulas (native/src/generated/, written by `npm run gen:ops`) are all derived from it.
 */

/**
 * How a primitive's output dtype follows its input (after the op layer's type promotion):
 * - `same`: the input dtype (integer results stay integral, as PyTorch);
 * - `float`: float-only, integer and bool inputs are computed in float32;
 * - `float-if-fractional-p0`: as `same`, but float32 when the scalar `p0` is not an integer
 *   (`x.pow(0.5)` of an int32 tensor);
 * - `bool`: a predicate or comparison, the output is bool.
 */
export type DtypeRule = 'same' | 'float' | 'float-if-fractional-p0' | 'bool';

/**
 * Work per element relative to an add: 1 for cheap ops, 16 for transcendental ones. The native
 * kernels weigh elements by it to decide when a second thread pays.
 */
export type Cost = 1 | 16;

/** A primitive of one tensor input and two optional scalars `p0`, `p1`. */
export interface UnaryEntry {
  readonly name: string;
  readonly dtype: DtypeRule;
  /** Whether it records a graph node (then a derivative rule is required by the compiler). */
  readonly grad: boolean;
  readonly cost: Cost;
  /** JavaScript value expression over the number `x` and the scalars `p0`, `p1`. */
  readonly js: string;
  /** C++ expression over `double x, p0, p1` that rounds exactly as `js` (or within libm ulps). */
  readonly cpp: string;
}

/** A primitive of two tensor inputs (broadcast against each other by the op layer). */
export interface BinaryEntry {
  readonly name: string;
  readonly dtype: Exclude<DtypeRule, 'float-if-fractional-p0'>;
  readonly grad: boolean;
  readonly cost: Cost;
  /** Rejects two bool operands (PyTorch has no bool subtraction). */
  readonly noBool?: boolean;
  /** Tensors the derivative rule reads: none, the inputs, or the inputs and the output. */
  readonly saves: 'none' | 'inputs' | 'inputs+output';
  /** JavaScript value expression over the numbers `a` and `b`. */
  readonly js: string;
  /** The int32 variant, where float arithmetic would lose int32 wrap-around. */
  readonly jsInt?: string;
  /** C++ expression over `double a, b`. */
  readonly cpp: string;
}

/** A reduction that keeps values, accumulating in float64 from `identity`. */
export interface ReduceEntry {
  readonly name: string;
  readonly identity: number;
  /** JavaScript statement that folds the number `v` into the accumulator `acc`. */
  readonly js: string;
  /** The same statement in C++ (`double& acc`, `double v`). */
  readonly cpp: string;
}
