import { noGrad } from '../autograd/grad-mode.js';
import { recycleStorage } from '../backend/storage-pool.js';
import { zerosLike } from '../ops/creation.js';
import type { TypedArray } from '../tensor/dtype.js';
import { fmtShape, ValueError } from '../tensor/errors.js';
import { bumpStorageVersion } from '../tensor/storage-version.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options every optimizer has. */
export interface BaseOptions {
  /** Learning rate. */
  lr: number;
}

/**
 * Fields that schedulers store in a param group, as PyTorch does (`initial_lr`, `max_lr`...), so
 * that several schedulers on one optimizer agree on the base learning rate.
 */
export interface SchedulerFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}

/**
 * A live param group: its parameters and its options. Editing a field (`group.lr = 0.01`) changes
 * the next `step()`.
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = O &
  SchedulerFields & { params: Tensor[] };

/**
 * A param group as passed to a constructor: options left out take the optimizer's defaults.
 *
 * @example
 * ```ts
 * const groups: k.optim.ParamGroupSpec<k.optim.SGDOptions>[] = [
 *   { params: encoder.parameters(), lr: 1e-4 },
 *   { params: head.parameters() },
 * ];
 * ```
 */
export type ParamGroupSpec<O extends BaseOptions = BaseOptions> = Partial<O> &
  SchedulerFields & { params: Tensor[] };

/** Per-parameter state: moment buffers (tensors of the parameter's shape) and step counts. */
export type ParamState = Record<string, Tensor | number>;

/** A param group in a state dict: the options, with parameters replaced by their indices. */
export type SavedParamGroup<O extends BaseOptions = BaseOptions> = Omit<ParamGroup<O>, 'params'> & {
  params: number[];
};

/**
 * The state of an optimizer, laid out as PyTorch's `state_dict()`: parameters are numbered in
 * order across groups, `state` is keyed by those numbers, state names are PyTorch's
 * (`exp_avg`, `momentum_buffer`...), option names are kiln's (camelCase). Step counts are plain
 * numbers (PyTorch 2.x keeps them in tensors).
 *
 * @example
 * ```ts
 * const sd = opt.stateDict();          // { state: { 0: { step, exp_avg, ... } }, paramGroups: [...] }
 * fresh.loadStateDict(sd);
 * ```
 */
export interface OptimizerStateDict<O extends BaseOptions = BaseOptions> {
  state: Record<number, ParamState>;
  paramGroups: SavedParamGroup<O>[];
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Drop the gradient (`p.grad = null`, the default, as PyTorch) instead of filling it with 0. */
  setToNone?: boolean;
}

/**
 * Flat views handed to an update: the parameter's elements from `pOff`, its gradient's from
 * `gOff`, `n` elements each, both row-major.
 */
export interface UpdateArgs<O extends BaseOptions> {
  p: TypedArray;
  pOff: number;
  g: TypedArray;
  gOff: number;
  n: number;
  group: ParamGroup<O>;
  state: ParamState;
  /** The parameter, to create state tensors of its shape and dtype. */
  param: Tensor;
}

