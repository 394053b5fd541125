import type { Tensor } from '../tensor/tensor.js';
import { GradNode } from './node.js';

/** Called with a leaf once backward has accumulated all of this pass's gradient into its `.grad`. */
export type PostAccumulateGradHook = (leaf: Tensor) => void;

/** What `registerPostAccumulateGradHook` returns. */
export interface RemovableHandle {
  /** Unregisters the hook. */
  remove(): void;
}

/**
 * Runs post-accumulate-grad hooks during one backward pass. A leaf may receive gradient along
 * several edges; its hooks run once, after the last edge into it from the walked graph was
 * processed (edges whose node received no gradient count as processed), and only if some
 * gradient arrived, as PyTorch's AccumulateGrad node fires once per backward.
 */
export class LeafHookRunner {
  private readonly remaining = new Map<Tensor, number>();
  private readonly received = new Set<Tensor>();

  private constructor() {}

  /** A runner for the leaves with hooks among `nodes`' edges, or null when there are none. */
  static forGraph(nodes: readonly GradNode[]): LeafHookRunner | null {
    let runner: LeafHookRunner | null = null;
    for (const node of nodes) {
      for (const edge of node.next) {
        if (edge === null || edge instanceof GradNode) continue;
        if (edge.postAccumulateGradHooks.length === 0) continue;
        runner ??= new LeafHookRunner();
        runner.remaining.set(edge, (runner.remaining.get(edge) ?? 0) + 1);
      }
    }
    return runner;
  }

  /** Records that one edge into `leaf` was processed, with or without a gradient. */
  settle(leaf: Tensor, gotGradient: boolean): void {
    const left = this.remaining.get(leaf);
    if (left === undefined) return;
    if (gotGradient) this.received.add(leaf);
    if (left > 1) {
      this.remaining.set(leaf, left - 1);
      return;
    }
    this.remaining.delete(leaf);
    if (this.received.has(leaf)) runHooks(leaf);
  }

  /** Settles every leaf edge of a node that received no gradient in this pass. */
  skip(node: GradNode): void {
    for (const edge of node.next) {
      if (edge !== null && !(edge instanceof GradNode)) this.settle(edge, false);
    }
  }
}

/** Runs `leaf`'s hooks in registration order (a leaf that is itself the root of backward). */
export function runHooks(leaf: Tensor): void {
  for (const hook of [...leaf.postAccumulateGradHooks]) hook(leaf);
}
