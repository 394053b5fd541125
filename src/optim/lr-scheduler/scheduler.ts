import { ValueError } from '../../tensor/errors.js';
import type { Optimizer, ParamGroup } from '../optimizer.js';

/** A JSON value, the type of everything in a scheduler's state dict. */
export type JsonValue =
  | number
  | string
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** The state of a scheduler: plain JSON-safe data (functions such as `lrLambda` are not saved). */
// A type alias (not an interface) so that it is assignable to Record<string, unknown>.
export type SchedulerStateDict = {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  /** The scheduler's resolved options (JSON-safe ones only). */
  options: { [key: string]: JsonValue };
  /** State of wrapped schedulers (SequentialLR, ChainedScheduler). */
  schedulers?: SchedulerStateDict[];
};

/** Options every epoch-based scheduler takes. */
export interface SchedulerOptions {
  /**
   * The index of the last epoch when resuming (default -1: start). With a value >= 0 the
   * optimizer's groups must already hold `initialLr`, as PyTorch's `last_epoch`.
   */
  lastEpoch?: number;
}

/** Reads or writes group fields by name (momentum, betas) on any optimizer's groups. */
type LooseGroup = ParamGroup & Record<string, unknown>;

function jsonOptions(opts: object): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(opts)) {
    // Stryker disable next-line MethodExpression: option arrays hold functions only or none
    const fns = Array.isArray(value) ? value.some((v) => typeof v === 'function') : false;
    if (typeof value === 'function' || value === undefined || fns) continue;
    out[key] = JSON.parse(JSON.stringify(value)) as JsonValue;
  }
  return out;
}

/**
 * Base class of the epoch-based learning-rate schedulers. Each defines a pure closed form
 * `lrAt(epoch, baseLr, group)`; `step()` advances `lastEpoch` and writes `lrAt(lastEpoch)` into
 * every param group, so a schedule resumes from its step count alone. Construction performs the
 * initial step (epoch 0), as in PyTorch.
 *
 * Kiln differs from PyTorch's chainable (recursive) form in one way: an `lr` edited by hand
 * between two scheduler steps is overwritten by the schedule rather than scaled by it.
 *
 * @example
 * ```ts
 * const sched = new k.optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) { trainOneEpoch(); sched.step(); }
 * ```
 */
export abstract class LRScheduler<O extends object = object> {
  /** The wrapped optimizer. */
  readonly optimizer: Optimizer;
  /** Index of the last step taken (0 after construction). */
  lastEpoch: number;
  /** The learning rate each group starts from (the groups' `initialLr`). */
  baseLrs: number[];
  // Stryker disable next-line ArrayDeclaration: every constructor path writes it before any read
  protected lastLr: number[] = [];
  /** Resolved options; saved in `stateDict()` when JSON-safe. */
  protected readonly opts: O;

  constructor(optimizer: Optimizer, opts: O, lastEpoch = -1, initialStep = true) {
    this.optimizer = optimizer;
    this.opts = opts;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new ValueError(
            `${this.constructor.name}: lastEpoch is ${lastEpoch} but paramGroups[${i}] has no initialLr to resume from`,
          );
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
    if (initialStep) this.step();
  }

  /** The learning rate of group `group` at `epoch`, from its base learning rate. */
  abstract lrAt(epoch: number, baseLr: number, group: number): number;

  /** The momentum (or Adam's beta1) at `epoch` for schedulers that cycle it; undefined otherwise. */
  // Stryker disable next-line BlockStatement: an empty body returns undefined too
  momentumAt(_epoch: number, _group: number): number | undefined {
    return undefined;
  }

  /** Advances one step and sets the new learning rate in every param group. */
  step(): void {
    this.lastEpoch += 1;
    this.apply();
  }

  /** Writes the schedule's values at `lastEpoch` into the optimizer. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!, i);
      const m = this.momentumAt(this.lastEpoch, i);
      if (m !== undefined) setMomentum(g, m);
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rates set by the last step, one per param group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** JSON-safe state: the step count, base learning rates and options. */
  stateDict(): SchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
      options: jsonOptions(this.opts),
    };
  }

  /**
   * Restores a state from `stateDict()` and writes the schedule's values at the restored step
   * into the optimizer, so that a resumed run needs nothing else.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!sd || typeof sd.lastEpoch !== 'number' || !Array.isArray(sd.baseLrs))
      throw new ValueError(
        `${this.constructor.name}.loadStateDict: expected { lastEpoch, baseLrs, ... }`,
      );
    if (sd.baseLrs.length !== this.optimizer.paramGroups.length)
      throw new ValueError(
        `${this.constructor.name}.loadStateDict: the state has ${sd.baseLrs.length} base lrs, the optimizer ${this.optimizer.paramGroups.length} param groups`,
      );
    Object.assign(this.opts, sd.options ?? {});
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.apply();
  }
}

/** Throws unless the optimizer has a momentum to cycle: SGD's `momentum` or Adam's `betas[0]`. */
export function checkCyclableMomentum(optimizer: Optimizer, who: string): void {
  const defaults = optimizer.defaults as unknown as Record<string, unknown>;
  if ('betas' in defaults || 'momentum' in defaults) return;
  throw new ValueError(
    `${who}: cycleMomentum needs an optimizer with 'momentum' or 'betas'; pass cycleMomentum: false`,
  );
}

function setMomentum(group: ParamGroup, value: number): void {
  const g = group as LooseGroup;
  const betas = g.betas;
  if (Array.isArray(betas)) g.betas = [value, ...betas.slice(1)];
  else g.momentum = value;
}

/** Expands a per-group option given as one number or one value per group. */
export function perGroup(
  optimizer: Optimizer,
  who: string,
  name: string,
  value: number | readonly number[],
): number[] {
  const n = optimizer.paramGroups.length;
  if (typeof value === 'number') return new Array<number>(n).fill(value);
  if (value.length !== n)
    throw new ValueError(
      `${who}: expected ${n} values for ${name} (one per param group), got ${value.length}`,
    );
  return [...value];
}

/** Throws unless `value` is an integer >= `min`. */
export function checkInt(who: string, name: string, value: unknown, min: number): void {
  // Number.isInteger is false for anything but a number.
  if (!Number.isInteger(value) || (value as number) < min)
    throw new ValueError(`${who}: invalid ${name} ${String(value)}; expected an integer >= ${min}`);
}

/** Throws unless `value` is a finite number in [lo, hi]. */
export function checkRange(
  who: string,
  name: string,
  value: unknown,
  lo: number,
  hi: number,
): void {
  if (typeof value !== 'number' || !(value >= lo && value <= hi))
    throw new ValueError(
      `${who}: invalid ${name} ${String(value)}; expected ${lo} <= ${name} <= ${hi}`,
    );
}
