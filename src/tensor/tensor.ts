import { type BackwardOptions, backward as runBackward } from '../autograd/engine.js';
import type { PostAccumulateGradHook, RemovableHandle } from '../autograd/hooks.js';
import type { GradNode } from '../autograd/node.js';
import * as act from '../ops/activation.js';
import type { Operand } from '../ops/core.js';
import * as ew from '../ops/elementwise.js';
import * as idx from '../ops/indexing.js';
import * as inplace from '../ops/inplace.js';
import * as la from '../ops/linalg.js';
import * as red from '../ops/reduce.js';
import { traced } from '../ops/trace.js';
import * as vw from '../ops/views.js';
import { type DType, isFloat, type TypedArray } from './dtype.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from './errors.js';
import { formatTensor } from './format.js';
import { isContiguousLayout, normalizeDim, sizeOf } from './shape.js';

/** Nested JavaScript arrays returned by `toArray()`. */
export type NestedNumbers = number | boolean | NestedNumbers[];

/**
 * An n-dimensional array: a strided view `{ storage, shape, strides, offset, dtype }` over a plain
 * typed array, with define-by-run autograd. Views (reshape, transpose, slice, expand...) share
 * storage; memory belongs to the garbage collector (no `dispose`).
 *
 * @example
 * ```ts
 * const w = k.tensor([2, -1], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * w.grad?.toArray(); // [4, -2]
 * ```
 */
export class Tensor {
  /** The graph node that produced this tensor, or null for leaves. */
  gradFn: GradNode | null = null;
  /** Hooks run after backward accumulated into this leaf's `.grad` (see `registerPostAccumulateGradHook`). */
  readonly postAccumulateGradHooks: PostAccumulateGradHook[] = [];
  private requiresGradFlag = false;
  private retainsGradFlag = false;
  private gradValue: Tensor | null = null;
  /**
   * True while `.grad` holds a storage that backward allocated for it and that no code outside
   * the engine and the optimizers has seen: reading `.grad` clears it, and `zeroGrad` may then
   * give the storage back to the pool instead of leaving it to the garbage collector.
   */
  private gradUnseen = false;

  constructor(
    /**
     * The typed array this tensor views. Writing into it directly is allowed, but caches derived
     * from a storage's contents (the packed weight of a Linear in inference) only see writes made
     * through kiln's ops; after writing `storage` yourself, call `k.bumpStorageVersion(storage)`.
     */
    readonly storage: TypedArray,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
  ) {}

  /** The gradient accumulated by `backward()`; null until then. */
  get grad(): Tensor | null {
    this.gradUnseen = false;
    return this.gradValue;
  }

  set grad(value: Tensor | null) {
    this.gradValue = value;
    this.gradUnseen = false;
  }

  /**
   * `.grad` for the library's own code that reads it without keeping it (an optimizer step,
   * gradient clipping), so that it stays recyclable.
   * @internal
   */
  peekGrad(): Tensor | null {
    return this.gradValue;
  }

  /**
   * Sets `.grad` from the autograd engine; `unseen` when its storage was allocated by this
   * backward pass for it alone.
   * @internal
   */
  setGradFromEngine(value: Tensor, unseen: boolean): void {
    this.gradValue = value;
    this.gradUnseen = unseen;
  }

  /**
   * Sets `.grad` to null and returns its storage when nothing but this tensor can reference it
   * (allocated by backward and never read out through `.grad`), for the pool; else null.
   * @internal
   */
  dropGrad(): TypedArray | null {
    const g = this.gradValue;
    const unseen = this.gradUnseen;
    this.gradValue = null;
    this.gradUnseen = false;
    return g !== null && unseen ? g.storage : null;
  }

