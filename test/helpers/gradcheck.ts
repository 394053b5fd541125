/**
 * Test helpers for the core: gradient checks by central differences, input layouts (contiguous,
 * transposed, sliced, broadcast views of a float64 leaf) and `assertClose` for tensors.
 *
 * @example
 * ```ts
 * for (const { name, tensor } of layouts([2, 3])) {
 *   gradcheck((x) => x.exp(), [tensor]); // throws naming input, element and both values
 * }
 * ```
 */

import { GradNode } from '../../src/autograd/node.js';
import type { NestedNumbers, Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

/** Options of `gradcheck`. */
export interface GradcheckOptions {
  /** Step of the central differences (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, applied to the numeric value (default 1e-3). */
  rtol?: number;
  /** Seed of the random weights the output is contracted with (default 7). */
  seed?: number;
}

/** The unique leaf a (possibly non-leaf view) input was derived from. */
function leafOf(t: Tensor, index: number): Tensor {
  if (t.isLeaf) return t;
  const leaves = new Set<Tensor>();
  const seen = new Set<GradNode>();
  const stack: GradNode[] = [t.gradFn!];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const edge of node.next) {
      if (edge instanceof GradNode) stack.push(edge);
      else if (edge !== null) leaves.add(edge);
    }
  }
  if (leaves.size !== 1) {
    throw new Error(
      `gradcheck: input ${index} must be a leaf or a view of exactly one leaf (found ${leaves.size})`,
    );
  }
  return [...leaves][0]!;
}

