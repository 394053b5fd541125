import type { OpAttrs } from '../autograd/node.js';
import type { CompositeAttr, TraceRecorder } from '../ops/trace.js';
import { Tensor } from '../tensor/tensor.js';
import type { AttrValue, Graph, Node, Value, ValueKind } from './ir.js';

/** The tensors in a forward's result (a tensor, or arrays and tuples of them), in order. */
export function flattenTensors(result: unknown, out: Tensor[] = []): Tensor[] {
  if (result instanceof Tensor) out.push(result);
  else if (Array.isArray(result)) for (const r of result) flattenTensors(r, out);
  return out;
}

/** A primitive's autograd attributes as plain node attributes (tensors become inputs). */
function plainAttrs(attrs: OpAttrs): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [key, v] of Object.entries(attrs)) {
    if (v === undefined || v instanceof Tensor) continue;
    if (key === 'window') {
      const w = v as NonNullable<OpAttrs['window']>;
      out.kernel = w.kernel;
      out.stride = w.stride;
      out.padding = w.padding;
      out.dilation = w.dilation;
    } else out[key] = v as AttrValue;
  }
  return out;
}

/**
 * Records one run of a forward: every primitive outside a composite, and every outermost
 * composite, with the module path it ran in. Tensors it has not seen (made inside the forward
 * without a recorded op, or captured from outside) become constants.
 * @internal
 */
export class Recorder implements TraceRecorder {
  readonly graph: Graph = { inputs: [], outputs: [], parameters: [], constants: [], nodes: [] };
  /** The current value of each tensor (a later op that rebinds a tensor wins). */
  private readonly values = new Map<Tensor, Value>();
  private depth = 0;
  private nextId = 0;
  /** The module path stack, maintained by the forward wrappers. */
  readonly paths: string[] = [''];

  constructor(parameters: readonly [string, Tensor][]) {
    for (const [name, t] of parameters) {
      if (this.values.has(t)) continue;
      this.graph.parameters.push(this.bind(t, 'parameter', name));
    }
  }

  private bind(t: Tensor, kind: ValueKind, name?: string): Value {
    const id = this.nextId++;
    const v: Value = {
      id,
      name: name ?? `v${id}`,
      kind,
      shape: [...t.shape],
      dtype: t.dtype,
      dynamic: t.shape.map(() => false),
      data: t,
    };
    this.values.set(t, v);
    return v;
  }

  /** Registers a graph input. */
  input(t: Tensor, name: string): Value {
    const v = this.bind(t, 'input', name);
    this.graph.inputs.push(v);
    return v;
  }

  /** The value of t, made a constant when the trace has not seen it. */
  valueOf(t: Tensor): Value {
    const known = this.values.get(t);
    if (known) return known;
    const v = this.bind(t, 'constant');
    this.graph.constants.push(v);
    return v;
  }

  private push(
    op: string,
    inputs: (Value | null)[],
    outs: readonly Tensor[],
    attrs: Record<string, AttrValue>,
    composite: boolean,
  ): void {
    const outputs = outs.map((t) => this.bind(t, 'node'));
    const path = this.paths[this.paths.length - 1]!;
    const node: Node = { op, inputs, outputs, attrs, path, composite };
    this.graph.nodes.push(node);
  }

  primitive(op: string, out: Tensor, inputs: readonly Tensor[], attrs: OpAttrs): void {
    if (this.depth > 0) return;
    const ins = inputs.map((t) => this.valueOf(t));
    // `where` and the index ops keep their condition or index tensor among the attributes.
    if (attrs.cond) ins.unshift(this.valueOf(attrs.cond));
    if (attrs.index) ins.push(this.valueOf(attrs.index));
    this.push(op, ins, [out], plainAttrs(attrs), false);
  }

  composite<T>(
    op: string,
    inputs: readonly (Tensor | null)[],
    attrs: Readonly<Record<string, CompositeAttr>>,
    run: () => T,
  ): T {
    if (this.depth > 0) return run();
    const ins = inputs.map((t) => (t ? this.valueOf(t) : null));
    this.depth++;
    let result: T;
    try {
      result = run();
    } finally {
      this.depth--;
    }
    this.push(op, ins, flattenTensors(result), { ...attrs }, true);
    return result;
  }

  /** Registers the forward's result as the graph outputs. */
  finish(result: unknown): void {
    this.graph.outputs = flattenTensors(result).map((t) => this.valueOf(t));
  }
}
