import { KilnError, ValueError } from '../tensor/errors.js';
import {
  categoricalDistribution,
  contains,
  type Distribution,
  describeDistribution,
  floatDistribution,
  intDistribution,
  isSingle,
  type ParamValue,
  sameDistribution,
} from './distributions.js';
import type { AttrValue, FrozenTrial } from './frozen-trial.js';
import type { TrialPatch } from './storage.js';
import type { SearchSpace } from './view.js';

/**
 * Throw from an objective to end the trial as pruned (Optuna's TrialPruned).
 *
 * @example
 * ```ts
 * if (trial.shouldPrune()) throw new k.tune.TrialPruned();
 * ```
 */
export class TrialPruned extends KilnError {
  constructor(message = 'trial pruned') {
    super(message);
  }
}

/** Options of `suggestFloat` and `suggestInt`. @example `trial.suggestFloat('lr', 1e-5, 1e-1, { log: true })` */
export interface SuggestOptions {
  /** Sample on a log scale (needs low > 0). */
  log?: boolean;
  /** Sample on the grid low, low + step, ... (float) or the integer stride (int, default 1). */
  step?: number;
}

/** The study side a Trial talks to. @internal */
export interface TrialHost {
  snapshot(number: number): FrozenTrial;
  writeTrial(trialId: number, number: number, patch: TrialPatch): void;
  sampleIndependent(trial: FrozenTrial, name: string, distribution: Distribution): ParamValue;
  shouldPrune(trial: FrozenTrial): boolean;
}

/**
 * One evaluation of the objective, define-by-run as in Optuna: each `suggest*` call both declares
 * a parameter and draws its value from the study's sampler. Asking again for a name returns the
 * value already drawn.
 *
 * @example
 * ```ts
 * await study.optimize((trial) => {
 *   const x = trial.suggestFloat('x', -10, 10);
 *   const kind = trial.suggestCategorical('kind', ['a', 'b']);
 *   return kind === 'a' ? x * x : (x - 2) ** 2;
 * }, { nTrials: 20 });
 * ```
 */
export class Trial {
  /** @internal */
  constructor(
    private readonly host: TrialHost,
    /** The storage id of the trial. */
    readonly trialId: number,
    /** The trial's number within its study, from 0. */
    readonly number: number,
    private readonly relativeSpace: SearchSpace,
    private readonly relativeParams: Record<string, ParamValue>,
  ) {}

  /** Parameters drawn so far. */
  get params(): Readonly<Record<string, ParamValue>> {
    return this.frozen().params;
  }

  /** Distributions of the parameters drawn so far. */
  get distributions(): Readonly<Record<string, Distribution>> {
    return this.frozen().distributions;
  }

  /** Values reported so far, by step. */
  get intermediateValues(): ReadonlyMap<number, number> {
    return this.frozen().intermediateValues;
  }

  /** User attributes set so far. */
  get userAttrs(): Readonly<Record<string, AttrValue>> {
    return this.frozen().userAttrs;
  }

  /** A float in [low, high]; on a log scale or a `step` grid when asked. @example `trial.suggestFloat('dropout', 0, 0.5, { step: 0.1 })` */
  suggestFloat(name: string, low: number, high: number, options: SuggestOptions = {}): number {
    checkOptions('suggestFloat', options);
    const where = `suggestFloat('${name}')`;
    const d = floatDistribution(where, low, high, options.log ?? false, options.step ?? null);
    return this.suggest(name, d) as number;
  }

  /** An integer in [low, high]; on a log scale or every `step` when asked. @example `trial.suggestInt('units', 16, 512, { log: true })` */
  suggestInt(name: string, low: number, high: number, options: SuggestOptions = {}): number {
    checkOptions('suggestInt', options);
    const where = `suggestInt('${name}')`;
    const d = intDistribution(where, low, high, options.log ?? false, options.step ?? 1);
    return this.suggest(name, d) as number;
  }

  /** One of `choices` (numbers, strings, booleans or null). @example `trial.suggestCategorical('opt', ['adam', 'sgd'])` */
  suggestCategorical<T extends ParamValue>(name: string, choices: readonly T[]): T {
    const d = categoricalDistribution(`suggestCategorical('${name}')`, choices);
    return this.suggest(name, d) as T;
  }

  /**
   * Records an intermediate value (e.g. a validation loss after `step` epochs) for the pruner.
   * A step reported twice keeps its first value, as in Optuna.
   *
   * @example
   * ```ts
   * trial.report(valLoss, epoch);
   * ```
   */
  report(value: number, step: number): void {
    if (typeof value !== 'number') {
      throw new ValueError(`trial.report: value must be a number, got ${JSON.stringify(value)}`);
    }
    if (!Number.isInteger(step) || step < 0) {
      throw new ValueError(`trial.report: step must be a non-negative integer, got ${step}`);
    }
    if (this.frozen().intermediateValues.has(step)) return;
    this.host.writeTrial(this.trialId, this.number, { intermediateValues: { [step]: value } });
  }

  /** Whether the study's pruner says to stop this trial now. @example `if (trial.shouldPrune()) throw new k.tune.TrialPruned();` */
  shouldPrune(): boolean {
    return this.host.shouldPrune(this.frozen());
  }

  /** Stores a JSON-safe value with the trial. @example `trial.setUserAttr('epochs', 12)` */
  setUserAttr(key: string, value: AttrValue): void {
    this.host.writeTrial(this.trialId, this.number, { userAttrs: { [key]: value } });
  }

  /** The relative search space and the values drawn for it when the trial started. @internal */
  relativeDraw(): { space: SearchSpace; relative: Record<string, ParamValue> } {
    return { space: this.relativeSpace, relative: this.relativeParams };
  }

  private frozen(): FrozenTrial {
    return this.host.snapshot(this.number);
  }

  private suggest(name: string, d: Distribution): ParamValue {
    const frozen = this.frozen();
    const known = frozen.distributions[name];
    if (known) {
      if (!sameDistribution(known, d) && known.type !== d.type) {
        throw new ValueError(
          `trial ${this.number}: parameter '${name}' was suggested as ${describeDistribution(known)} and now as ${describeDistribution(d)}`,
        );
      }
      return frozen.params[name] as ParamValue;
    }
    let value: ParamValue;
    const fixed = frozen.systemAttrs.fixed_params as Record<string, ParamValue> | undefined;
    if (fixed && name in fixed) {
      value = fixed[name] as ParamValue;
      if (!contains(d, value)) {
        throw new ValueError(
          `trial ${this.number}: enqueued value ${JSON.stringify(value)} of '${name}' is outside ${describeDistribution(d)}`,
        );
      }
    } else if (isSingle(d)) {
      value = d.type === 'categorical' ? (d.choices[0] as ParamValue) : d.low;
    } else if (name in this.relativeParams && sameDistribution(this.relativeSpace[name]!, d)) {
      value = this.relativeParams[name] as ParamValue;
    } else {
      value = this.host.sampleIndependent(frozen, name, d);
    }
    this.host.writeTrial(this.trialId, this.number, { params: { [name]: [value, d] } });
    return value;
  }
}

function checkOptions(where: string, options: SuggestOptions): void {
  for (const key of Object.keys(options)) {
    if (key !== 'log' && key !== 'step') {
      throw new ValueError(`${where}: unknown option '${key}' (expected log, step)`);
    }
  }
}
