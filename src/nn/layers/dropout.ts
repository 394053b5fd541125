import { ValueError } from '../../tensor/errors.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { dropout } from '../functional-layers.js';
import { Module } from '../module.js';

/**
 * Inverted dropout, as `torch.nn.Dropout`: in training, zeroes each element with probability
 * `p` (default 0.5) and scales the others by 1/(1-p); identity in eval mode. Masks come from the
 * default generator unless a `generator` is given.
 *
 * @example
 * ```ts
 * const drop = new k.nn.Dropout(0.2);
 * drop.eval().forward(x); // x unchanged
 * ```
 */
export class Dropout extends Module<[Tensor], Tensor> {
  readonly p: number;
  readonly #generator: Generator | undefined;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    super();
    if (!(p >= 0 && p <= 1))
      throw new ValueError(`Dropout: probability has to be between 0 and 1, but got ${p}`);
    this.p = p;
    this.#generator = options.generator;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.#generator });
  }
  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