  /** Number of dims. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return sizeOf(this.shape);
  }

  /** The size of `dim`, or the whole shape. */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    return dim === undefined ? this.shape : this.shape[normalizeDim(dim, this.ndim, 'size')]!;
  }

  /** Whether autograd records operations on this tensor. Only float tensors can require grad. */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloat(this.dtype)) {
      throw new DTypeError(
        `requiresGrad: only float32 and float64 tensors can require grad, this is ${this.dtype}`,
      );
    }
    if (!value && this.gradFn) {
      throw new ValueError('requiresGrad: cannot turn off grad on a non-leaf tensor; use detach()');
    }
    this.requiresGradFlag = value;
  }

  /** Sets `requiresGrad` in place and returns this tensor. */
  requiresGrad_(value = true): this {
    this.requiresGrad = value;
    return this;
  }

  /** True for tensors not produced by a recorded operation (their `.grad` is filled). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Whether `retainGrad()` was called on this non-leaf tensor. */
  get retainsGrad(): boolean {
    return this.retainsGradFlag;
  }

  /** Keeps `.grad` on this non-leaf tensor during backward (leaves always get it). */
  retainGrad(): this {
    if (!this.requiresGrad) throw new ValueError('retainGrad: the tensor does not require grad');
    if (this.gradFn) {
      this.gradFn.retained = this;
      this.retainsGradFlag = true;
    }
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to the leaves that require grad, accumulating
   * into their `.grad`. A non-scalar needs `grad` (the vector of the vector-Jacobian product).
   */
  backward(grad?: Tensor, options: BackwardOptions = {}): void {
    runBackward(this, grad, options);
  }

  /**
   * Registers `hook(leaf)` to run once per backward pass, after all of that pass's gradient was
   * accumulated into this leaf's `.grad`, as PyTorch's `register_post_accumulate_grad_hook`
   * (DistributedDataParallel starts a bucket's all-reduce from it).
   *
   * @example
   * ```ts
   * const w = k.ones([2], { requiresGrad: true });
   * const h = w.registerPostAccumulateGradHook((p) => console.log(p.grad?.toArray()));
   * w.mul(3).sum().backward(); // logs [3, 3]
   * h.remove();
   * ```
   */
  registerPostAccumulateGradHook(hook: PostAccumulateGradHook): RemovableHandle {
    if (!this.isLeaf) {
      throw new ValueError(
        'registerPostAccumulateGradHook: only leaf tensors accumulate gradients; this tensor was produced by an operation',
      );
    }
    this.postAccumulateGradHooks.push(hook);
    return {
      remove: () => {
        const i = this.postAccumulateGradHooks.indexOf(hook);
        if (i >= 0) this.postAccumulateGradHooks.splice(i, 1);
      },
    };
  }

  /** A tensor sharing this storage, cut out of the graph. */
  detach(): Tensor {
    const out = new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
    return traced('detach', out, [this]);
  }

  /** Whether the view is laid out row-major without gaps. */
  isContiguous(): boolean {
    return isContiguousLayout(this.shape, this.strides);
  }

  /** This tensor, or a contiguous copy of it when it is not laid out contiguously. */
  contiguous(): Tensor {
    return vw.contiguous(this);
  }

  /** A contiguous copy with its own storage (differentiable). */
  clone(): Tensor {
    return vw.clone(this);
  }

  /** A copy converted to `dtype` (this tensor when it already has it). */
  to(dtype: DType): Tensor {
    return ew.cast(this, dtype);
  }

  /** `x.to('float32')`, as PyTorch's `float()`. @example `k.tensor([1, 2], { dtype: 'int32' }).float()` */
  float(): Tensor {
    return this.to('float32');
  }

  /** `x.to('float64')`, as PyTorch's `double()`. @example `k.randn([2]).double().dtype // 'float64'` */
  double(): Tensor {
    return this.to('float64');
  }

  /** `x.to('int32')`, as PyTorch's `int()`. @example `k.tensor([1.7]).int().item() // 1` */
  int(): Tensor {
    return this.to('int32');
  }

  /**
   * `x.to('int32')`: kiln has no int64, so PyTorch's `long()` (class indices, counts) gives
   * int32, the dtype kiln's indexing ops and losses take.
   *
   * @example
   * ```ts
   * k.F.crossEntropy(logits, k.tensor([0, 1, 1]).long());
   * ```
   */
  long(): Tensor {
    return this.to('int32');
  }

  /** The elements as nested arrays (a number for a 0-d tensor), as PyTorch's `tolist()`. @example `k.tensor([[1, 2]]).tolist() // [[1, 2]]` */
  tolist(): NestedNumbers | number {
    return this.ndim === 0 ? this.item() : this.toArray();
  }

  /** The elements in row-major order, as a new contiguous typed array. */
  dataSync(): TypedArray {
    if (this.isContiguous() && this.offset === 0 && this.storage.length === this.numel())
      return this.storage.slice();
    const out = vw.clone(this.detach());
    return out.storage;
  }

  /** The elements as nested arrays (booleans for bool tensors). */
  toArray(): NestedNumbers {
    const flat = this.dataSync();
    const asValue = this.dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
    if (this.ndim === 0) return asValue(flat[0]!);
    let at = 0;
    const build = (depth: number): NestedNumbers[] => {
      const n = this.shape[depth]!;
      const out: NestedNumbers[] = new Array(n);
      for (let i = 0; i < n; i++)
        out[i] = depth === this.ndim - 1 ? asValue(flat[at++]!) : build(depth + 1);
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor as a number. */
  item(): number {
    if (this.numel() !== 1) {
      throw new ValueError(
        `item: only one-element tensors can be converted to a number, this has shape ${fmtShape(this.shape)}`,
      );
    }
    return this.storage[this.offset]!;
  }

  /** A rendering like PyTorch's print: `tensor([[1., 2.],\n        [3., 4.]])`. */
  toString(): string {
    // As PyTorch: float32 and bool are implied by the values, except in an empty tensor.
    const empty = this.numel() === 0;
    const suffix: string[] = [];
    if (empty && this.ndim !== 1) suffix.push(`size=(${this.shape.join(', ')})`);
    if (this.dtype !== 'float32' && (this.dtype !== 'bool' || empty))
      suffix.push(`dtype=${this.dtype}`);
    if (this.gradFn) suffix.push(`gradFn=<${this.gradFn.name}>`);
    else if (this.requiresGrad) suffix.push('requiresGrad=true');
    if (empty) return `tensor([]${suffix.length ? `, ${suffix.join(', ')}` : ''})`;
    return formatTensor(this, suffix);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  // Arithmetic (numbers broadcast like 0-d tensors)
  /** Elementwise sum with broadcasting. */
  add(o: Operand): Tensor {
    return ew.binary('add', this, o);
  }
  /** Elementwise difference. */
  sub(o: Operand): Tensor {
    return ew.binary('sub', this, o);
  }
  /** Elementwise product. */
  mul(o: Operand): Tensor {
    return ew.binary('mul', this, o);
  }
  /** Elementwise true division (integers give float32). */
  div(o: Operand): Tensor {
    return ew.binary('div', this, o);
  }
  /** Elementwise power. */
  pow(o: Operand): Tensor {
    return typeof o === 'number' ? ew.unary('powScalar', this, o) : ew.binary('pow', this, o);
  }
  /** Elementwise maximum (NaN propagates). */
  maximum(o: Operand): Tensor {
    return ew.binary('maximum', this, o);
  }
  /** Elementwise minimum (NaN propagates). */
  minimum(o: Operand): Tensor {
    return ew.binary('minimum', this, o);
  }
  /** Elementwise `==`, as bool. */
  eq(o: Operand): Tensor {
    return ew.binary('eq', this, o);
  }
  /** Elementwise `!=`, as bool. */
  ne(o: Operand): Tensor {
    return ew.binary('ne', this, o);
  }
  /** Elementwise `<`, as bool. */
  lt(o: Operand): Tensor {
    return ew.binary('lt', this, o);
  }
  /** Elementwise `<=`, as bool. */
  le(o: Operand): Tensor {
    return ew.binary('le', this, o);
  }
  /** Elementwise `>`, as bool. */
  gt(o: Operand): Tensor {
    return ew.binary('gt', this, o);
  }
  /** Elementwise `>=`, as bool. */
  ge(o: Operand): Tensor {
    return ew.binary('ge', this, o);
  }
  /** Elementwise logical and, as bool. */
  logicalAnd(o: Operand): Tensor {
    return ew.binary('logicalAnd', this, o);
  }
  /** Elementwise logical or, as bool. */
  logicalOr(o: Operand): Tensor {
    return ew.binary('logicalOr', this, o);
  }
  /** Elementwise logical not, as bool. */
  logicalNot(): Tensor {
    return ew.unary('logicalNot', this);
  }

  // Unary functions
  /** -x */
  neg(): Tensor {
    return ew.unary('neg', this);
  }
  /** |x| */
  abs(): Tensor {
    return ew.unary('abs', this);
  }
  /** e^x */
  exp(): Tensor {
    return ew.unary('exp', this);
  }
  /** Natural logarithm. */
  log(): Tensor {
    return ew.unary('log', this);
  }
  /** log(1 + x), accurate near 0. */
  log1p(): Tensor {
    return ew.unary('log1p', this);
  }
  /** e^x - 1, accurate near 0. */
  expm1(): Tensor {
    return ew.unary('expm1', this);
  }
  /** Square root. */
  sqrt(): Tensor {
    return ew.unary('sqrt', this);
  }
  /** 1 / sqrt(x). */
  rsqrt(): Tensor {
    return ew.unary('rsqrt', this);
  }
  /** x * x. */
  square(): Tensor {
    return ew.unary('square', this);
  }
  /** 1 / x. */
  reciprocal(): Tensor {
    return ew.unary('reciprocal', this);
  }
  /** Sine. */
  sin(): Tensor {
    return ew.unary('sin', this);
  }
  /** Cosine. */
  cos(): Tensor {
    return ew.unary('cos', this);
  }
  /** -1, 0 or 1 (NaN stays NaN); its gradient is zero. */
  sign(): Tensor {
    return ew.unary('sign', this);
  }
  /** The error function. */
  erf(): Tensor {
    return ew.unary('erf', this);
  }
  /** Round down. */
  floor(): Tensor {
    return ew.unary('floor', this);
  }
  /** Round up. */
  ceil(): Tensor {
    return ew.unary('ceil', this);
  }
  /** Round half to even, as `torch.round`. */
  round(): Tensor {
    return ew.unary('round', this);
  }
  /** Clamps to [min, max]; either bound may be null. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  /** Bool mask of NaN elements. */
  isnan(): Tensor {
    return ew.unary('isnan', this);
  }
  /** Bool mask of finite elements. */
  isfinite(): Tensor {
    return ew.unary('isfinite', this);
  }
  /** max(x, 0). */
  relu(): Tensor {
    return act.relu(this);
  }
  /** Logistic sigmoid. */
  sigmoid(): Tensor {
    return act.sigmoid(this);
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return act.tanh(this);
  }
  /** Softmax along `dim`. */
  softmax(dim: number): Tensor {
    return act.softmax(this, dim);
  }
  /** Log-softmax along `dim`. */
  logSoftmax(dim: number): Tensor {
    return act.logSoftmax(this, dim);
  }
  /** `value` where the bool `mask` is true. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return ew.maskedFill(this, mask, value);
  }

  // Reductions
  /** Sum over `dim` (all by default). */
  sum(dim?: red.Dims, keepDim = false): Tensor {
    return red.sum(this, dim, keepDim);
  }
  /** Mean over `dim` (all by default). */
  mean(dim?: red.Dims, keepDim = false): Tensor {
    return red.mean(this, dim, keepDim);
  }
  /** Maximum values over `dim` (values only; positions come from `argmax`). */
  max(dim?: red.Dims, keepDim = false): Tensor {
    return red.amax(this, dim, keepDim);
  }
  /** Minimum values over `dim` (values only; positions come from `argmin`). */
  min(dim?: red.Dims, keepDim = false): Tensor {
    return red.amin(this, dim, keepDim);
  }
  /** Maximum over `dim`, as `torch.amax`. */
  amax(dim?: red.Dims, keepDim = false): Tensor {
    return red.amax(this, dim, keepDim);
  }
  /** Minimum over `dim`, as `torch.amin`. */
  amin(dim?: red.Dims, keepDim = false): Tensor {
    return red.amin(this, dim, keepDim);
  }
  /** Int32 positions of the maxima along `dim`. */
  argmax(dim?: number | null, keepDim = false): Tensor {
    return red.argmax(this, dim, keepDim);
  }
  /** Int32 positions of the minima along `dim`. */
  argmin(dim?: number | null, keepDim = false): Tensor {
    return red.argmin(this, dim, keepDim);
  }
  /** Variance with `correction` (default 1). */
  var(dim?: red.Dims, options?: red.VarOptions): Tensor {
    return red.variance(this, dim, options);
  }
  /** Standard deviation with `correction` (default 1). */
  std(dim?: red.Dims, options?: red.VarOptions): Tensor {
    return red.std(this, dim, options);
  }
  /** log(sum(exp(x))) over `dim`, computed stably. */
  logsumexp(dim?: red.Dims, keepDim = false): Tensor {
    return red.logsumexp(this, dim, keepDim);
  }
  /** Whether every element is non-zero (true for an empty tensor), as a bool 0-d tensor. */
  all(): Tensor {
    return ew.binary('eq', red.sum(ew.binary('eq', this, 0)), 0);
  }
  /** Whether some element is non-zero (false for an empty tensor), as a bool 0-d tensor. */
  any(): Tensor {
    return ew.binary('gt', red.sum(ew.binary('ne', this, 0)), 0);
  }

  // Linear algebra
  /** Matrix product with `torch.matmul`'s rules. */
  matmul(o: Tensor): Tensor {
    return la.matmul(this, o);
  }

  // Views and shape
  /** Same data, new shape (a view when the layout allows, else a copy); one dim may be -1. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return vw.reshape(this, shapeArgs(shape));
  }
  /** Same data, new shape, never a copy (throws when the layout does not allow). */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return vw.view(this, shapeArgs(shape));
  }
  /** Flattens dims startDim..endDim. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return vw.flatten(this, startDim, endDim);
  }
  /** Removes size-1 dims (only `dim` when given). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return vw.squeeze(this, dim);
  }
  /** Inserts a size-1 dim. */
  unsqueeze(dim: number): Tensor {
    return vw.unsqueeze(this, dim);
  }
  /** Swaps two dims (a view). */
  transpose(dim0: number, dim1: number): Tensor {
    return vw.transpose(this, dim0, dim1);
  }
  /**
   * The transpose of a tensor of at most 2 dims (0-D and 1-D come back as they are), as
   * PyTorch's `t()`; use `transpose` or `permute` for more dims.
   *
   * @example
   * ```ts
   * k.randn([2, 3]).t().shape; // [3, 2]
   * ```
   */
  t(): Tensor {
    if (this.ndim > 2)
      throw new ShapeError(
        `t(): expects a tensor of at most 2 dims, got ${fmtShape(this.shape)}; use transpose(dim0, dim1) or permute`,
      );
    return this.ndim < 2 ? this : this.transpose(0, 1);
  }
  /** The transpose of a 2-D tensor (reverses dims in general). */
  get T(): Tensor {
    return vw.permute(
      this,
      this.shape.map((_, i) => this.ndim - 1 - i),
    );
  }
  /** Reorders dims (a view). */
  permute(dims: readonly number[]): Tensor {
    return vw.permute(this, dims);
  }
  /** Broadcasts to `shape` (a view; -1 keeps a dim). */
  expand(shape: readonly number[]): Tensor {
    return vw.expand(this, shape);
  }
  /** Broadcasts to another tensor's shape. */
  expandAs(other: Tensor): Tensor {
    return vw.expand(this, other.shape);
  }
  /** `length` elements from `start` along `dim` (a view). */
  narrow(dim: number, start: number, length: number): Tensor {
    return vw.narrow(this, dim, start, length);
  }
  /** Python-style slice `start:end:step` along `dim` (a view). */
  slice(dim: number, start?: number, end?: number, step?: number): Tensor {
    return vw.slice(this, dim, start, end, step);
  }
  /** The sub-tensor at `index` along `dim`, dim removed (a view). */
  select(dim: number, index: number): Tensor {
    return vw.select(this, dim, index);
  }
  /** Pieces of `size` (or of the listed sizes) along `dim` (views). */
  split(size: number | readonly number[], dim = 0): Tensor[] {
    return vw.split(this, size, dim);
  }
  /** `chunks` nearly equal pieces along `dim` (views). */
  chunk(chunks: number, dim = 0): Tensor[] {
    return vw.chunk(this, chunks, dim);
  }

  // Indexing
  /** Values at int32 `index` along `dim`, as `torch.gather`. */
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  /** A copy with `src` added at `index` along `dim`, as `torch.scatter_add`. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.scatterAdd(this, dim, index, src);
  }
  /** Slices at int32 1-D `index` along `dim`. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  }
  /** A copy with slices of `src` added at `index` along `dim`, as `torch.index_add`. */
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return idx.indexAdd(this, dim, index, src);
  }

  // In place (rejected on tensors that require grad while grad mode is on)
  /** Copies `src` (broadcast, converted) into this tensor. */
  copy_(src: Tensor | number): this {
    return inplace.copyInto(this, src);
  }
  /** Fills with `value`. */
  fill_(value: number): this {
    return inplace.fillInPlace(this, value);
  }
  /** Fills with zeros. */
  zero_(): this {
    return inplace.fillInPlace(this, 0);
  }
  /** this += alpha * o. */
  add_(o: Tensor | number, alpha = 1): this {
    return inplace.binaryInPlace(this, 'add', o, alpha);
  }
  /** this -= alpha * o. */
  sub_(o: Tensor | number, alpha = 1): this {
    return inplace.binaryInPlace(this, 'sub', o, alpha);
  }
  /** this *= o. */
  mul_(o: Tensor | number): this {
    return inplace.binaryInPlace(this, 'mul', o, 1);
  }
  /** this /= o. */
  div_(o: Tensor | number): this {
    return inplace.binaryInPlace(this, 'div', o, 1);
  }
  /** Clamps in place. */
  clamp_(min?: number | null, max?: number | null): this {
    return inplace.copyInto(this, ew.clamp(this.detach(), min, max));
  }
}

/** A shape given as one list (`view([2, 3])`) or as numbers (`view(2, 3)`, PyTorch's style). */
function shapeArgs(args: number[] | [readonly number[]]): readonly number[] {
  return args.length === 1 && Array.isArray(args[0]) ? args[0] : (args as number[]);
}
