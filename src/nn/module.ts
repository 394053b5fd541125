import { noGrad } from '../autograd/grad-mode.js';
import { recycleStorage } from '../backend/storage-pool.js';
import { type DType, isFloat } from '../tensor/dtype.js';
import { fmtShape, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { Buffer, Parameter } from './parameter.js';
import { type ModelSummary, type SummaryOptions, summarize } from './summary.js';

/** A parameter, buffer or submodule found among a module's fields, with where it lives. */
interface Member {
  /** The dotted name relative to the module that owns the field (`layers.0`, `running_mean`). */
  name: string;
  value: Parameter | Buffer | Module;
  /** The object (the module, an array or a plain object) holding the value, and its key there. */
  owner: Record<string | number, unknown>;
  slot: string | number;
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shape mismatches are always errors. */
  strict?: boolean;
}

/** What `loadStateDict` could not match (only non-empty when `strict` is false). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Base class of every layer and model, as `torch.nn.Module`. Subclasses simply assign fields:
 * `Parameter`s, `Buffer`s and `Module`s (also inside arrays and plain objects) are found by
 * walking the module's own fields in their order, and named PyTorch-style (`layers.0.weight`).
 * Modules are not callable: call `forward(...)`.
 *
 * A field may map to a different state-dict key with `setKeyName` (BatchNorm's `runningMean`
 * field is the `running_mean` key), so that keys are exactly PyTorch's.
 *
 * Differences from PyTorch: an array or plain object of modules is not a module itself, so
 * `namedChildren()` lists its entries (`layers.0`) rather than a `ModuleList`; the state-dict
 * keys are the same.
 *
 * @example
 * ```ts
 * class MLP extends k.nn.Module {
 *   fc1 = new k.nn.Linear(4, 8);
 *   fc2 = new k.nn.Linear(8, 2);
 *   forward(x: k.Tensor): k.Tensor { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 * const net = new MLP();
 * Object.keys(net.stateDict()); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module<I extends unknown[] = unknown[], O = unknown> {
  /** True in training mode (the default), false after `eval()`. */
  training = true;
  readonly #keyNames = new Map<string, string>();

  constructor() {
    // A JavaScript subclass without forward() would fail later with "forward is not a
    // function"; this stand-in says what is missing. A forward defined as a class field replaces it.
    if (typeof (this as { forward?: unknown }).forward !== 'function') {
      const name = new.target.name || 'this Module subclass';
      Object.defineProperty(this, 'forward', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: () => {
          throw new ValueError(
            `${name} has no forward(): a Module subclass must define forward(...inputs), the computation it performs`,
          );
        },
      });
    }
  }

  /** The computation of the module. */
  abstract forward(...inputs: I): O;

  /** Maps the field `field` to the state-dict key `key` (PyTorch's name for it). */
  protected setKeyName(field: string, key: string): void {
    this.#keyNames.set(field, key);
  }

  /** The `[key, value]` pairs walked for members; containers such as Sequential override it. */
  protected entries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const field of Object.keys(this)) {
      if (field === 'training') continue;
      out.push([this.#keyNames.get(field) ?? field, (this as Record<string, unknown>)[field]]);
    }
    return out;
  }

  /** Direct members, arrays and plain objects flattened into dotted names. */
  private members(): Member[] {
    const found: Member[] = [];
    const seen = new Set<unknown>();
    const visit = (name: string, value: unknown, owner: Member['owner'], slot: string | number) => {
      if (value instanceof Parameter || value instanceof Buffer || value instanceof Module) {
        found.push({ name, value, owner, slot });
      } else if (Array.isArray(value) || isPlainObject(value)) {
        if (seen.has(value)) return;
        seen.add(value);
        const container = value as Member['owner'];
        if (Array.isArray(value)) {
          for (const [i, v] of value.entries()) visit(`${name}.${i}`, v, container, i);
        } else for (const [k, v] of Object.entries(value)) visit(`${name}.${k}`, v, container, k);
      }
    };
    const self = this as unknown as Member['owner'];
    const fields = new Map(Object.keys(this).map((f) => [this.#keyNames.get(f) ?? f, f]));
    for (const [name, value] of this.entries()) visit(name, value, self, fields.get(name) ?? name);
    return found;
  }

  /** Direct submodules with their names, as `named_children()`. */
  namedChildren(): [string, Module][] {
    return this.members()
      .filter((m) => m.value instanceof Module)
      .map((m) => [m.name, m.value as Module]);
  }

  /** Direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every submodule (each once), depth first, with dotted names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (name: string, m: Module): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [child, sub] of m.namedChildren()) walk(name ? `${name}.${child}` : child, sub);
    };
    walk(prefix, this);
    return out;
  }

  /** This module and every submodule, as `modules()`. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own and nested members of one kind, in registration order; shared ones once unless `all`. */
  private namedOfKind<T extends Tensor>(kind: (v: unknown) => v is T, all: boolean): [string, T][] {
    const out: [string, T][] = [];
    const seen = new Set<T>();
    const walk = (prefix: string, m: Module, path: Set<Module>): void => {
      const members = m.members();
      for (const member of members) {
        if (!kind(member.value) || (!all && seen.has(member.value))) continue;
        seen.add(member.value);
        out.push([prefix + member.name, member.value]);
      }
      for (const member of members) {
        const sub = member.value;
        if (!(sub instanceof Module) || path.has(sub)) continue;
        if (!all && subtreeSeen.has(sub)) continue;
        subtreeSeen.add(sub);
        walk(`${prefix}${member.name}.`, sub, new Set(path).add(sub));
      }
    };
    const subtreeSeen = new Set<Module>();
    walk('', this, new Set([this]));
    return out;
  }

  /** `[name, parameter]` pairs, as `named_parameters()` (shared parameters listed once). */
  namedParameters(): [string, Parameter][] {
    return this.namedOfKind((v): v is Parameter => v instanceof Parameter, false);
  }

  /** Every parameter, each once. */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** `[name, buffer]` pairs, as `named_buffers()`. */
  namedBuffers(): [string, Buffer][] {
    return this.namedOfKind((v): v is Buffer => v instanceof Buffer, false);
  }

  /** Every buffer, each once. */
  buffers(): Buffer[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every submodule; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every submodule (children first) and on this module, as `apply()`. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Resets every parameter's gradient to null (a gradient nothing read out through `.grad` goes
   * back to the storage pool, as with an optimizer's `zeroGrad`).
   */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      const dead = p.dropGrad();
      if (dead) recycleStorage(dead);
    }
  }

  /** The number of parameter elements (only those that require grad with `trainableOnly`). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !options.trainableOnly || p.requiresGrad)
      .reduce((acc, p) => acc + p.numel(), 0);
  }

  /** The tensors saved by `stateDict`, by key (shared tensors under each of their names). */
  private stateEntries(): [string, Parameter | Buffer][] {
    const isState = (v: unknown): v is Parameter | Buffer =>
      v instanceof Parameter || (v instanceof Buffer && v.persistent);
    return this.namedOfKind(isState, true);
  }

  /**
   * The parameters and persistent buffers by key, in registration order, as a plain object of
   * tensors sharing the module's storage (detached). Keys are exactly PyTorch's.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, t] of this.stateEntries()) out[key] = t.detach();
    return out;
  }

  /**
   * Copies a state dict into the module's tensors in place (converting dtypes). Nothing is
   * copied when there is an error: shape mismatches always, and missing or unexpected keys when
   * `strict` (the default), throw a `ValueError` listing every offending key. `strict` may be
   * passed as a boolean, as PyTorch's positional argument: `loadStateDict(sd, false)`.
   */
  loadStateDict(
    stateDict: Record<string, Tensor>,
    options: LoadStateDictOptions | boolean = {},
  ): LoadStateDictResult {
    // A boolean is PyTorch's positional `strict` (`load_state_dict(sd, False)`).
    const strict = typeof options === 'boolean' ? options : (options.strict ?? true);
    const targets = new Map(this.stateEntries());
    const missingKeys = [...targets.keys()].filter((k) => !Object.hasOwn(stateDict, k));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !targets.has(k));
    const problems: string[] = [];
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, target] of targets) {
      if (!Object.hasOwn(stateDict, key)) continue;
      const src = stateDict[key];
      if (!(src instanceof Tensor)) {
        problems.push(`value of '${key}' is not a Tensor`);
      } else if (src.ndim !== target.ndim || src.shape.some((d, i) => d !== target.shape[i])) {
        problems.push(
          `size mismatch for '${key}': got ${fmtShape(src.shape)}, the module has ${fmtShape(target.shape)}`,
        );
      } else pairs.push([target, src]);
    }
    if (strict && missingKeys.length)
      problems.push(`missing keys: ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length)
      problems.push(`unexpected keys: ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    if (problems.length) {
      throw new ValueError(
        `loadStateDict: error(s) loading into ${this.constructor.name}:\n  ${problems.join('\n  ')}`,
      );
    }
    noGrad(() => {
      for (const [target, src] of pairs) target.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Converts the float parameters and buffers to `dtype` (new tensors replace the old ones in
   * their fields; gradients are dropped), as `module.to(dtype)`. Returns this.
   */
  to(dtype: DType): this {
    for (const m of this.modules()) {
      for (const member of m.members()) {
        const v = member.value;
        if (v instanceof Module || !isFloat(v.dtype) || v.dtype === dtype) continue;
        const data = noGrad(() => v.to(dtype));
        member.owner[member.slot] =
          v instanceof Parameter
            ? new Parameter(data, v.requiresGrad)
            : new Buffer(data, { persistent: v.persistent });
      }
    }
    return this;
  }

  /**
   * A Keras-like table of the submodules: name and class, output shape (from a forward pass on
   * zeros of `inputShape`, batch dim included, in eval mode under noGrad; training flags are
   * restored), parameter count, and total/trainable/non-trainable totals. `print: true` logs it.
   */
  summary(inputShape: readonly number[], options: SummaryOptions = {}): ModelSummary {
    return summarize(this, inputShape, options);
  }

  /** Extra text in `toString()` after the class name (PyTorch's `extra_repr`). */
  protected extraRepr(): string {
    return '';
  }

  /** A PyTorch-style nested rendering: `Sequential(\n  (0): Linear(in_features=4, ...)\n)`. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const body = children
      .map(([name, m]) => `  (${name}): ${m.toString().split('\n').join('\n  ')}`)
      .join('\n');
    return `${head}\n${body}\n)`;
  }
}
