import { type Graph, liveValues, type Value } from './ir.js';

/**
 * Removes nodes whose outputs nothing uses, and parameters and constants no live node reads.
 *
 * @example
 * ```ts
 * deadCodeElimination(graph);
 * ```
 */
export function deadCodeElimination(graph: Graph): Graph {
  const live = liveValues(graph);
  graph.nodes = graph.nodes.filter((n) => n.outputs.some((v) => live.has(v)));
  graph.parameters = graph.parameters.filter((v) => live.has(v));
  graph.constants = graph.constants.filter((v) => live.has(v));
  return graph;
}

function isStatic(v: Value | null): boolean {
  return v === null || v.kind === 'parameter' || v.kind === 'constant';
}

/**
 * Folds every node whose inputs are all parameters or constants into constants holding the
 * traced result (a transposed weight, a slice of a positional table, a mask built from
 * `arange`), then drops what became dead. Parameters stay by name where a live node reads them.
 *
 * @example
 * ```ts
 * constantFolding(graph).nodes.length;
 * ```
 */
export function constantFolding(graph: Graph): Graph {
  const kept = [];
  for (const node of graph.nodes) {
    const foldable =
      node.inputs.every(isStatic) &&
      node.inputs.some((v) => v !== null) &&
      node.outputs.every((v) => v.data !== null);
    if (!foldable) {
      kept.push(node);
      continue;
    }
    for (const out of node.outputs) {
      out.kind = 'constant';
      graph.constants.push(out);
    }
  }
  graph.nodes = kept;
  return deadCodeElimination(graph);
}