function copyOption(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

/**
 * A `betas` option for an optimizer's defaults: a copy of the caller's array (never shared with
 * it), `fallback` when left out, anything else as given so that `checkBetas` names it.
 *
 * @example
 * ```ts
 * betasOption(undefined, [0.9, 0.999]); // [0.9, 0.999]
 * ```
 */
export function betasOption(value: unknown, fallback: [number, number]): [number, number] {
  if (value === undefined) return fallback;
  return copyOption(value) as [number, number];
}

/**
 * Base class of the optimizers, with PyTorch's param groups and per-parameter state. A subclass
 * implements `update`, which changes one parameter in place from its gradient; `step()` calls it
 * under `noGrad` for every parameter that has a gradient.
 *
 * @example
 * ```ts
 * const opt = new k.optim.SGD([
 *   { params: model.backbone.parameters() },
 *   { params: model.head.parameters(), lr: 1e-2 },
 * ], { lr: 1e-3, momentum: 0.9 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 * opt.paramGroups[0].lr = 5e-4; // takes effect at the next step
 * ```
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /** The live param groups. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created lazily at a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  /** The options given to the constructor, completed with the optimizer's defaults. */
  readonly defaults: O;

  constructor(paramsOrGroups: readonly Tensor[] | readonly ParamGroupSpec<O>[], defaults: O) {
    this.defaults = defaults;
    const list: readonly (Tensor | ParamGroupSpec<O>)[] = [...paramsOrGroups];
    if (list.length === 0) throw new ValueError(`${this.name}: got an empty parameter list`);
    const groups: ParamGroupSpec<O>[] = isTensorList(list)
      ? [{ params: list } as ParamGroupSpec<O>]
      : (list as ParamGroupSpec<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The optimizer's name in error messages. */
  protected get name(): string {
    return this.constructor.name;
  }

  /**
   * Adds a group of parameters (for example layers unfrozen during fine-tuning); options left out
   * take the defaults. A parameter may belong to one group only.
   */
  addParamGroup(group: ParamGroupSpec<O>): void {
    if (!group || !Array.isArray(group.params))
      throw new ValueError(`${this.name}.addParamGroup: a group needs a 'params' array`);
    const params = [...group.params];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    const own = new Set<Tensor>();
    params.forEach((p, i) => {
      if (own.has(p))
        throw new ValueError(`${this.name}: parameter ${i} appears twice in the same group`);
      if (seen.has(p))
        throw new ValueError(
          `${this.name}.addParamGroup: parameter ${i} of group ${this.paramGroups.length} is already in another group`,
        );
      if (p.dtype !== 'float32' && p.dtype !== 'float64')
        throw new ValueError(
          `${this.name}: parameter ${i} is ${p.dtype}; only float tensors train`,
        );
      own.add(p);
    });
    const full: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.defaults)) full[key] = copyOption(value);
    for (const [key, value] of Object.entries(group)) {
      if (value !== undefined) full[key] = copyOption(value);
    }
    // Replaces the caller's array (copied above) with the checked copy.
    full.params = params;
    const built = full as unknown as ParamGroup<O>;
    this.validate(built);
    this.paramGroups.push(built);
  }

  /** Checks a group's options; subclasses throw `ValueError` naming the option and its value. */
  protected validate(group: ParamGroup<O>): void {
    checkNonNegative(this.name, 'lr', group.lr);
  }

  /**
   * Clears the gradients of all parameters: `p.grad = null` by default (as PyTorch, which saves
   * memory and lets `step` skip them), or zeros in place with `{ setToNone: false }`. A dropped
   * gradient that backward allocated and nothing read out through `.grad` goes back to the
   * storage pool, for the next backward to fill.
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const g = p.peekGrad();
          if (g === null) continue;
          if (setToNone) {
            const dead = p.dropGrad();
            if (dead) recycleStorage(dead);
          } else g.zero_();
        }
      }
    });
  }

  /** Updates every parameter that has a gradient, in place, under `noGrad`. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const param of group.params) {
          const grad = param.peekGrad();
          if (grad === null) continue;
          this.updateOne(param, grad, group);
        }
      }
    });
  }

  private updateOne(param: Tensor, grad: Tensor, group: ParamGroup<O>): void {
    if (grad.shape.length !== param.shape.length || grad.shape.some((d, i) => d !== param.shape[i]))
      throw new ValueError(
        `${this.name}.step: gradient of shape ${fmtShape(grad.shape)} for a parameter of shape ${fmtShape(param.shape)}`,
      );
    // Updates run as flat loops over row-major storage; non-contiguous tensors go through a copy.
    const target = param.isContiguous() ? param : param.contiguous();
    const g = grad.isContiguous() ? grad : grad.contiguous();
    let state = this.state.get(param);
    if (!state) {
      state = {};
      this.state.set(param, state);
    }
    bumpStorageVersion(target.storage);
    this.update({
      p: target.storage,
      pOff: target.offset,
      g: g.storage,
      gOff: g.offset,
      n: param.numel(),
      group,
      state,
      param,
    });
    // Stryker disable next-line ConditionalExpression: copying a parameter onto itself changes nothing
    if (target !== param) param.copy_(target);
  }

  /** Changes one parameter in place; `args.state` is its state, filled by earlier calls. */
  protected abstract update(args: UpdateArgs<O>): void;

  /** A zero-filled state buffer of the parameter's shape and dtype. */
  protected buffer(param: Tensor): Tensor {
    return zerosLike(param);
  }

  /**
   * A snapshot of the optimizer: state tensors and options are copied, so later steps do not
   * change it. Parameters are numbered in order across groups, as PyTorch.
   */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((group) => {
      const saved: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(group)) saved[key] = copyOption(value);
      // A parameter is in one group only, so each gets the next number.
      saved.params = group.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return saved as SavedParamGroup<O>;
    });
    const state: Record<number, ParamState> = {};
    for (const [param, s] of this.state) {
      const i = index.get(param);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [key, value] of Object.entries(s))
        copy[key] = typeof value === 'number' ? value : value.clone();
      state[i] = copy;
    }
    return { state, paramGroups };
  }

  /**
   * Restores a state saved by `stateDict()` (of an optimizer of the same kind over parameters of
   * the same shapes, in the same order). Group options, `lr` included, come from the state dict.
   */
  loadStateDict(sd: OptimizerStateDict<O>): void {
    const where = `${this.name}.loadStateDict`;
    if (!sd || !Array.isArray(sd.paramGroups) || typeof sd.state !== 'object' || !sd.state)
      throw new ValueError(`${where}: expected { state, paramGroups }`);
    if (sd.paramGroups.length !== this.paramGroups.length)
      throw new ValueError(
        `${where}: the state dict has ${sd.paramGroups.length} param groups, the optimizer has ${this.paramGroups.length}`,
      );
    const byIndex = new Map<number, Tensor>();
    sd.paramGroups.forEach((saved, gi) => {
      const params = this.paramGroups[gi]!.params;
      if (!Array.isArray(saved.params) || saved.params.length !== params.length)
        throw new ValueError(
          `${where}: param group ${gi} has ${saved.params?.length ?? 0} parameters in the state dict, ${params.length} in the optimizer`,
        );
      saved.params.forEach((id, j) => {
        byIndex.set(id, params[j]!);
      });
    });
    const restored = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(sd.state)) {
      const param = byIndex.get(Number(key));
      if (!param) throw new ValueError(`${where}: state for unknown parameter index ${key}`);
      const copy: ParamState = {};
      for (const [name, value] of Object.entries(s)) {
        if (typeof value === 'number') {
          copy[name] = value;
          continue;
        }
        if (!value || !Array.isArray(value.shape))
          throw new ValueError(
            `${where}: state '${name}' of parameter ${key} is neither a number nor a tensor`,
          );
        const same =
          value.shape.length === param.shape.length &&
          value.shape.every((d, i) => d === param.shape[i]);
        if (!same)
          throw new ValueError(
            `${where}: state '${name}' of parameter ${key} has shape ${fmtShape(value.shape)}, the parameter has ${fmtShape(param.shape)}`,
          );
        copy[name] = noGrad(() => value.detach().to(param.dtype).clone());
      }
      restored.set(param, copy);
    }
    sd.paramGroups.forEach((saved, gi) => {
      const group = this.paramGroups[gi]! as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(saved)) {
        if (key !== 'params') group[key] = copyOption(value);
      }
    });
    this.state.clear();
    for (const [param, s] of restored) this.state.set(param, s);
  }
}

