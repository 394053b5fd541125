import { convBackward } from '../ops/conv.js';
import { convReluPoolBackward } from '../ops/conv-pool.js';
import { zeros } from '../ops/creation.js';
import { cast, unary, where } from '../ops/elementwise.js';
import { unslice } from '../ops/views.js';
import { col2im, im2col, maxPoolBackward } from '../ops/window.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { GradNode, GradOp } from './node.js';

/** A derivative rule: the gradients of a primitive's inputs given its output's gradient `g`. */
export type Rule = (g: Tensor, node: GradNode) => (Tensor | null)[];

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Saved tensors of a node: inputs first, then the output, as each primitive records them. */
function saved(node: GradNode, i: number): Tensor {
  return node.saved[i]!;
}

/** A reduction's result reshaped to the keepDim shape of its input. */
function keepDims(t: Tensor, node: GradNode): Tensor {
  const dims = node.attrs.dims!;
  return t.reshape(node.inputShapes[0]!.map((d, i) => (dims.includes(i) ? 1 : d)));
}

/** Whether input `i` of the node wants a gradient (skips work such as dX of a first layer). */
function needs(node: GradNode, i: number): boolean {
  return node.next[i] !== null;
}

/** A primitive's parameter (a slope, bound or exponent recorded with it). */
function param(node: GradNode, which: 0 | 1): number {
  return (which === 0 ? node.attrs.param0 : node.attrs.param1) ?? 0;
}

/** amax/amin: the gradient is shared evenly among the positions that hold the extremum. */
const extremumRule: Rule = (g, n) => {
  const x = saved(n, 0);
  const mask = cast(x.eq(keepDims(saved(n, 1), n)), g.dtype);
  return [keepDims(g, n).mul(mask).div(mask.sum(n.attrs.dims!, true))];
};

/**
 * The derivative rules, exactly one per primitive that records a graph node (`GradOp`: the
 * differentiable entries of the op table and the structural primitives), written with tensor
 * ops so that `createGraph` records them for higher-order gradients. A missing or unknown key is
 * a compile error. Unary primitives save [input, output]; binary ones save what the op table's
 * `saves` says ([a, b], plus the output for div and pow).
 */
