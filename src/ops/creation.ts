import { backend } from '../backend/registry.js';
import {
  allocStorage,
  checkDType,
  type DType,
  dtypeOfArray,
  type TypedArray,
} from '../tensor/dtype.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { checkShape, contiguousStrides, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty } from './core.js';

/** Options shared by the creation functions. */
export interface TensorOptions {
  /** Element type; float32 by default (see `tensor` for inference from the data). */
  dtype?: DType;
  /** Record operations on the result for autograd (float dtypes only). */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends TensorOptions {
  /** The generator to draw from; the default generator (seeded by `manualSeed`) otherwise. */
  generator?: Generator;
}

/** Nested arrays of numbers or booleans, as `tensor` accepts. */
export type NestedArray = number | boolean | readonly NestedArray[];

/** Data `tensor` accepts: nested arrays, a typed array, or a number/boolean (a 0-d tensor). */
export type TensorData = NestedArray | TypedArray;

function finish(t: Tensor, options: TensorOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferNested(data: NestedArray): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = (level as readonly NestedArray[])[0] as NestedArray;
    if (level === undefined) break;
  }
  const flat: (number | boolean)[] = [];
  const visit = (node: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(node))
        throw new ValueError(
          `tensor: ragged nested array: unexpected nesting at index [${path.join(',')}]`,
        );
      if (typeof node !== 'number' && typeof node !== 'boolean') {
        throw new ValueError(
          `tensor: element at index [${path.join(',')}] is ${JSON.stringify(node)}, expected a number or boolean`,
        );
      }
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `length ${node.length}` : 'a scalar';
      throw new ValueError(
        `tensor: ragged nested array: expected length ${shape[depth]} at index [${path.join(',')}], got ${got}`,
      );
    }
    (node as readonly NestedArray[]).forEach((child, i) => {
      visit(child, depth + 1, [...path, i]);
    });
  };
  visit(data, 0, []);
  return { shape, flat };
}

/**
 * Creates a tensor from nested arrays, a typed array or a number, as `torch.tensor`. Numbers
 * become float32 unless `dtype` says otherwise (JavaScript cannot tell 1 from 1.0, so kiln does
 * not infer integer tensors from numbers, unlike PyTorch); booleans become bool; typed arrays keep
 * their type (Float64Array -> float64, Int32Array -> int32, Uint8Array -> bool) and are copied.
 *
 * @example
 * ```ts
 * const x = k.tensor([[1, 2], [3, 4]]);                  // float32 [2,2]
 * const y = k.tensor([0, 2, 1], { dtype: 'int32' });      // labels
 * const z = k.tensor(new Float32Array(6), { shape: [2, 3] });
 * ```
 */
export function tensor(
  data: TensorData,
  options: TensorOptions & { shape?: readonly number[] } = {},
): Tensor {
  const dtype = options.dtype === undefined ? undefined : checkDType(options.dtype, 'tensor');
  let result: Tensor;
  if (ArrayBuffer.isView(data)) {
    const typed = data as TypedArray;
    const target = dtype ?? dtypeOfArray(typed);
    const shape = options.shape ? [...options.shape] : [typed.length];
    checkShape(shape, 'tensor');
    if (sizeOf(shape) !== typed.length) {
      throw new ShapeError(
        `tensor: shape ${fmtShape(shape)} needs ${sizeOf(shape)} elements, the data has ${typed.length}`,
      );
    }
    const storage = allocStorage(target, typed.length);
    if (target === 'bool')
      for (let i = 0; i < typed.length; i++) storage[i] = typed[i] !== 0 ? 1 : 0;
    else storage.set(typed);
    result = new Tensor(storage, shape, contiguousStrides(shape), 0, target);
  } else {
    const { shape, flat } = inferNested(data as NestedArray);
    const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
    const target = dtype ?? (allBool ? 'bool' : 'float32');
    const storage = allocStorage(target, flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = Number(flat[i]);
      storage[i] = target === 'bool' ? (v !== 0 ? 1 : 0) : v;
    }
    const finalShape = options.shape ? [...options.shape] : shape;
    if (sizeOf(finalShape) !== flat.length) {
      throw new ShapeError(
        `tensor: shape ${fmtShape(finalShape)} needs ${sizeOf(finalShape)} elements, the data has ${flat.length}`,
      );
    }
    result = new Tensor(storage, finalShape, contiguousStrides(finalShape), 0, target);
  }
  return finish(result, options);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * k.full([2, 2], 7); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape(shape, 'full');
  const t = empty(shape, checkDType(options.dtype ?? 'float32', 'full'));
  if (value !== 0) backend().fill(t, value);
  return finish(t, options);
}

