import { oneHot } from '../ops/indexing.js';
import type { DType } from '../tensor/dtype.js';
import { DataError, DTypeError, ValueError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * A tensor-to-tensor transform. Augmentations are identity after `eval()`; statistics-based
 * transforms (`Standardize`, `MinMaxScale`) apply in both modes.
 *
 * @example
 * ```ts
 * const t: k.data.Transform = new k.data.Lambda((x) => x.mul(2));
 * t.apply(k.ones([2])); // [2, 2]
 * ```
 */
export interface Transform {
  apply(x: Tensor): Tensor;
  /** Training mode: augmentations draw random changes. */
  train?(mode?: boolean): this;
  /** Evaluation mode: augmentations become the identity. */
  eval?(): this;
}

/**
 * Base of transforms with a training flag (augmentations).
 *
 * @example
 * ```ts
 * class Invert extends k.data.ModalTransform { apply(x: k.Tensor) { return this.training ? x.neg() : x; } }
 * ```
 */
export abstract class ModalTransform implements Transform {
  /** Whether random changes are drawn (true by default); `eval()` clears it. */
  training = true;

  abstract apply(x: Tensor): Tensor;

  train(mode = true): this {
    this.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}

/**
 * Applies transforms in order; `train()`/`eval()` reach every one of them.
 *
 * @example
 * ```ts
 * const aug = new k.data.Compose([new k.data.RandomCrop({ size: 28, padding: 2 }), scaler]);
 * const xb2 = aug.apply(xb);
 * ```
 */
export class Compose implements Transform {
  readonly transforms: readonly Transform[];

  constructor(transforms: readonly (Transform | ((x: Tensor) => Tensor))[]) {
    this.transforms = transforms.map((t) => (typeof t === 'function' ? new Lambda(t) : t));
  }

  apply(x: Tensor): Tensor {
    return this.transforms.reduce((acc, t) => t.apply(acc), x);
  }

  train(mode = true): this {
    for (const t of this.transforms) t.train?.(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }
}

/**
 * A transform from a function.
 *
 * @example
 * ```ts
 * const flatten = new k.data.Lambda((x) => x.flatten(1));
 * ```
 */
export class Lambda implements Transform {
  constructor(readonly fn: (x: Tensor) => Tensor) {}

  apply(x: Tensor): Tensor {
    return this.fn(x);
  }
}

/**
 * One-hot encodes int32 class labels: [N] -> [N, numClasses] (or a 0-d label -> [numClasses]),
 * float32 by default so it can feed losses directly. Labels outside 0..numClasses-1 raise a
 * `DataError` naming the first offending position.
 *
 * @example
 * ```ts
 * new k.data.OneHot(3).apply(k.tensor([0, 2], { dtype: 'int32' })); // [[1,0,0],[0,0,1]]
 * ```
 */
export class OneHot implements Transform {
  constructor(
    readonly numClasses: number,
    readonly options: { dtype?: DType } = {},
  ) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new ValueError(`OneHot: numClasses must be a positive integer, got ${numClasses}`);
    }
  }

  apply(labels: Tensor): Tensor {
    if (labels.dtype !== 'int32') {
      throw new DTypeError(`OneHot: labels must be an int32 tensor, got ${labels.dtype}`);
    }
    const data = labels.dataSync();
    for (let i = 0; i < data.length; i++) {
      if (data[i]! < 0 || data[i]! >= this.numClasses) {
        throw new DataError(
          `OneHot: label ${data[i]} at position ${i} is out of range for ${this.numClasses} classes (expected 0..${this.numClasses - 1})`,
        );
      }
    }
    return oneHot(labels, this.numClasses).to(this.options.dtype ?? 'float32');
  }
}
