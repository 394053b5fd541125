import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import type { Node, Value } from '../graph/ir.js';
import type { DType } from '../tensor/dtype.js';
import type { Emitter } from './emitter.js';
import { onnxType } from './model-proto.js';

/** Emits the ONNX nodes of one traced node: `ins` are its input names ('' if absent). */
export type Handler = (
  e: Emitter,
  node: Node,
  ins: readonly string[],
  outs: readonly string[],
) => void;

const INT64_MAX = 9223372036854775807n;

function input(node: Node, i: number): Value {
  return node.inputs[i]!;
}

function num(node: Node, key: string, fallback = 0): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : fallback;
}

function list(node: Node, key: string): number[] {
  const v = node.attrs[key];
  return Array.isArray(v) ? [...(v as number[])] : [];
}

/** y = op(x) for a one-to-one ONNX operator. */
function simple(opType: string): Handler {
  return (e, _n, ins, outs) => {
    e.node(opType, ins, {}, outs);
  };
}

/** The node's first output dtype. */
function outType(node: Node): DType {
  return node.outputs[0]!.dtype;
}

/**
 * Unary primitives, some of them as small ONNX subgraphs (opset 17 has no Gelu). One handler per
 * op-table entry: a new primitive without one fails to compile.
 */
const UNARY = {
  neg: simple('Neg'),
  abs: simple('Abs'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  rsqrt: (e, _n, [x], outs) => {
    e.node('Reciprocal', e.node('Sqrt', [x!]), {}, outs);
  },
  sin: simple('Sin'),
  cos: simple('Cos'),
  sign: simple('Sign'),
  erf: simple('Erf'),
  relu: simple('Relu'),
  sigmoid: simple('Sigmoid'),
  tanh: simple('Tanh'),
  floor: simple('Floor'),
  ceil: simple('Ceil'),
  round: simple('Round'),
  reciprocal: simple('Reciprocal'),
  isnan: simple('IsNaN'),
  logicalNot: simple('Not'),
  square: (e, _n, [x], outs) => {
    e.node('Mul', [x!, x!], {}, outs);
  },
  leakyRelu: (e, n, ins, outs) => {
    e.node('LeakyRelu', ins, { alpha: { f: num(n, 'param0') } }, outs);
  },
  elu: (e, n, ins, outs) => {
    e.node('Elu', ins, { alpha: { f: num(n, 'param0') } }, outs);
  },
  softplus: (e, n, [x], outs) => {
    // PyTorch's linear region above the threshold differs from log1p(exp) by < 1e-8 relative.
    const beta = num(n, 'param0', 1);
    if (beta === 1) return void e.node('Softplus', [x!], {}, outs);
    const t = outType(n);
    const sp = e.node('Softplus', e.node('Mul', [x!, e.scalar(beta, t)]));
    e.node('Div', [sp[0]!, e.scalar(beta, t)], {}, outs);
  },
  gelu: (e, n, [x], outs) => {
    if (e.opset >= 20) return void e.node('Gelu', [x!], {}, outs);
    const t = outType(n);
    const erf = e.node('Erf', e.node('Div', [x!, e.scalar(Math.SQRT2, t)]));
    const half = e.node('Mul', [x!, e.scalar(0.5, t)]);
    e.node('Mul', [half[0]!, e.node('Add', [erf[0], e.scalar(1, t)])[0]!], {}, outs);
  },
  geluTanh: (e, n, [x], outs) => {
    if (e.opset >= 20) return void e.node('Gelu', [x!], { approximate: { s: 'tanh' } }, outs);
    const t = outType(n);
    const cube = e.node('Mul', [x!, e.node('Mul', [x, x])[0]!]);
    const inner = e.node('Add', [x!, e.node('Mul', [cube[0], e.scalar(0.044715, t)])[0]!]);
    const th = e.node('Tanh', e.node('Mul', [inner[0]!, e.scalar(Math.sqrt(2 / Math.PI), t)]));
    const half = e.node('Mul', [x!, e.scalar(0.5, t)]);
    e.node('Mul', [half[0]!, e.node('Add', [th[0], e.scalar(1, t)])[0]!], {}, outs);
  },
  clamp: (e, n, [x], outs) => {
    const t = outType(n);
    const lo = num(n, 'param0', -Infinity);
    const hi = num(n, 'param1', Infinity);
    e.node(
      'Clip',
      [x!, lo === -Infinity ? '' : e.scalar(lo, t), hi === Infinity ? '' : e.scalar(hi, t)],
      {},
      outs,
    );
  },
  log1p: (e, n, [x], outs) => {
    e.node('Log', e.node('Add', [x!, e.scalar(1, outType(n))]), {}, outs);
  },
  expm1: (e, n, [x], outs) => {
    e.node('Sub', [e.node('Exp', [x])[0]!, e.scalar(1, outType(n))], {}, outs);
  },
  powScalar: (e, n, [x], outs) => {
    e.node('Pow', [x!, e.scalar(num(n, 'param0'), outType(n))], {}, outs);
  },
  scale: (e, n, [x], outs) => {
    const t = outType(n);
    const m = e.node('Mul', [x!, e.scalar(num(n, 'param0'), t)]);
    e.node('Add', [m[0]!, e.scalar(num(n, 'param1'), t)], {}, outs);
  },
  step: (e, n, [x], outs) => {
    const gt = e.node('Greater', [x!, e.scalar(num(n, 'param0'), input(n, 0).dtype)]);
    e.node('Cast', gt, { to: { i: onnxType(outType(n)) } }, outs);
  },
  isfinite: (e, _n, [x], outs) => {
    const bad = e.node('Or', [e.node('IsNaN', [x])[0]!, e.node('IsInf', [x])[0]!]);
    e.node('Not', bad, {}, outs);
  },
} satisfies Record<UnaryOp, Handler>;

const RANK: Record<string, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Comparisons and logical ops: ONNX wants equal operand types, kiln compares mixed ones. */
function compare(opType: string, negate = false): Handler {
  return (e, n, ins, outs) => {
    const [a, b] = [input(n, 0), input(n, 1)];
    let [x, y] = ins as [string, string];
    if (a.dtype !== b.dtype && !opType.startsWith('And') && !opType.startsWith('Or')) {
      const to = RANK[a.dtype]! > RANK[b.dtype]! ? a.dtype : b.dtype;
      if (a.dtype !== to) x = e.node('Cast', [x], { to: { i: onnxType(to) } })[0]!;
      if (b.dtype !== to) y = e.node('Cast', [y], { to: { i: onnxType(to) } })[0]!;
    }
    if (negate) e.node('Not', e.node(opType, [x, y]), {}, outs);
    else e.node(opType, [x, y], {}, outs);
  };
}

const BINARY = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  pow: simple('Pow'),
  maximum: simple('Max'),
  minimum: simple('Min'),
  eq: compare('Equal'),
  ne: compare('Equal', true),
  lt: compare('Less'),
  le: compare('LessOrEqual'),
  gt: compare('Greater'),
  ge: compare('GreaterOrEqual'),
  logicalAnd: compare('And'),
  logicalOr: compare('Or'),
} satisfies Record<BinaryOp, Handler>;