/** Multi-index of the flat row-major position `flat` in `shape`, as `[i,j,...]`. */
function multiIndex(flat: number, shape: readonly number[]): string {
  const out: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${out.join(',')}]`;
}

/** Storage positions of a view's elements, in row-major order. */
function positions(t: Tensor): number[] {
  const out: number[] = [];
  const visit = (d: number, at: number): void => {
    if (d === t.ndim) {
      out.push(at);
      return;
    }
    for (let i = 0; i < t.shape[d]!; i++) visit(d + 1, at + i * t.strides[d]!);
  };
  visit(0, t.offset);
  return out;
}

/**
 * Checks the analytic gradients of `fn` against central differences, in float64 on the js
 * backend. The output is contracted with fixed random weights (`fn(...).mul(w).sum()`), so every
 * output element takes part. Gradients are taken with respect to the leaves behind the inputs
 * that require grad: a transposed, sliced or expanded view input therefore also checks the
 * backward rules of those views. Inputs that do not require grad (indices, masks) are passed
 * through unchanged. Throws an `Error` naming the input index, the element and both values.
 *
 * @example
 * ```ts
 * const x = k.randn([3], { dtype: 'float64', requiresGrad: true });
 * gradcheck((a) => a.tanh(), [x]);
 * ```
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): void {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, seed = 7 } = options;
  const previousBackend = k.getBackend();
  k.setBackend('js');
  try {
    const checked = inputs.flatMap((t, i) => (t.requiresGrad ? [{ i, leaf: leafOf(t, i) }] : []));
    if (checked.length === 0) throw new Error('gradcheck: no input requires grad');
    for (const { i, leaf } of checked) {
      if (leaf.dtype !== 'float64') {
        throw new Error(`gradcheck: input ${i} must be float64, got ${leaf.dtype}`);
      }
      leaf.grad = null;
    }
    const out = fn(...inputs);
    if (out.dtype !== 'float64') throw new Error(`gradcheck: output is ${out.dtype}, not float64`);
    const weights = k.randn(out.shape, { dtype: 'float64', generator: new k.Generator(seed) });
    const loss = (): number =>
      k.noGrad(() =>
        fn(...inputs)
          .mul(weights)
          .sum()
          .item(),
      );
    out.mul(weights).sum().backward();
    const seen = new Set<Tensor>();
    for (const { i, leaf } of checked) {
      if (seen.has(leaf)) continue;
      seen.add(leaf);
      const analytic = leaf.grad ? leaf.grad.dataSync() : new Float64Array(leaf.numel());
      if (analytic.length !== leaf.numel()) {
        throw new Error(`gradcheck: input ${i}: grad has ${analytic.length} elements`);
      }
      const storage = leaf.storage;
      positions(leaf).forEach((at, e) => {
        const original = storage[at]!;
        storage[at] = original + eps;
        const plus = loss();
        storage[at] = original - eps;
        const minus = loss();
        storage[at] = original;
        const numeric = (plus - minus) / (2 * eps);
        const a = analytic[e]!;
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          throw new Error(
            `gradcheck: input ${i}, element ${multiIndex(e, leaf.shape)} of leaf ${JSON.stringify(leaf.shape)}: analytic ${a} vs numeric ${numeric} (|diff| ${Math.abs(a - numeric)})`,
          );
        }
      });
    }
  } finally {
    k.setBackend(previousBackend);
  }
}

/** Names of the layouts `layouts` builds. */
export type LayoutName = 'contiguous' | 'transposed' | 'sliced' | 'broadcast';

/** One input layout: the view handed to an op and the float64 leaf behind it. */
export interface Layout {
  name: LayoutName;
  /** A tensor of the requested shape in this layout (a non-leaf view except for contiguous). */
  tensor: Tensor;
  /** The leaf that owns the storage (its `.grad` receives the gradient). */
  base: Tensor;
}

/** Options of `layouts`. */
export interface LayoutOptions {
  /** Seed of the values (default 1). */
  seed?: number;
  /** Values are uniform in [low, high) (default -2, 2). */
  low?: number;
  high?: number;
  /** Whether the leaves require grad (default true). */
  requiresGrad?: boolean;
}

function leaf(shape: readonly number[], options: LayoutOptions, salt: number): Tensor {
  const { seed = 1, low = -2, high = 2, requiresGrad = true } = options;
  const g = new k.Generator(seed * 7919 + salt);
  const t = k
    .rand(shape, { dtype: 'float64', generator: g })
    .mul(high - low)
    .add(low);
  return t.requiresGrad_(requiresGrad);
}

/**
 * The same-shaped input in four memory layouts, each over a fresh float64 leaf:
 * - `contiguous`: the leaf itself;
 * - `transposed`: a permuted view (dims reversed) of a leaf of the reversed shape (ndim >= 2);
 * - `sliced`: a step-2 slice at offset 1 of every dim of a larger leaf (ndim >= 1);
 * - `broadcast`: a leaf with dim 0 of size 1, expanded to the shape (when dim 0 is not 1).
 * The contiguous, transposed and sliced tensors hold the same values; broadcast repeats row 0.
 *
 * @example
 * ```ts
 * for (const { name, tensor } of layouts([2, 3])) assertClose(tensor.exp(), tensor.clone().exp());
 * ```
 */
export function layouts(shape: readonly number[], options: LayoutOptions = {}): Layout[] {
  const base = leaf(shape, options, 0);
  const values = base.detach();
  const out: Layout[] = [{ name: 'contiguous', tensor: base, base }];
  const n = shape.length;
  if (n >= 2) {
    const reversed = [...shape].reverse();
    const perm = reversed.map((_, i) => n - 1 - i);
    const t = k.noGrad(() => values.permute(perm).contiguous().clone());
    t.requiresGrad_(options.requiresGrad ?? true);
    out.push({ name: 'transposed', tensor: t.permute(perm), base: t });
  }
  if (n >= 1) {
    const big = leaf(
      shape.map((d) => 2 * d + 1),
      { ...options, requiresGrad: false },
      1,
    );
    let target = big;
    for (let d = 0; d < n; d++) target = target.slice(d, 1, 1 + 2 * shape[d]!, 2);
    target.copy_(values);
    big.requiresGrad_(options.requiresGrad ?? true);
    let view = big;
    for (let d = 0; d < n; d++) view = view.slice(d, 1, 1 + 2 * shape[d]!, 2);
    out.push({ name: 'sliced', tensor: view, base: big });
  }
  if (n >= 1 && shape[0] !== 1) {
    const small = k.noGrad(() => values.narrow(0, 0, Math.min(1, shape[0]!)).clone());
    const row = shape[0] === 0 ? leaf([1, ...shape.slice(1)], options, 2) : small;
    row.requiresGrad_(options.requiresGrad ?? true);
    out.push({ name: 'broadcast', tensor: row.expand(shape), base: row });
  }
  return out;
}

/** Options of `assertClose`. */
export interface CloseOptions {
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Also require this dtype. */
  dtype?: string;
}

function shapeOfNested(x: NestedNumbers): number[] {
  const shape: number[] = [];
  let level: NestedNumbers | undefined = x;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

function flatten(x: NestedNumbers): number[] {
  if (Array.isArray(x)) return x.flatMap(flatten);
  return [Number(x)];
}

/**
 * Asserts that `actual` has the expected shape and that every element is within
 * `atol + rtol * |expected|` (NaN equals NaN, infinities must match exactly). The failure
 * message names the first differing element, both values and the tolerance.
 *
 * @example
 * ```ts
 * assertClose(k.tensor([1, 2]).mul(2), [2, 4]);
 * assertClose(x.exp(), y, { atol: 1e-5, rtol: 1e-4 });
 * ```
 */
export function assertClose(
  actual: Tensor,
  expected: NestedNumbers | Tensor,
  options: CloseOptions = {},
): void {
  const { atol = 1e-6, rtol = 1e-5, dtype } = options;
  if (!(actual instanceof k.Tensor)) throw new Error('assertClose: actual is not a Tensor');
  const expShape = expected instanceof k.Tensor ? [...expected.shape] : shapeOfNested(expected);
  const expFlat =
    expected instanceof k.Tensor ? Array.from(expected.dataSync(), Number) : flatten(expected);
  if (JSON.stringify(expShape) !== JSON.stringify(actual.shape)) {
    throw new Error(
      `assertClose: shape ${JSON.stringify(actual.shape)} != expected ${JSON.stringify(expShape)}`,
    );
  }
  if (dtype !== undefined && actual.dtype !== dtype) {
    throw new Error(`assertClose: dtype ${actual.dtype} != expected ${dtype}`);
  }
  const got = Array.from(actual.dataSync(), Number);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const e = expFlat[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const ok = Number.isFinite(e) ? Math.abs(a - e) <= atol + rtol * Math.abs(e) : a === e;
    if (!ok) {
      throw new Error(
        `assertClose: element ${multiIndex(i, actual.shape)} of ${JSON.stringify(actual.shape)}: actual ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${atol + rtol * Math.abs(e)})`,
      );
    }
  }
}

/** Asserts that two tensors share storage (a view, not a copy). */
export function assertSharesStorage(a: Tensor, b: Tensor): void {
  if (a.storage !== b.storage)
    throw new Error('assertSharesStorage: the tensors do not share storage');
}
