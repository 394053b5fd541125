import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import { cat } from '../ops/indexing.js';
import { setTracer } from '../ops/trace.js';
import { fmtShape, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Graph, Node, Value } from './ir.js';
import { withModulePaths } from './module-paths.js';
import { constantFolding, deadCodeElimination } from './passes.js';
import { Recorder } from './recorder.js';

/** Options of `trace`. */
export interface TraceOptions {
  /** Names of the inputs (default `input`, `input.1`, ...), as `torch.onnx.export`'s inputNames. */
  inputNames?: readonly string[];
  /**
   * For each input (by position), the axes whose size may change (a batch axis, a sequence
   * axis). The model is traced a second time with those axes one larger; dims that change are
   * marked dynamic in the graph.
   */
  dynamicAxes?: readonly (readonly number[] | undefined)[];
  /** Fold nodes that read only parameters and constants into constants (default true). */
  foldConstants?: boolean;
}

function runOnce(model: Module, inputs: readonly Tensor[], names: readonly string[]): Recorder {
  const params: [string, Tensor][] = [...model.namedParameters(), ...model.namedBuffers()];
  const recorder = new Recorder(params);
  inputs.forEach((t, i) => {
    recorder.input(t, names[i]!);
  });
  const previous = setTracer(recorder);
  try {
    const result = noGrad(() =>
      withModulePaths(model, recorder.paths, () =>
        (model.forward as (...args: Tensor[]) => unknown)(...inputs),
      ),
    );
    recorder.finish(result);
  } finally {
    setTracer(previous);
  }
  return recorder;
}

/** `t` grown by one along each of `axes` (its first slice repeated), so values stay valid. */
function grow(t: Tensor, axes: readonly number[]): Tensor {
  let out = t;
  for (const axis of axes) {
    if (!Number.isInteger(axis) || axis < 0 || axis >= t.ndim)
      throw new ValueError(
        `trace: dynamic axis ${axis} is out of range for input ${fmtShape(t.shape)}`,
      );
    if (out.shape[axis] === 0)
      throw new ValueError(`trace: dynamic axis ${axis} of input ${fmtShape(t.shape)} is empty`);
    out = cat([out, out.narrow(axis, 0, 1)], axis);
  }
  return out;
}

/** Constants up to this size are compared between the two traces. */
const MAX_COMPARED = 1 << 16;

function sameValues(a: Tensor, b: Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++)
    if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return true;
}

function describe(node: Node | undefined): string {
  return node ? `${node.op} in '${node.path || '<root>'}'` : 'nothing';
}

/**
 * Marks the dims of `first` that changed in `second` (the same forward traced with larger dynamic
 * axes) and keeps the second trace's attributes beside the first's. Returns the constants whose
 * shape changed: tensors made inside the forward from the input's size.
 */
function markDynamic(first: Graph, second: Graph): Map<Value, string> {
  const sized = new Map<Value, string>();
  if (first.nodes.length !== second.nodes.length)
    throw new ValueError(
      `trace: the forward runs ${first.nodes.length} ops for the example inputs but ${second.nodes.length} when a dynamic axis grows; its control flow depends on input sizes, so it cannot be exported with dynamicAxes`,
    );
  const mark = (a: Value, b: Value) => {
    a.dynamic = a.shape.map((d, i) => d !== b.shape[i]);
  };
  first.inputs.forEach((v, i) => {
    mark(v, second.inputs[i]!);
  });
  first.nodes.forEach((node, i) => {
    const other = second.nodes[i]!;
    if (other.op !== node.op || other.outputs.length !== node.outputs.length)
      throw new ValueError(
        `trace: op ${i} is ${describe(node)} for the example inputs but ${describe(other)} when a dynamic axis grows; the forward cannot be exported with dynamicAxes`,
      );
    node.outputs.forEach((v, j) => {
      mark(v, other.outputs[j]!);
    });
    (node as { alt?: Node['attrs'] }).alt = other.attrs;
    node.inputs.forEach((v, j) => {
      const w = other.inputs[j];
      if (v?.kind !== 'constant' || !w) return;
      if (w.shape.join() !== v.shape.join())
        sized.set(
          v,
          `${describe(node)}: a tensor of shape ${fmtShape(v.shape)} made inside the forward changes to ${fmtShape(w.shape)} with the input size`,
        );
      else if (v.data && w.data && v.data.numel() <= MAX_COMPARED && !sameValues(v.data, w.data))
        sized.set(
          v,
          `${describe(node)}: a constant of shape ${fmtShape(v.shape)} computed inside the forward (from an input's size, such as x.shape[0]) changes with the input size`,
        );
    });
  });
  return sized;
}

/**
 * Runs `model.forward(...exampleInputs)` (in no-grad mode, in the model's current train/eval
 * mode) and records it as a graph: every primitive and composite (convolution, layer norm,
 * LSTM...) with its inputs, output shapes and dtypes, attributes and module path. Dead code is
 * removed and, by default, constant subgraphs are folded.
 *
 * @example
 * ```ts
 * const model = new k.nn.Sequential(new k.nn.Linear(4, 8), new k.nn.ReLU()).eval();
 * const g = k.graph.trace(model, [k.randn([2, 4])], { dynamicAxes: [[0]] });
 * g.nodes.map((n) => n.op); // ['linear', 'relu']
 * ```
 */
export function trace(
  model: Module,
  exampleInputs: Tensor | readonly Tensor[],
  options: TraceOptions = {},
): Graph {
  const inputs = exampleInputs instanceof Tensor ? [exampleInputs] : [...exampleInputs];
  if (inputs.length === 0 || inputs.some((t) => !(t instanceof Tensor)))
    throw new ValueError('trace: exampleInputs must be a tensor or a non-empty list of tensors');
  const names = inputs.map((_, i) => options.inputNames?.[i] ?? (i === 0 ? 'input' : `input.${i}`));
  const first = runOnce(model, inputs, names).graph;
  const axes = options.dynamicAxes ?? [];
  let sized = new Map<Value, string>();
  if (axes.some((a) => a && a.length > 0)) {
    const grown = inputs.map((t, i) => grow(t, axes[i] ?? []));
    sized = markDynamic(first, runOnce(model, grown, names).graph);
  }
  deadCodeElimination(first);
  for (const c of first.constants) {
    const problem = sized.get(c);
    if (problem) throw new ValueError(`trace: ${problem}; it cannot follow a dynamic axis`);
  }
  if (options.foldConstants ?? true) constantFolding(first);
  for (const n of first.nodes) for (const v of n.outputs) v.data = null;
  for (const v of first.inputs) v.data = null;
  return first;
}