/** The Reshape target: 0 keeps a dynamic input dim in place, -1 takes one other dynamic dim. */
function reshapeTarget(e: Emitter, x: Value, y: Value): number[] {
  let inferred = 0;
  const target = y.shape.map((d, i) => {
    if (!y.dynamic[i]) return d;
    if (i < x.shape.length && x.dynamic[i] && x.shape[i] === d) return 0;
    inferred++;
    return -1;
  });
  if (inferred > 1)
    throw e.unsupported(
      `reshape from [${x.shape}] to [${y.shape}] moves more than one dynamic dim (dims ${y.dynamic.flatMap((d, i) => (d ? [i] : []))})`,
    );
  return target;
}

function sliceBounds(e: Emitter, n: Node): [bigint, bigint] {
  const x = input(n, 0);
  const dim = num(n, 'dim');
  const size = x.shape[dim]!;
  const start = num(n, 'start');
  const step = num(n, 'step', 1);
  const length = n.outputs[0].shape[dim]!;
  const end = length === 0 ? start : start + (length - 1) * step + 1;
  if (!x.dynamic[dim]) return [BigInt(start), BigInt(end)];
  // A dynamic dim: bounds fixed from the start or from the end in both traces.
  const alt = n.alt ?? {};
  const size2 = size + 1;
  const start2 = typeof alt.start === 'number' ? alt.start : start;
  const length2 = n.outputs[0]!.dynamic[dim] ? length + 1 : length;
  const end2 = length2 === 0 ? start2 : start2 + (length2 - 1) * step + 1;
  const bound = (a: number, b: number, which: string): bigint => {
    if (a === b) return BigInt(a);
    if (a - size === b - size2) return a === size ? INT64_MAX : BigInt(a - size);
    throw e.unsupported(
      `the slice ${which} ${a} on dynamic dim ${dim} follows neither the start nor the end`,
    );
  };
  return [bound(start, start2, 'start'), bound(end, end2, 'end')];
}

