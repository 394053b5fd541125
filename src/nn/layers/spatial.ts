import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout2d, type InterpolateOptions, interpolate } from '../functional-spatial.js';
import { Module } from '../module.js';

/**
 * Channel dropout, as `torch.nn.Dropout2d`: in training, zeroes each whole feature map of
 * [N, C, H, W] with probability `p` (default 0.5) and scales the others by 1/(1-p); identity in
 * eval mode. Neighbouring pixels are correlated, so dropping single pixels regularizes little.
 *
 * @example
 * ```ts
 * const drop = new k.nn.Dropout2d(0.1);
 * drop.forward(k.randn([8, 16, 12, 12]));
 * ```
 */
export class Dropout2d extends Module<[Tensor], Tensor> {
  readonly p: number;
  readonly #generator: Generator | undefined;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new ValueError(`Dropout2d: probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.#generator = options.generator;
  }
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, { generator: this.#generator });
  }
  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Resizes [N, C, H, W] input to `size` or by `scaleFactor`, as `torch.nn.Upsample` (mode
 * 'nearest' by default, or 'bilinear' with optional `alignCorners`); see `k.F.interpolate`.
 *
 * @example
 * ```ts
 * new k.nn.Upsample({ scaleFactor: 2 }).forward(k.randn([1, 3, 4, 4])).shape; // [1, 3, 8, 8]
 * ```
 */
export class Upsample extends Module<[Tensor], Tensor> {
  constructor(readonly options: InterpolateOptions) {
    super();
    // Checked here too so a bad configuration fails when the model is built, not at forward.
    if ((options.size === undefined) === (options.scaleFactor === undefined))
      throw new ValueError('Upsample: give exactly one of size and scaleFactor');
  }
  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
  protected override extraRepr(): string {
    const { size, scaleFactor, mode = 'nearest' } = this.options;
    return size !== undefined
      ? `size=${JSON.stringify(size)}, mode='${mode}'`
      : `scale_factor=${JSON.stringify(scaleFactor)}, mode='${mode}'`;
  }
}
