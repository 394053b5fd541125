import { ValueError } from '../tensor/errors.js';

/** A value a trial's parameter can take: numbers from `suggestFloat`/`suggestInt`, any choice of `suggestCategorical`. @example `const lr: k.tune.ParamValue = study.bestParams.lr;` */
export type ParamValue = number | string | boolean | null;

/**
 * A float range, as Optuna's FloatDistribution: `[low, high]`, optionally on a log scale or on a
 * grid of `step` (not both).
 *
 * @example
 * ```ts
 * const lr: k.tune.FloatDistribution = { type: 'float', low: 1e-4, high: 1e-1, log: true, step: null };
 * ```
 */
export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number | null;
}

/**
 * An integer range, as Optuna's IntDistribution: `low, low + step, ..., <= high`; `log` needs step 1.
 *
 * @example
 * ```ts
 * const units: k.tune.IntDistribution = { type: 'int', low: 16, high: 512, log: true, step: 1 };
 * ```
 */
export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}

/**
 * A choice among values, as Optuna's CategoricalDistribution. The internal value is the index.
 *
 * @example
 * ```ts
 * const opt: k.tune.CategoricalDistribution = { type: 'categorical', choices: ['adam', 'sgd'] };
 * ```
 */
export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly ParamValue[];
}

/** Any parameter distribution. @example `const d: k.tune.Distribution = { type: 'categorical', choices: [1, 2] };` */
export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/** Builds and checks a float distribution; `where` names the caller in errors. @internal */
export function floatDistribution(
  where: string,
  low: number,
  high: number,
  log: boolean,
  step: number | null,
): FloatDistribution {
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new ValueError(`${where}: need finite low <= high, got low=${low}, high=${high}`);
  }
  if (log && step !== null) {
    throw new ValueError(`${where}: 'step' and 'log' cannot be used together`);
  }
  if (log && low <= 0) throw new ValueError(`${where}: log scale needs low > 0, got low=${low}`);
  if (step !== null) {
    if (!(step > 0) || !Number.isFinite(step)) {
      throw new ValueError(`${where}: step must be a positive number, got ${step}`);
    }
    // As Optuna: the upper bound snaps down onto the grid low + k*step.
    const k = Math.floor((high - low) / step + 1e-9);
    high = roundToGrid(low + k * step, step);
  }
  return { type: 'float', low, high, log, step };
}

/** Builds and checks an int distribution. @internal */
export function intDistribution(
  where: string,
  low: number,
  high: number,
  log: boolean,
  step: number,
): IntDistribution {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low > high) {
    throw new ValueError(`${where}: need integers low <= high, got low=${low}, high=${high}`);
  }
  if (!Number.isInteger(step) || step < 1) {
    throw new ValueError(`${where}: step must be a positive integer, got ${step}`);
  }
  if (log && step !== 1) throw new ValueError(`${where}: log scale needs step 1, got ${step}`);
  if (log && low < 1) throw new ValueError(`${where}: log scale needs low >= 1, got low=${low}`);
  high = low + Math.floor((high - low) / step) * step;
  return { type: 'int', low, high, log, step };
}

/** Builds and checks a categorical distribution. @internal */
export function categoricalDistribution(
  where: string,
  choices: readonly ParamValue[],
): CategoricalDistribution {
  if (!Array.isArray(choices) || choices.length === 0) {
    throw new ValueError(`${where}: choices must be a non-empty array`);
  }
  for (const c of choices) {
    const t = typeof c;
    if (!(c === null || t === 'number' || t === 'string' || t === 'boolean')) {
      throw new ValueError(
        `${where}: choices must be numbers, strings, booleans or null, got ${JSON.stringify(c)}`,
      );
    }
  }
  return { type: 'categorical', choices: [...choices] };
}

function roundToGrid(x: number, step: number): number {
  // Keep decimal steps like 0.1 printing as 0.3, not 0.30000000000000004.
  const digits = Math.max(0, Math.min(15, -Math.floor(Math.log10(step)) + 6));
  return Number(x.toFixed(digits));
}

/** The internal (numeric) representation: the value itself for numbers, the index for choices. @internal */
export function toInternal(d: Distribution, value: ParamValue): number {
  if (d.type !== 'categorical') return value as number;
  const i = d.choices.findIndex((c) => Object.is(c, value) || c === value);
  if (i < 0) {
    throw new ValueError(
      `value ${JSON.stringify(value)} is not one of ${JSON.stringify(d.choices)}`,
    );
  }
  return i;
}

/** The external value of an internal one. @internal */
export function toExternal(d: Distribution, internal: number): ParamValue {
  if (d.type === 'categorical') return d.choices[internal] as ParamValue;
  if (d.type === 'int') return Math.round(internal);
  if (d.step !== null) return roundToGrid(internal, d.step);
  return internal;
}

/** Whether an external value lies in the distribution. @internal */
export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'categorical') return d.choices.some((c) => Object.is(c, value) || c === value);
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (value < d.low || value > d.high) return false;
  if (d.type === 'int') return Number.isInteger(value) && (value - d.low) % d.step === 0;
  if (d.step !== null) {
    const k = (value - d.low) / d.step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  return true;
}

/** Whether the distribution has exactly one possible value. @internal */
export function isSingle(d: Distribution): boolean {
  if (d.type === 'categorical') return d.choices.length === 1;
  if (d.low === d.high) return true;
  if (d.type === 'float' && d.step !== null) return d.high - d.low < d.step;
  return false;
}

/** Same kind and same parameters (a parameter must keep its distribution within a study). @internal */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  if (a === b) return true;
  if (a.type === 'categorical' || b.type === 'categorical') {
    if (a.type !== 'categorical' || b.type !== 'categorical') return false;
    const ca = a.choices;
    const cb = b.choices;
    return ca.length === cb.length && ca.every((c, i) => Object.is(c, cb[i]));
  }
  return (
    a.type === b.type &&
    a.low === b.low &&
    a.high === b.high &&
    a.log === b.log &&
    a.step === b.step
  );
}

/** A one-line description for error messages. @internal */
export function describeDistribution(d: Distribution): string {
  if (d.type === 'categorical') return `categorical(${JSON.stringify(d.choices)})`;
  const extra = `${d.log ? ', log' : ''}${d.step !== null && d.step !== 1 ? `, step ${d.step}` : ''}`;
  return `${d.type}(${d.low}, ${d.high}${extra})`;
}

/** Maps an internal numeric value onto the distribution's grid and bounds. @internal */
export function snapInternal(d: FloatDistribution | IntDistribution, x: number): number {
  let v = x;
  if (d.step !== null) v = d.low + Math.round((v - d.low) / d.step) * d.step;
  if (d.type === 'int') v = Math.round(v);
  return Math.min(d.high, Math.max(d.low, v));
}