export const RULES = {
  // Copies and views
  cast: (g) => [g],
  clone: (g) => [g],
  reshape: (g, n) => [g.reshape(n.inputShapes[0]!)],
  permute: (g, n) => {
    const perm = n.attrs.perm!;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.permute(inverse)];
  },
  expand: (g) => [g],
  slice: (g, n) => [unslice(g, n.inputShapes[0]!, n.attrs.dim!, n.attrs.start!, n.attrs.step!)],
  unslice: (g, n) => {
    const { dim, start, step } = n.attrs as { dim: number; start: number; step: number };
    const length = n.inputShapes[0][dim]!;
    return [g.slice(dim, start, start + (length - 1) * step + 1, step)];
  },
  cat: (g, n) => g.split(n.attrs.sizes!, n.attrs.dim!),
  pad: (g, n) => {
    const before = n.attrs.pads!;
    let out = g;
    n.inputShapes[0]!.forEach((size, d) => {
      out = out.narrow(d, before[d]!, size);
    });
    return [out];
  },

  // Unary
  neg: (g) => [g.neg()],
  abs: (g, n) => [g.mul(saved(n, 0).sign())],
  exp: (g, n) => [g.mul(saved(n, 1))],
  log: (g, n) => [g.div(saved(n, 0))],
  sqrt: (g, n) => [g.div(saved(n, 1).mul(2))],
  rsqrt: (g, n) => [g.mul(saved(n, 1).pow(3)).mul(-0.5)],
  sin: (g, n) => [g.mul(saved(n, 0).cos())],
  cos: (g, n) => [g.mul(saved(n, 0).sin()).neg()],
  sign: (g) => [g.mul(0)],
  floor: (g) => [g.mul(0)],
  ceil: (g) => [g.mul(0)],
  round: (g) => [g.mul(0)],
  erf: (g, n) => [
    g.mul(
      saved(n, 0)
        .square()
        .neg()
        .exp()
        .mul(2 / Math.sqrt(Math.PI)),
    ),
  ],
  relu: (g, n) => [g.mul(unary('step', saved(n, 1), 0))],
  sigmoid: (g, n) => {
    const y = saved(n, 1);
    return [g.mul(y.mul(y.neg().add(1)))];
  },
  tanh: (g, n) => [g.mul(saved(n, 1).square().neg().add(1))],
  softplus: (g, n) => {
    const [beta, threshold] = [param(n, 0), param(n, 1)];
    const bx = saved(n, 0).mul(beta);
    return [g.mul(where(bx.gt(threshold), 1, bx.sigmoid()))];
  },
  leakyRelu: (g, n) => {
    const slope = param(n, 0);
    return [g.mul(unary('scale', unary('step', saved(n, 0), 0), 1 - slope, slope))];
  },
  elu: (g, n) => {
    const alpha = param(n, 0);
    return [g.mul(where(saved(n, 0).gt(0), 1, saved(n, 1).add(alpha)))];
  },
  gelu: (g, n) => {
    const x = saved(n, 0);
    const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return [g.mul(cdf.add(x.mul(pdf)))];
  },
  geluTanh: (g, n) => {
    const x = saved(n, 0);
    const kappa = 0.044715;
    const inner = x.add(x.pow(3).mul(kappa)).mul(SQRT_2_OVER_PI).tanh();
    const left = inner.add(1).mul(0.5);
    const right = x
      .mul(0.5)
      .mul(inner.square().neg().add(1))
      .mul(
        x
          .square()
          .mul(3 * kappa)
          .add(1)
          .mul(SQRT_2_OVER_PI),
      );
    return [g.mul(left.add(right))];
  },
  clamp: (g, n) => {
    const x = saved(n, 0);
    return [where(x.ge(param(n, 0)).logicalAnd(x.le(param(n, 1))), g, 0)];
  },
  log1p: (g, n) => [g.div(saved(n, 0).add(1))],
  expm1: (g, n) => [g.mul(saved(n, 1).add(1))],
  reciprocal: (g, n) => [g.mul(saved(n, 1).square()).neg()],
  square: (g, n) => [g.mul(saved(n, 0)).mul(2)],
  powScalar: (g, n) => {
    const p = param(n, 0);
    return [
      p === 0
        ? g.mul(0)
        : g.mul(
            saved(n, 0)
              .pow(p - 1)
              .mul(p),
          ),
    ];
  },
  scale: (g, n) => [g.mul(param(n, 0))],

  // Binary (broadcast gradients are summed back to the input shapes by the engine)
  add: (g) => [g, g],
  sub: (g) => [g, g.neg()],
  mul: (g, n) => [needs(n, 0) ? g.mul(saved(n, 1)) : null, needs(n, 1) ? g.mul(saved(n, 0)) : null],
  div: (g, n) => {
    const b = saved(n, 1);
    return [needs(n, 0) ? g.div(b) : null, needs(n, 1) ? g.mul(saved(n, 2)).div(b).neg() : null];
  },
  pow: (g, n) => {
    const [a, b, out] = [saved(n, 0), saved(n, 1), saved(n, 2)];
    const da = needs(n, 0) ? where(b.eq(0), 0, g.mul(b).mul(a.pow(b.sub(1)))) : null;
    const db = needs(n, 1) ? where(a.eq(0).logicalAnd(b.ge(0)), 0, g.mul(out).mul(a.log())) : null;
    return [da, db];
  },
  maximum: (g, n) => {
    const [a, b] = [saved(n, 0), saved(n, 1)];
    const half = g.mul(0.5);
    return [where(a.eq(b), half, where(a.gt(b), g, 0)), where(a.eq(b), half, where(a.lt(b), g, 0))];
  },
  minimum: (g, n) => {
    const [a, b] = [saved(n, 0), saved(n, 1)];
    const half = g.mul(0.5);
    return [where(a.eq(b), half, where(a.lt(b), g, 0)), where(a.eq(b), half, where(a.gt(b), g, 0))];
  },
  where: (g, n) => {
    const cond = n.attrs.cond!;
    return [needs(n, 0) ? where(cond, g, 0) : null, needs(n, 1) ? where(cond, 0, g) : null];
  },

  // Reductions: g (and a saved output) are brought back to the keepDim shape to broadcast
  sum: (g, n) => [keepDims(g, n).expand(n.inputShapes[0]!)],
  amin: extremumRule,
  amax: extremumRule,
  softmax: (g, n) => {
    const y = saved(n, 0);
    return [y.mul(g.sub(g.mul(y).sum(n.attrs.dim!, true)))];
  },
  logSoftmax: (g, n) => {
    const y = saved(n, 0);
    return [g.sub(y.exp().mul(g.sum(n.attrs.dim!, true)))];
  },

  // Linear algebra
  matmul: (g, n) => {
    const [a, b] = [saved(n, 0), saved(n, 1)];
    return [
      needs(n, 0) ? g.matmul(b.transpose(-1, -2)) : null,
      needs(n, 1) ? a.transpose(-1, -2).matmul(g) : null,
    ];
  },

  linear: (g, n) => {
    const [x, w] = [saved(n, 0), saved(n, 1)];
    const g2 = g.reshape([-1, w.shape[0]!]);
    return [
      needs(n, 0) ? g.matmul(w) : null,
      needs(n, 1) ? g2.T.matmul(x.reshape([-1, w.shape[1]!])) : null,
      n.next.length > 2 && needs(n, 2) ? g2.sum(0) : null,
    ];
  },

  crossEntropy: (g, n) => {
    // softmax is recomputed from the saved logits so that createGraph differentiates it too.
    const [x, rowScale, targets] = [saved(n, 0), saved(n, 1), saved(n, 2)];
    const scale = g.ndim === 0 ? g : g.reshape([-1, 1]);
    return [x.softmax(1).mul(rowScale).sub(targets).mul(scale)];
  },

  // Indexing
  gather: (g, n) => [
    zeros(n.attrs.shape!, { dtype: g.dtype }).scatterAdd(n.attrs.dim!, n.attrs.index!, g),
  ],
  scatterAdd: (g, n) => [g, needs(n, 1) ? g.gather(n.attrs.dim!, n.attrs.index!) : null],
  indexSelect: (g, n) => [
    zeros(n.attrs.shape!, { dtype: g.dtype }).indexAdd(n.attrs.dim!, n.attrs.index!, g),
  ],
  indexAdd: (g, n) => [g, needs(n, 1) ? g.indexSelect(n.attrs.dim!, n.attrs.index!) : null],

  // Sliding windows: im2col and col2im are linear and each other's adjoint.
  im2col: (g, n) => {
    const shape = n.attrs.shape!;
    return [col2im(g, n.attrs.window!, [shape[2]!, shape[3]!])];
  },
  col2im: (g, n) => {
    const shape = n.attrs.shape!;
    return [im2col(g, n.attrs.window!, [shape[4]!, shape[5]!])];
  },
  maxPool: (g, n) => [maxPoolBackward(g, n.attrs.index!, n.inputShapes[0]!)],
  maxPoolBackward: (g, n) => {
    // The scatter's adjoint gathers each output's gradient back from its argmax position.
    const index = n.attrs.index!;
    const [b, c, oh, ow] = index.shape as [number, number, number, number];
    const plane = g.reshape([b, c, g.shape[2]! * g.shape[3]!]);
    return [plane.gather(2, index.reshape([b, c, oh * ow])).reshape([b, c, oh, ow])];
  },
  // The native fused convolution (ops/conv.ts).
  conv2d: convBackward,
  // The native fused training Conv2d + ReLU + MaxPool2d (ops/conv-pool.ts).
  conv2dReluPool: convReluPoolBackward,
} satisfies Record<GradOp, Rule>;

/**
 * Brings an input gradient to the input's shape and dtype: broadcast dims are summed away (new
 * leading dims, and dims that were 1), and the dtype is cast back.
 */
export function fitGradient(g: Tensor, shape: readonly number[], dtype: DType): Tensor {
  let out = g;
  if (out.ndim !== shape.length || out.shape.some((d, i) => d !== shape[i])) {
    const lead = out.ndim - shape.length;
    const dims: number[] = [];
    for (let i = 0; i < out.ndim; i++) {
      if (i < lead || (shape[i - lead] === 1 && out.shape[i] !== 1)) dims.push(i);
    }
    if (dims.length > 0) out = out.sum(dims, true);
    out = out.reshape(shape);
  }
  return out.dtype === dtype ? out : cast(out, dtype);
}