/** A tensor of zeros. @example `k.zeros([2, 3])` */
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** A tensor of ones. @example `k.ones([2, 3], { dtype: 'float64' })` */
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros with t's shape and dtype (unless overridden). @example `k.zerosLike(x)` */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...options });
}

/** Ones with t's shape and dtype (unless overridden). @example `k.onesLike(x)` */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

/** `value` with t's shape and dtype (unless overridden). @example `k.fullLike(x, 0.5)` */
export function fullLike(t: Tensor, value: number, options: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, ...options });
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) in steps of `step`; `arange(n)` is 0..n-1.
 *
 * @example
 * ```ts
 * k.arange(5);          // [0, 1, 2, 3, 4]
 * k.arange(1, 2, 0.25); // [1, 1.25, 1.5, 1.75]
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step))
    throw new ValueError(`arange: step must be finite and non-zero, got ${step}`);
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new ValueError(`arange: bounds must be finite, got ${lo} and ${hi}`);
  const n = Math.max(Math.ceil((hi - lo) / step), 0);
  const t = empty([n], checkDType(options.dtype ?? 'float32', 'arange'));
  for (let i = 0; i < n; i++) t.storage[i] = lo + i * step;
  return finish(t, options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive. @example `k.linspace(0, 1, 5)` */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options: TensorOptions = {},
): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const t = empty([steps], checkDType(options.dtype ?? 'float32', 'linspace'));
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill from both ends, as PyTorch, so the last value is exactly `end`.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++)
    t.storage[i] = i < half || steps === 1 ? start + delta * i : end - delta * (steps - 1 - i);
  return finish(t, options);
}

/**
 * The n x m identity matrix (m = n by default); options may come second, as in `k.eye(n, opts)`.
 * @example `k.eye(3)`, `k.eye(2, 3)`, `k.eye(3, { dtype: 'float64' })`
 */
export function eye(n: number, m: number | TensorOptions = n, options: TensorOptions = {}): Tensor {
  if (typeof m === 'object') [m, options] = [n, m];
  checkShape([n, m], 'eye');
  const t = empty([n, m], checkDType(options.dtype ?? 'float32', 'eye'));
  for (let i = 0; i < Math.min(n, m); i++) t.storage[i * m + i] = 1;
  return finish(t, options);
}

function randomFill(
  shape: readonly number[],
  options: RandomOptions,
  op: string,
  draw: (g: Generator) => number,
): Tensor {
  checkShape(shape, op);
  const t = empty(shape, checkDType(options.dtype ?? 'float32', op));
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.storage.length; i++) t.storage[i] = draw(g);
  return finish(t, options);
}

/** Uniform samples in [0, 1). @example `k.rand([2, 3])` */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return randomFill(shape, options, 'rand', (g) => g.uniform());
}

/** Standard normal samples. @example `k.randn([2, 3])` */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return randomFill(shape, options, 'randn', (g) => g.normal());
}

/** Uniform integers in [low, high); int32 by default. @example `k.randint(0, 10, [5])` */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: RandomOptions = {},
): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ValueError(`randint: expected integers low < high, got low=${low}, high=${high}`);
  }
  return randomFill(
    shape,
    { dtype: 'int32', ...options },
    'randint',
    (g) => low + g.int(high - low),
  );
}

/** A random permutation of 0..n-1 (Fisher-Yates), int32. @example `k.randperm(10)` */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0)
    throw new ValueError(`randperm: n must be a non-negative integer, got ${n}`);
  const t = empty([n], checkDType(options.dtype ?? 'int32', 'randperm'));
  const g = options.generator ?? defaultGenerator;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = g.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  t.storage.set(perm);
  return t;
}
