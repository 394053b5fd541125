import { isGradEnabled } from '../../autograd/grad-mode.js';
import { markGraphOwned } from '../../backend/storage-pool.js';
import { tracer } from '../../ops/trace.js';
import type { TypedArray } from '../../tensor/dtype.js';
import { ValueError } from '../../tensor/errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { GRAPH_ONLY, InferenceRecycler, isBuiltIn } from './sequential-recycle.js';

/** A layer that can compute itself followed by `next` in one step (null: it cannot). */
interface FusesNext {
  forwardWith(x: unknown, next: Module): Tensor | null;
  /** Itself and the next two layers in one step (Conv2d + ReLU + MaxPool2d), or null. */
  forwardWithTwo?(x: unknown, next: Module, after: Module): Tensor | null;
}

function graphOnly(m: Module): boolean {
  return isBuiltIn(GRAPH_ONLY, m);
}

/**
 * Runs modules one after another, as `torch.nn.Sequential`: `new Sequential(a, b, c)` names
 * them `0`, `1`, `2` (state-dict keys `0.weight`...), `new Sequential({ fc1: a, act: b })`
 * uses the given names. Indexable (`seq[0]`, `seq.at(-1)`, `seq.get('fc1')`), iterable, and
 * growable with `append`.
 *
 * @example
 * ```ts
 * const mlp = new k.nn.Sequential(new k.nn.Linear(4, 8), new k.nn.ReLU(), new k.nn.Linear(8, 2));
 * mlp.forward(k.randn([3, 4])).shape; // [3, 2]
 * Object.keys(mlp.stateDict());        // ['0.weight', '0.bias', '2.weight', '2.bias']
 * ```
 */
export class Sequential extends Module<[Tensor], Tensor> {
  [index: number]: Module;
  readonly #names: string[] = [];
  readonly #modules: Module[] = [];

  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module)) {
      for (const [name, m] of Object.entries(first)) this.add(name, m);
    } else {
      for (const m of modules as Module[]) this.append(m);
    }
  }

  private add(name: string, m: unknown): void {
    if (!(m instanceof Module)) throw new ValueError(`Sequential: entry '${name}' is not a Module`);
    if (this.#names.includes(name))
      throw new ValueError(`Sequential: duplicate module name '${name}'`);
    if (name === '' || name.includes('.') || name in this)
      throw new ValueError(
        `Sequential: '${name}' cannot name a module (empty, dotted, or a Sequential member)`,
      );
    this.#names.push(name);
    this.#modules.push(m);
    // A non-enumerable own property gives `seq[0]` / `seq['fc1']` access without the generic
    // field walk seeing it twice; `entries()` supplies the order instead.
    Object.defineProperty(this, name, { value: m, enumerable: false, configurable: true });
  }

  /** Adds a module at the end (named by its position); returns this. */
  append(m: Module): this {
    this.add(String(this.#modules.length), m);
    return this;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const m = this.#modules.at(index);
    if (!m)
      throw new ValueError(`Sequential: index ${index} out of range for ${this.length} modules`);
    return m;
  }

  /** The module named `name`. */
  get(name: string): Module {
    const i = this.#names.indexOf(name);
    if (i < 0) throw new ValueError(`Sequential: no module named '${name}'`);
    return this.#modules[i]!;
  }

  /** The number of modules. */
  get length(): number {
    return this.#modules.length;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#modules[Symbol.iterator]();
  }

  protected override entries(): [string, unknown][] {
    return this.#names.map((name, i) => [name, this.#modules[i]]);
  }

  /**
   * Runs the modules in order. When grad is recorded, an intermediate output that only built-in
   * layers have seen (see `GRAPH_ONLY`) is referenced by nothing but the graph once this returns:
   * its storage is marked graph-owned, so backward gives it back to the storage pool as soon as
   * the nodes that saved it are freed, instead of leaving it to the garbage collector.
   */
  forward(x: Tensor): Tensor {
    let y: unknown = x;
    const mods = this.#modules;
    const track = mods.length > 1 && isGradEnabled() && tracer === null;
    // Storages some other layer has seen (it may keep them), and the candidate intermediates.
    const seen = track ? new Set<TypedArray>(x instanceof Tensor ? [x.storage] : []) : null;
    const inner: Tensor[] = [];
    // Without a graph, dead intermediates of built-in layers go back to the storage pool.
    const recycler =
      mods.length > 1 && !track && tracer === null && !isGradEnabled() && x instanceof Tensor
        ? new InferenceRecycler(x.storage)
        : null;
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i]! as Module & Partial<FusesNext>;
      const input = y;
      // A layer that runs itself and the next two, or the next one, in one kernel does so.
      const three =
        i + 2 < mods.length && m.forwardWithTwo
          ? m.forwardWithTwo(y, mods[i + 1]!, mods[i + 2]!)
          : null;
      if (three !== null) {
        // (Conv2d + ReLU + MaxPool2d: not a graph-only layer, so what it saw is not marked.)
        y = three;
        recycler?.step(mods, i, i + 2, input, three);
        if (seen !== null) {
          if (input instanceof Tensor) seen.add(input.storage);
          seen.add(three.storage);
        }
        i += 2;
        continue;
      }
      const fused = i + 1 < mods.length && m.forwardWith ? m.forwardWith(y, mods[i + 1]!) : null;
      const last = fused !== null ? i + 1 : i;
      y = fused ?? m.forward(y);
      recycler?.step(mods, i, last, input, y);
      if (seen !== null) {
        if (graphOnly(m) && graphOnly(mods[last]!)) {
          if (y instanceof Tensor) inner.push(y);
        } else {
          if (input instanceof Tensor) seen.add(input.storage);
          if (y instanceof Tensor) seen.add(y.storage);
        }
      }
      i = last;
    }
    if (seen !== null && y instanceof Tensor) {
      seen.add(y.storage);
      for (const t of inner) if (!seen.has(t.storage)) markGraphOwned(t.storage);
    }
    return y as Tensor;
  }
}
