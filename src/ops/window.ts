/**
 * The op layer of the sliding-window primitives: `im2col`, its adjoint `col2im`, `maxPool` and
 * its scatter `maxPoolBackward`.
 * Callers (`k.F.conv2d`, `k.F.maxPool2d`, ...) validate the user's arguments and compute the
 * output sizes; these functions allocate, call one kernel and record one graph node.
 */
import type { Window2d } from '../backend/backend.js';
import { backend } from '../backend/registry.js';
import { fmtShape, ShapeError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { record, requireFloat, uninit } from './core.js';

export type { Window2d };

function require4d(x: Tensor, op: string): void {
  if (x.ndim !== 4) throw new ShapeError(`${op}: expected [N, C, H, W], got ${fmtShape(x.shape)}`);
}

/**
 * Unfolds the windows of x [N, C, H, W] into [C, kh, kw, N, OH, OW] (taps in the padding are 0),
 * for output size `[OH, OW]`. Differentiable (its gradient is `col2im`).
 *
 * @example
 * ```ts
 * const w = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] } as const;
 * im2col(k.randn([2, 3, 8, 8]), w, [8, 8]).shape; // [3, 3, 3, 2, 8, 8]
 * ```
 */
export function im2col(x: Tensor, window: Window2d, outSize: readonly [number, number]): Tensor {
  require4d(x, 'im2col');
  requireFloat(x, 'im2col');
  const [n, c] = x.shape as [number, number];
  const out = uninit([c, window.kernel[0], window.kernel[1], n, outSize[0], outSize[1]], x.dtype);
  backend().im2col(x, window, out);
  return record('im2col', out, [x], [], { window, shape: x.shape });
}

/**
 * The adjoint of `im2col`: sums cols [C, kh, kw, N, OH, OW] back into an image
 * [N, C, H, W] of spatial size `imageSize` `[H, W]`. Differentiable (its gradient is `im2col`).
 *
 * @example
 * ```ts
 * col2im(cols, w, [8, 8]).shape; // [2, 3, 8, 8]
 * ```
 */
export function col2im(
  cols: Tensor,
  window: Window2d,
  imageSize: readonly [number, number],
): Tensor {
  if (cols.ndim !== 6)
    throw new ShapeError(`col2im: expected [C, kh, kw, N, OH, OW], got ${fmtShape(cols.shape)}`);
  requireFloat(cols, 'col2im');
  const [c, , , n] = cols.shape as [number, number, number, number];
  const out = uninit([n, c, imageSize[0], imageSize[1]], cols.dtype);
  backend().col2im(cols, window, out);
  return record('col2im', out, [cols], [], { window, shape: cols.shape });
}

/**
 * Max pooling of x [N, C, H, W] to `[OH, OW]`: the pooled values and the int32 flat positions
 * `h*W + w` of each maximum in its plane (kept for the backward). The caller ensures every window
 * holds an input element.
 *
 * @example
 * ```ts
 * const [y, idx] = maxPool(x, w, [4, 4]);
 * ```
 */
export function maxPool(
  x: Tensor,
  window: Window2d,
  outSize: readonly [number, number],
): [Tensor, Tensor] {
  require4d(x, 'maxPool');
  requireFloat(x, 'maxPool');
  const [n, c] = x.shape as [number, number];
  const shape = [n, c, outSize[0], outSize[1]];
  const out = uninit(shape, x.dtype);
  const indices = uninit(shape, 'int32');
  backend().maxPool(x, window, out, indices);
  return [record('maxPool', out, [x], [], { index: indices }), indices];
}

/**
 * The gradient of `maxPool`: scatters g [N, C, OH, OW] to the argmax positions `indices` in a
 * zero image of `inputShape` [N, C, H, W]. Differentiable in g (its gradient gathers at the same
 * positions), so second-order gradients through max pooling work.
 *
 * @example
 * ```ts
 * const dx = maxPoolBackward(g, idx, x.shape);
 * ```
 */
export function maxPoolBackward(g: Tensor, indices: Tensor, inputShape: readonly number[]): Tensor {
  require4d(g, 'maxPoolBackward');
  const out = uninit(inputShape, g.dtype);
  backend().maxPoolBackward(g, indices, out);
  return record('maxPoolBackward', out, [g], [], { index: indices });
}
