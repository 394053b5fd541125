import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** An attribute of a node: numbers, strings, flags and number lists (tensors are inputs). */
export type AttrValue = number | string | boolean | null | readonly number[];

/** Where a value comes from. */
export type ValueKind = 'input' | 'parameter' | 'constant' | 'node';

/**
 * One tensor in a traced graph. `dynamic[i]` marks a dim that follows a dynamic axis of an
 * input (it changed between the two traces); `data` holds the traced tensor for parameters and
 * constants (and, while tracing, for every value, so constants can be folded).
 *
 * @example
 * ```ts
 * const g = k.graph.trace(model, [x]);
 * g.inputs.map((v) => v.shape); // [[4, 784]]
 * ```
 */
export interface Value {
  readonly id: number;
  /** The state-dict key of a parameter, the input or output name, or `v<id>`. */
  name: string;
  kind: ValueKind;
  readonly shape: readonly number[];
  readonly dtype: DType;
  dynamic: boolean[];
  data: Tensor | null;
}

/**
 * One recorded operation: a primitive (`add`, `matmul`, `reshape`...) or a composite that
 * marked itself as one node (`conv`, `layerNorm`, `rnn`...). `path` is the module it ran in
 * (`encoder.layers.1.self_attn`, '' for the root).
 *
 * @example
 * ```ts
 * g.nodes.map((n) => `${n.path}: ${n.op}`);
 * ```
 */
export interface Node {
  readonly op: string;
  /** Input values in order; null for an absent optional input of a composite. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly path: string;
  readonly composite: boolean;
  /** The attributes of the second trace (with grown dynamic axes), when there was one. */
  readonly alt?: Readonly<Record<string, AttrValue>>;
}

/**
 * A traced forward: its inputs, outputs, parameters (by state-dict key), constants and nodes in
 * execution order.
 *
 * @example
 * ```ts
 * const g = k.graph.trace(model, [k.randn([2, 4])]);
 * console.log(g.nodes.length, g.parameters.map((p) => p.name));
 * ```
 */
export interface Graph {
  inputs: Value[];
  outputs: Value[];
  parameters: Value[];
  constants: Value[];
  nodes: Node[];
}

/** Values that some node or output still uses (for dead-code elimination). */
export function liveValues(graph: Graph): Set<Value> {
  const live = new Set<Value>(graph.outputs);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((v) => live.has(v))) continue;
    for (const v of node.inputs) if (v) live.add(v);
  }
  return live;
}
