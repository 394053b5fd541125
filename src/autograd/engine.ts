import { backend } from '../backend/registry.js';
import {
  isGraphOwned,
  recycleStorage,
  startBirths,
  stopBirths,
  unmarkGraphOwned,
} from '../backend/storage-pool.js';
import { empty } from '../ops/core.js';
import type { TypedArray } from '../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { bumpStorageVersion } from '../tensor/storage-version.js';
import type { Tensor } from '../tensor/tensor.js';
import { setGradEnabled } from './grad-mode.js';
import { LeafHookRunner, runHooks } from './hooks.js';
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

/**
 * Activation storages marked graph-owned (`markGraphOwned`) that the nodes of `order` save, with
 * the number of saved tensors over each: the storage is dead once all of them are released.
 */
function graphOwnedRefs(order: readonly GradNode[]): Map<TypedArray, number> | null {
  let refs: Map<TypedArray, number> | null = null;
  for (const node of order) {
    for (const t of node.saved) {
      if (!isGraphOwned(t.storage)) continue;
      refs ??= new Map();
      refs.set(t.storage, (refs.get(t.storage) ?? 0) + 1);
    }
  }
  return refs;
}

/**
 * Gradient slots filled during one backward pass. A freshly computed gradient is adopted as a
 * slot's tensor without a copy when no other slot of this pass holds its storage; otherwise
 * it is copied, so clipping one `.grad` in place never changes another. A slot adopted in this
 * pass is never added to in place (its storage may still be an upstream gradient that a later
 * rule reads).
 */
class Slots {
  readonly claimed = new Set<TypedArray>();

  constructor(private readonly createGraph: boolean) {}

  /** Keeps `t`'s storage from ever being adopted (a gradient the caller passed in). */
  reserve(t: Tensor): void {
    this.claimed.add(t.storage);
  }

  private adoptable(g: Tensor): boolean {
    return (
      g.offset === 0 &&
      g.storage.length === g.numel() &&
      g.isContiguous() &&
      !this.claimed.has(g.storage)
    );
  }

  /** Adds g into a slot holding `existing` (or null) and returns the slot's new tensor. */
  accumulate(existing: Tensor | null, g: Tensor): Tensor {
    if (this.createGraph) return existing === null ? g : existing.add(g);
    if (existing === null) {
      const owned = this.adoptable(g) ? g.detach() : g.detach().clone();
      this.claimed.add(owned.storage);
      return owned;
    }
    const inPlace = existing.isContiguous() && existing.dtype === g.dtype && !existing.requiresGrad;
    if (inPlace && !this.claimed.has(existing.storage)) {
      backend().binary('add', existing, g.expand(existing.shape), existing);
      bumpStorageVersion(existing.storage);
      return existing;
    }
    const sum = existing.add(g).detach();
    this.claimed.add(sum.storage);
    return sum;
  }
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
    // A fresh one-element tensor of the root's shape (a clone and a fill cost two kernel calls).
    seed = empty(root.shape, root.dtype);
    seed.storage[0] = 1;
  } else {
    if (grad.ndim !== root.ndim || grad.shape.some((d, i) => d !== root.shape[i])) {
      throw new ShapeError(
        `backward: grad of shape ${fmtShape(grad.shape)} does not match the output ${fmtShape(root.shape)}`,
      );
    }
    seed = grad.to(root.dtype);
  }
  const slots = new Slots(createGraph);
  // A gradient passed in by the caller stays the caller's: never adopt it as a .grad.
  if (grad !== undefined) slots.reserve(seed);
  const previous = setGradEnabled(createGraph);
  // Without createGraph, every pooled storage allocated during the pass is referenced only by
  // the pass's own temporaries, except those that became a .grad (claimed): the rest go back to
  // the pool once the pass has finished, for the next step's backward to reuse.
  const born = createGraph ? null : startBirths();
  let finished = false;
  // Graph-owned activations whose last saving node was freed in this pass: given back after it.
  const dead: TypedArray[] = [];
  try {
    if (root.gradFn === null) {
      root.grad = slots.accumulate(root.grad, seed);
      runHooks(root);
      return;
    }
    const grads = new Map<GradNode, Tensor>([[root.gradFn, seed]]);
    const order = topologicalOrder(root.gradFn);
    const hooks = LeafHookRunner.forGraph(order);
    const owned = born && !retainGraph ? graphOwnedRefs(order) : null;
    for (const node of order) {
      const g = grads.get(node);
      if (g === undefined) {
        hooks?.skip(node);
        continue;
      }
      grads.delete(node);
      if (node.freed) {
        throw new ValueError(
          `backward: trying to backward through ${node.name} a second time, after its saved tensors were freed; pass { retainGraph: true } to the first backward`,
        );
      }
      if (node.retained) node.retained.grad = slots.accumulate(node.retained.grad, g);
      // Every GradOp has a rule: rules.ts is checked against the op table at compile time.
      const inputGrads = RULES[node.op](g, node);
      node.next.forEach((edge, i) => {
        const gi = inputGrads[i];
        if (edge === null) return;
        if (gi === null || gi === undefined) {
          if (!(edge instanceof GradNode)) hooks?.settle(edge, false);
          return;
        }
        const fitted = fitGradient(gi, node.inputShapes[i]!, node.inputDtypes[i]!);
        if (edge instanceof GradNode) {
          const existing = grads.get(edge);
          grads.set(edge, existing === undefined ? fitted : existing.add(fitted));
        } else {
          const before = edge.peekGrad();
          const after = slots.accumulate(before, fitted);
          // A .grad allocated in this pass is referenced by nothing else: zeroGrad may recycle it.
          if (after !== before) edge.setGradFromEngine(after, born?.has(after.storage) ?? false);
          hooks?.settle(edge, true);
        }
      });
      if (!retainGraph && node.saved.length > 0) {
        if (owned) {
          for (const t of node.saved) {
            const n = owned.get(t.storage);
            if (n === undefined) continue;
            if (n > 1) owned.set(t.storage, n - 1);
            else {
              owned.delete(t.storage);
              dead.push(t.storage);
            }
          }
        }
        node.saved = [];
        node.freed = true;
        if (!createGraph) for (const s of node.owned) recycleStorage(s);
        node.owned = [];
      }
    }
    finished = true;
  } finally {
    if (born) stopBirths();
    setGradEnabled(previous);
  }
  if (finished && born) {
    for (const s of born) if (!slots.claimed.has(s)) recycleStorage(s);
    // (A storage that became a .grad stays alive, and is no longer the graph's.)
    for (const s of dead)
      if (slots.claimed.has(s)) unmarkGraphOwned(s);
      else recycleStorage(s);
  }
}
