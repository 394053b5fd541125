import type { Node, Value } from '../graph/ir.js';
import { ones, zeros } from '../ops/creation.js';
import { type Handler, PRIMITIVES } from './primitives.js';
import { recurrent } from './recurrent.js';

function list(node: Node, key: string): number[] {
  const v = node.attrs[key];
  return Array.isArray(v) ? [...(v as number[])] : [];
}

function num(node: Node, key: string): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : 0;
}

function input(node: Node, i: number): Value {
  return node.inputs[i]!;
}

/** Trailing padding that makes ONNX's floor formula give the traced output size. */
function endPads(
  node: Node,
  kernel: readonly number[],
  stride: readonly number[],
  pads: readonly number[],
  dilation?: readonly number[],
): number[] {
  const inShape = input(node, 0).shape;
  const outShape = node.outputs[0]!.shape;
  return kernel.map((k, i) =>
    Math.max(
      0,
      (outShape[i + 2]! - 1) * stride[i]! +
        (dilation?.[i] ?? 1) * (k - 1) +
        1 -
        inShape[i + 2]! -
        pads[i]!,
    ),
  );
}

/** Handlers of the composites kiln's layers mark (one ONNX operator or a small subgraph each). */
export const LAYERS: Record<string, Handler> = {
  conv: (e, n, ins, outs) => {
    const w = input(n, 1);
    const [x, wName, b] = ins;
    e.node(
      'Conv',
      b ? [x!, wName!, b] : [x!, wName!],
      {
        kernel_shape: { ints: w.shape.slice(2) },
        strides: { ints: list(n, 'stride') },
        pads: { ints: [...list(n, 'padL'), ...list(n, 'padR')] },
        dilations: { ints: list(n, 'dilation') },
        group: { i: num(n, 'groups') },
      },
      outs,
    );
  },
  convTranspose: (e, n, ins, outs) => {
    const w = input(n, 1);
    const [x, wName, b] = ins;
    const padding = list(n, 'padding');
    e.node(
      'ConvTranspose',
      b ? [x!, wName!, b] : [x!, wName!],
      {
        kernel_shape: { ints: w.shape.slice(2) },
        strides: { ints: list(n, 'stride') },
        pads: { ints: [...padding, ...padding] },
        dilations: { ints: list(n, 'dilation') },
        output_padding: { ints: list(n, 'outputPadding') },
        group: { i: num(n, 'groups') },
      },
      outs,
    );
  },
  maxPool: PRIMITIVES.maxPool!,
  avgPool: (e, n, [x], outs) => {
    // Every window lies inside the padded input, so AveragePool divides by the kernel area;
    // PyTorch's divisor per position (padding, ceilMode, countIncludePad) is then one Mul.
    const kernel = list(n, 'kernel');
    const stride = list(n, 'stride');
    const padL = list(n, 'padL');
    const pads = [...padL, ...endPads(n, kernel, stride, padL)];
    const area = kernel[0]! * kernel[1]!;
    const divisor = list(n, 'divisor');
    const attrs = {
      kernel_shape: { ints: kernel },
      strides: { ints: stride },
      pads: { ints: pads },
      count_include_pad: { i: 1 },
    };
    if (divisor.every((d) => d === area)) return void e.node('AveragePool', [x!], attrs, outs);
    const avg = e.node('AveragePool', [x!], attrs);
    const out = list(n, 'out');
    const factor = e.scalar(
      divisor.map((d) => area / d),
      n.outputs[0]!.dtype,
      out,
    );
    e.node('Mul', [avg[0]!, factor], {}, outs);
  },
  batchNorm: (e, n, ins, outs) => {
    const [x, mean, variance, w, b] = ins;
    const c = input(n, 1).shape;
    const dtype = input(n, 0).dtype;
    const scale = w || e.tensor(ones(c, { dtype }), 'bn_scale');
    const bias = b || e.tensor(zeros(c, { dtype }), 'bn_bias');
    e.node(
      'BatchNormalization',
      [x!, scale, bias, mean!, variance!],
      { epsilon: { f: num(n, 'eps') } },
      outs,
    );
  },
  layerNorm: (e, n, ins, outs) => {
    const [x, w, b] = ins;
    const xv = input(n, 0);
    const axis = num(n, 'axis');
    const shape = xv.shape.slice(xv.shape.length + axis);
    const scale = w || e.tensor(ones(shape, { dtype: xv.dtype }), 'ln_scale');
    const attrs = { axis: { i: axis }, epsilon: { f: num(n, 'eps') } };
    e.node('LayerNormalization', b ? [x!, scale, b] : [x!, scale], attrs, outs);
  },
  embedding: (e, _n, [idx, w], outs) => {
    e.node('Gather', [w!, idx!], { axis: { i: 0 } }, outs);
  },
  rnn: recurrent,
  mean: (e, n, [x], outs) => {
    const dims = list(n, 'dims');
    if (dims.length === 0) return void e.node('Identity', [x!], {}, outs);
    const keepdims = { i: n.attrs.keepDim ? 1 : 0 };
    if (e.opset >= 18) e.node('ReduceMean', [x!, e.int64(dims)], { keepdims }, outs);
    else e.node('ReduceMean', [x!], { axes: { ints: dims }, keepdims }, outs);
  },
};
