import type { Window2d } from '../backend/backend.js';
import type { DifferentiableBinaryOp, DifferentiableUnaryOp } from '../backend/op-table/index.js';
import type { DType, TypedArray } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Primitives outside the elementwise op table that record graph nodes: copies and views,
 * reductions, linear algebra, losses, indexing and sliding windows.
 */
export type StructuralOp =
  | 'cast'
  | 'clone'
  | 'reshape'
  | 'permute'
  | 'expand'
  | 'slice'
  | 'unslice'
  | 'cat'
  | 'pad'
  | 'where'
  | 'sum'
  | 'amin'
  | 'amax'
  | 'softmax'
  | 'logSoftmax'
  | 'matmul'
  | 'linear'
  | 'crossEntropy'
  | 'gather'
  | 'scatterAdd'
  | 'indexSelect'
  | 'indexAdd'
  | 'im2col'
  | 'col2im'
  | 'maxPool'
  | 'maxPoolBackward'
  | 'conv2d'
  | 'conv2dReluPool';

/**
 * Every primitive that records a graph node. `RULES` (rules.ts) must hold exactly one rule per
 * name and `record` takes only these names, so a primitive without a rule fails to compile.
 */
export type GradOp = DifferentiableUnaryOp | DifferentiableBinaryOp | StructuralOp;

/** Attributes a primitive records for its backward rule. */
export interface OpAttrs {
  dim?: number;
  dims?: readonly number[];
  shape?: readonly number[];
  perm?: readonly number[];
  start?: number;
  step?: number;
  param0?: number;
  param1?: number;
  index?: Tensor;
  cond?: Tensor;
  sizes?: readonly number[];
  pads?: readonly number[];
  /** The sliding window of im2col, col2im, maxPool, conv2d and conv2dReluPool. */
  window?: Window2d;
  /** Channel groups of conv2d. */
  groups?: number;
}

/**
 * Where a gradient flows next: the node that produced a non-leaf input, the leaf tensor itself
 * (whose `.grad` accumulates), or null for inputs that do not require grad.
 */
export type Edge = GradNode | Tensor | null;

/**
 * One recorded application of a primitive. A node keeps its inputs' producers (not the input
 * tensors, so intermediate activations are freed unless a rule saved them), the tensors its rule
 * needs, and the shapes and dtypes its input gradients must have.
 */
export class GradNode {
  /** Set by `retainGrad()` on the output tensor, so backward fills its `.grad`. */
  retained: Tensor | null = null;
  /** Set once backward has released the saved tensors (without `retainGraph`). */
  freed = false;
  /**
   * Storages that only this node's saved tensors reference (a convolution's internal im2col
   * columns): the engine recycles them when it frees the saved tensors.
   */
  owned: TypedArray[] = [];

  constructor(
    readonly op: GradOp,
    readonly next: readonly Edge[],
    public saved: Tensor[],
    readonly attrs: OpAttrs,
    readonly inputShapes: readonly (readonly number[])[],
    readonly inputDtypes: readonly DType[],
  ) {}

  /** Human-readable name, as PyTorch's `grad_fn=<AddBackward0>`. */
  get name(): string {
    return `${this.op[0]!.toUpperCase()}${this.op.slice(1)}Backward`;
  }
}
