/**
 * Graph tracing: `k.graph.trace(model, exampleInputs)` records a forward as a small typed IR.
 *
 * @example
 * ```ts
 * const g = k.graph.trace(model, [k.randn([2, 4])]);
 * ```
 */
export type { AttrValue, Graph, Node, Value, ValueKind } from './ir.js';
export { constantFolding, deadCodeElimination } from './passes.js';
export type { TraceOptions } from './trace.js';
export { trace } from './trace.js';