/** Handlers of kiln's primitives (views, elementwise, reductions, matmul, indexing). */
export const PRIMITIVES: Record<string, Handler> = {
  ...UNARY,
  ...BINARY,
  clone: simple('Identity'),
  detach: simple('Identity'),
  cast: (e, n, ins, outs) => {
    e.node('Cast', ins, { to: { i: onnxType(outType(n)) } }, outs);
  },
  reshape: (e, n, [x], outs) => {
    e.node('Reshape', [x!, e.int64(reshapeTarget(e, input(n, 0), n.outputs[0]!))], {}, outs);
  },
  permute: (e, n, ins, outs) => {
    e.node('Transpose', ins, { perm: { ints: list(n, 'perm') } }, outs);
  },
  expand: (e, n, [x], outs) => {
    const src = input(n, 0);
    const y = n.outputs[0]!;
    const lead = y.shape.length - src.shape.length;
    const target = y.shape.map((d, i) => {
      if (!y.dynamic[i]) return d;
      if (i >= lead && src.dynamic[i - lead]) return 1;
      throw e.unsupported(`expand of [${src.shape}] to a dynamic dim ${i} of [${y.shape}]`);
    });
    e.node('Expand', [x!, e.int64(target)], {}, outs);
  },
  slice: (e, n, [x], outs) => {
    const [start, end] = sliceBounds(e, n);
    const dims = [1];
    const i64 = (v: bigint) => e.initializer('const_i64', dims, 7, BigInt64Array.from([v]));
    const axes = e.int64([num(n, 'dim')]);
    const steps = e.int64([num(n, 'step', 1)]);
    e.node('Slice', [x!, i64(start), i64(end), axes, steps], {}, outs);
  },
  cat: (e, n, ins, outs) => {
    e.node('Concat', ins, { axis: { i: num(n, 'dim') } }, outs);
  },
  pad: (e, n, [x], outs) => {
    const before = list(n, 'pads');
    const inShape = input(n, 0).shape;
    const after = n.outputs[0]!.shape.map((d, i) => d - inShape[i]! - before[i]!);
    const value = e.scalar(num(n, 'param0'), outType(n));
    e.node('Pad', [x!, e.int64([...before, ...after]), value], {}, outs);
  },
  where: simple('Where'),
  gather: (e, n, ins, outs) => {
    e.node('GatherElements', ins, { axis: { i: num(n, 'dim') } }, outs);
  },
  indexSelect: (e, n, ins, outs) => {
    e.node('Gather', ins, { axis: { i: num(n, 'dim') } }, outs);
  },
  matmul: simple('MatMul'),
  linear: (e, n, ins, outs) => {
    const [x, w, b] = ins;
    if (input(n, 0).shape.length === 2) {
      return void e.node('Gemm', b ? [x!, w!, b] : [x!, w!], { transB: { i: 1 } }, outs);
    }
    const wt = e.node('Transpose', [w!], { perm: { ints: [1, 0] } });
    if (!b) return void e.node('MatMul', [x!, wt[0]!], {}, outs);
    e.node('Add', [e.node('MatMul', [x, wt[0]])[0]!, b], {}, outs);
  },
  sum: (e, n, [x], outs) => reduce(e, n, 'ReduceSum', x!, outs, true),
  amax: (e, n, [x], outs) => reduce(e, n, 'ReduceMax', x!, outs, e.opset >= 18),
  amin: (e, n, [x], outs) => reduce(e, n, 'ReduceMin', x!, outs, e.opset >= 18),
  softmax: (e, n, ins, outs) => {
    e.node('Softmax', ins, { axis: { i: num(n, 'dim') } }, outs);
  },
  logSoftmax: (e, n, ins, outs) => {
    e.node('LogSoftmax', ins, { axis: { i: num(n, 'dim') } }, outs);
  },
  argmax: (e, n, ins, outs) => argReduce(e, n, 'ArgMax', ins, outs),
  argmin: (e, n, ins, outs) => argReduce(e, n, 'ArgMin', ins, outs),
  maxPool: (e, n, [x], outs) => {
    const inShape = input(n, 0).shape;
    const outShape = n.outputs[0]!.shape;
    const kernel = list(n, 'kernel');
    const stride = list(n, 'stride');
    const padding = list(n, 'padding');
    const dilation = list(n, 'dilation');
    const end = [0, 1].map((i) =>
      Math.max(
        0,
        (outShape[i + 2]! - 1) * stride[i]! +
          dilation[i]! * (kernel[i]! - 1) +
          1 -
          inShape[i + 2]! -
          padding[i]!,
      ),
    );
    e.node(
      'MaxPool',
      [x!],
      {
        kernel_shape: { ints: kernel },
        strides: { ints: stride },
        pads: { ints: [...padding, ...end] },
        dilations: { ints: dilation },
      },
      outs,
    );
  },
};

function reduce(
  e: Emitter,
  n: Node,
  opType: string,
  x: string,
  outs: readonly string[],
  axesInput: boolean,
): void {
  const dims = list(n, 'dims');
  if (dims.length === 0) return void e.node('Identity', [x], {}, outs);
  const keepdims = { i: n.outputs[0]!.shape.length === input(n, 0).shape.length ? 1 : 0 };
  if (axesInput) e.node(opType, [x, e.int64(dims)], { keepdims }, outs);
  else e.node(opType, [x], { axes: { ints: dims }, keepdims }, outs);
}

function argReduce(
  e: Emitter,
  n: Node,
  opType: string,
  ins: readonly string[],
  outs: readonly string[],
): void {
  const idx = e.node(opType, ins, { axis: { i: num(n, 'dim') }, keepdims: { i: 1 } });
  e.node('Cast', idx, { to: { i: onnxType('int32') } }, outs);
}
