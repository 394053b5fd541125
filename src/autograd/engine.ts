import { backend } from '../backend/registry.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { setGradEnabled } from './grad-mode.js';
import { GradNode } from './node.js';
import { fitGradient, RULES } from './rules.js';

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep saved tensors so the graph can be walked again (default: `createGraph`, as PyTorch). */
  retainGraph?: boolean;
  /** Record the backward pass itself, for higher-order gradients (default false). */
  createGraph?: boolean;
}

/** Nodes reachable from `root`, ordered so each node comes before the nodes it feeds into. */
function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>([root]);
  const stack: [GradNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.next.length) {
      top[1] = i + 1;
      const edge = node.next[i];
      if (edge instanceof GradNode && !visited.has(edge)) {
        visited.add(edge);
        stack.push([edge, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/** Adds g into a gradient slot: a fresh copy the first time, in place afterwards (unless recording). */
function accumulate(existing: Tensor | null, g: Tensor, createGraph: boolean): Tensor {
  if (existing === null) return createGraph ? g : g.detach().clone();
  if (createGraph) return existing.add(g);
  if (existing.isContiguous() && existing.dtype === g.dtype && !existing.requiresGrad) {
    backend().binary('add', existing, g.expand(existing.shape), existing);
    return existing;
  }
  return existing.add(g).detach();
}

/** Reverse-mode differentiation from `root` (see `Tensor.backward`). */
export function backward(root: Tensor, grad: Tensor | undefined, options: BackwardOptions): void {
  const { createGraph = false, retainGraph = createGraph } = options;
  if (!root.requiresGrad) {
    throw new ValueError(
      'backward: this tensor does not require grad and has no recorded graph (was requiresGrad set on the inputs?)',
    );
  }
  let seed: Tensor;
  if (grad === undefined) {
    if (root.numel() !== 1) {
      throw new ValueError(
        `backward: grad can be implied only for scalar outputs, this has shape ${fmtShape(root.shape)}; pass a gradient`,
      );
    }
    seed = root.detach().clone().fill_(1);
  } else {
    if (grad.ndim !== root.ndim || grad.shape.some((d, i) => d !== root.shape[i])) {
      throw new ShapeError(
        `backward: grad of shape ${fmtShape(grad.shape)} does not match the output ${fmtShape(root.shape)}`,
      );
    }
    seed = grad.to(root.dtype);
  }
  const previous = setGradEnabled(createGraph);
  try {
    if (root.gradFn === null) {
      root.grad = accumulate(root.grad, seed, createGraph);
      return;
    }
    const grads = new Map<GradNode, Tensor>([[root.gradFn, seed]]);
    for (const node of topologicalOrder(root.gradFn)) {
      const g = grads.get(node);
      if (g === undefined) continue;
      grads.delete(node);
      if (node.freed) {
        throw new ValueError(
          `backward: trying to backward through ${node.name} a second time, after its saved tensors were freed; pass { retainGraph: true } to the first backward`,
        );
      }
      if (node.retained) node.retained.grad = accumulate(node.retained.grad, g, createGraph);
      const rule = RULES[node.op];
      if (!rule) throw new ValueError(`backward: no derivative rule for primitive '${node.op}'`);
      const inputGrads = rule(g, node);
      node.next.forEach((edge, i) => {
        const gi = inputGrads[i];
        if (edge === null || gi === null || gi === undefined) return;
        const fitted = fitGradient(gi, node.inputShapes[i]!, node.inputDtypes[i]!);
        if (edge instanceof GradNode) {
          const existing = grads.get(edge);
          grads.set(edge, existing === undefined ? fitted : existing.add(fitted));
        } else {
          edge.grad = accumulate(edge.grad, fitted, createGraph);
        }
      });
      if (!retainGraph && node.saved.length > 0) {
        node.saved = [];
        node.freed = true;
      }
    }
  } finally {
    setGradEnabled(previous);
  }
}