function isTensorList(list: readonly unknown[]): list is readonly Tensor[] {
  const first = list[0] as { params?: unknown };
  return !Array.isArray(first.params);
}

/** Throws unless `value` is a finite number >= 0. */
export function checkNonNegative(op: string, option: string, value: unknown): void {
  // Number.isFinite is false for anything but a number.
  if (!Number.isFinite(value) || !((value as number) >= 0))
    throw new ValueError(`${op}: invalid ${option} ${String(value)}; expected a number >= 0`);
}

/** Throws unless `0 <= value < 1`. */
export function checkUnitInterval(op: string, option: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1))
    throw new ValueError(`${op}: invalid ${option} ${String(value)}; expected 0 <= ${option} < 1`);
}

/** Throws unless `betas` is a pair of numbers in [0, 1). */
export function checkBetas(op: string, betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2)
    throw new ValueError(`${op}: invalid betas ${String(betas)}; expected a pair [beta1, beta2]`);
  checkUnitInterval(op, 'betas[0]', betas[0]);
  checkUnitInterval(op, 'betas[1]', betas[1]);
}

/**
 * An optimizer constructor's second argument: its options, or PyTorch's positional learning rate
 * (`new k.optim.SGD(params, 0.1)` is `{ lr: 0.1 }`). Anything else is a `ValueError`, never a
 * silently ignored value.
 *
 * @example
 * ```ts
 * optionsArg('SGD', 0.1); // { lr: 0.1 }
 * ```
 */
export function optionsArg<O extends BaseOptions>(
  name: string,
  arg: Partial<O> | number | undefined,
): Partial<O> {
  if (arg === undefined) return {};
  if (typeof arg === 'number') return { lr: arg } as Partial<O>;
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg))
    throw new ValueError(
      `${name}: the second argument must be an options object such as { lr: 0.01 } or a learning rate, got ${JSON.stringify(arg)}`,
    );
  return arg;
}
