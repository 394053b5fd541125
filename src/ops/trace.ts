import type { OpAttrs } from '../autograd/node.js';
import type { Tensor } from '../tensor/tensor.js';

/** Plain attribute values a composite records for the exporter (no tensors). */
export type CompositeAttr = number | string | boolean | null | readonly number[];

/**
 * The recorder a graph trace installs while it runs a model's forward. The op layer reports
 * every primitive to it; composites report themselves as one node. Outside a trace `tracer` is
 * null and the op layer pays one comparison per op.
 * @internal
 */
export interface TraceRecorder {
  primitive(op: string, out: Tensor, inputs: readonly Tensor[], attrs: OpAttrs): void;
  composite<T>(
    op: string,
    inputs: readonly (Tensor | null)[],
    attrs: Readonly<Record<string, CompositeAttr>>,
    run: () => T,
  ): T;
}

/** The active recorder, or null (the common case). @internal */
export let tracer: TraceRecorder | null = null;

/** Installs `next` (or null) as the recorder and returns the previous one. @internal */
export function setTracer(next: TraceRecorder | null): TraceRecorder | null {
  const previous = tracer;
  tracer = next;
  return previous;
}

/**
 * Reports a result that records no autograd node (a comparison, a mask, an index result) to an
 * active trace, and returns it.
 * @internal
 */
export function traced(
  op: string,
  out: Tensor,
  inputs: readonly Tensor[],
  attrs: OpAttrs = {},
): Tensor {
  if (tracer !== null) tracer.primitive(op, out, inputs, attrs);
  return out;
}

/**
 * Runs `run` (a composite function such as a convolution or an LSTM) and, under a trace,
 * records it as the single node `op` with these inputs (null for an absent optional input)
 * instead of the primitives it is built from. Computation is the same either way.
 * @internal
 */
export function composite<T>(
  op: string,
  inputs: readonly (Tensor | null)[],
  attrs: Readonly<Record<string, CompositeAttr>>,
  run: () => T,
): T {
  return tracer === null ? run() : tracer.composite(op, inputs, attrs, run);
}
