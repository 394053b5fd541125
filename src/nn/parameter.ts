import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * A trainable tensor of a module, as `torch.nn.Parameter`. It is a `Tensor` subclass that
 * **shares the storage** of the tensor it is made from (no copy, like PyTorch) and is a leaf
 * that requires grad by default. Modules find their parameters by walking their own fields and
 * picking out the values that are `Parameter` instances; a plain `Tensor` field is not a
 * parameter (like a plain attribute in PyTorch).
 *
 * @example
 * ```ts
 * class Scale extends k.nn.Module {
 *   weight = new k.nn.Parameter(k.ones([3]));
 *   forward(x: k.Tensor) { return x.mul(this.weight); }
 * }
 * ```
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    // detach() first so that a parameter made from a graph result starts as a fresh leaf.
    const base = data.detach();
    super(base.storage, base.shape, base.strides, base.offset, base.dtype);
    if (requiresGrad && isFloat(this.dtype)) this.requiresGrad = true;
  }
}

/** Options of `Buffer`. */
export interface BufferOptions {
  /** Whether the buffer is saved in `stateDict()` (default true), as PyTorch's `persistent`. */
  persistent?: boolean;
}

/**
 * Module state that is not trained but belongs to the model (running statistics, counters), as
 * a tensor registered with PyTorch's `register_buffer`. A `Tensor` subclass sharing the storage
 * of the tensor it is made from; it never requires grad. Persistent buffers (the default) are
 * part of `stateDict()`.
 *
 * @example
 * ```ts
 * class Counter extends k.nn.Module {
 *   count = new k.nn.Buffer(k.zeros([], { dtype: 'int32' }));
 *   forward(x: k.Tensor) { return x; }
 * }
 * ```
 */
export class Buffer extends Tensor {
  /** Whether `stateDict()` includes this buffer. */
  readonly persistent: boolean;

  constructor(data: Tensor, options: BufferOptions = {}) {
    const base = data.detach();
    super(base.storage, base.shape, base.strides, base.offset, base.dtype);
    this.persistent = options.persistent ?? true;
  }
}
