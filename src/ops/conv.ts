/**
 * The fused convolution primitive `conv2d` of the native backend: one kernel call per pass
 * (native/src/conv.cc) instead of im2col, a batch-wide column buffer, a matmul and a permute
 * copy. `k.F.conv2d` uses it when the native backend is active and nothing traces the call;
 * otherwise it runs the im2col + matmul composite, which is also what this primitive's rule
 * differentiates when a backward pass records a graph (`createGraph`).
 */

import { isGradEnabled } from '../autograd/grad-mode.js';
import type { GradNode } from '../autograd/node.js';
import type { Window2d } from '../backend/backend.js';
import { fusedConv } from '../backend/native/index.js';
import { recycleStorage } from '../backend/storage-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { record, uninit } from './core.js';
import { col2im, im2col } from './window.js';

/**
 * conv2d of x [N, C, H, W] with w [O, C/groups, kh, kw] and optional bias [O] to output size
 * `[OH, OW]` (then ReLU when `relu`) on the native fused kernel, or null when it is unavailable
 * (js backend, another dtype): the caller then uses the composite. Arguments are validated by
 * the caller.
 *
 * @example
 * ```ts
 * const win = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
 * const y = convFused(k.randn([8, 1, 28, 28]), k.randn([32, 1, 3, 3]), null, win, 1, [26, 26]);
 * ```
 */
export function convFused(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  window: Window2d,
  groups: number,
  outSize: readonly [number, number],
  relu = false,
): Tensor | null {
  const conv = fusedConv();
  if (conv === null || (x.dtype !== 'float32' && x.dtype !== 'float64')) return null;
  const out = uninit([x.shape[0]!, w.shape[0]!, outSize[0], outSize[1]], x.dtype);
  const wc = w.contiguous();
  const bc = bias ? bias.contiguous() : null;
  if (!conv.forward(x, wc, bc, window, groups, relu, out)) {
    recycleStorage(out.storage);
    return null;
  }
  // With ReLU the output is saved too: its sign masks the gradient.
  const saved = relu ? [x, wc, out] : [x, wc];
  return record('conv2d', out, bias ? [x, w, bias] : [x, w], saved, { window, groups });
}

/**
 * Inference only: the 2x2 max pool (stride 2, floor) of `conv2d(x, w, bias)` followed by ReLU,
 * one group, to convolution size `convSize` [OH, OW], in one native kernel that never stores
 * the convolution's output (nor argmax indices: nothing will take a gradient). Null when a
 * gradient is needed, the kernel is unavailable or it does not take the call (not float32,
 * strided or dilated window, short output rows): the caller then runs the three steps.
 *
 * @example
 * ```ts
 * const win = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
 * const y = k.noGrad(() => convReluPoolFused(k.randn([8, 1, 28, 28]), k.randn([32, 1, 3, 3]), null, win, [26, 26]));
 * ```
 */
export function convReluPoolFused(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  window: Window2d,
  convSize: readonly [number, number],
): Tensor | null {
  const conv = fusedConv();
  if (conv === null || x.dtype !== 'float32' || w.dtype !== 'float32') return null;
  if (bias && bias.dtype !== 'float32') return null;
  if (isGradEnabled() && (x.requiresGrad || w.requiresGrad || (bias?.requiresGrad ?? false)))
    return null;
  const [oh, ow] = [Math.floor(convSize[0] / 2), Math.floor(convSize[1] / 2)];
  const out = uninit([x.shape[0]!, w.shape[0]!, oh, ow], x.dtype);
  const bc = bias ? bias.contiguous() : null;
  if (!conv.forwardReluPool(x, w.contiguous(), bc, window, convSize, out)) {
    recycleStorage(out.storage);
    return null;
  }
  return out;
}

/** The gradients of `conv2d`'s inputs [x, w, bias?] given the output's gradient g. */
export function convBackward(g: Tensor, node: GradNode): (Tensor | null)[] {
  const [x, w, y] = node.saved as [Tensor, Tensor, Tensor | undefined];
  const needs = (i: number): boolean => node.next.length > i && node.next[i] !== null;
  return convGrads(g, x, w, y ?? null, node.attrs.window!, node.attrs.groups!, needs);
}

/**
 * The gradients [dx, dw, db] (null where `needs(i)` is false) of a convolution of x with w given
 * its output's gradient g, masked by y > 0 when `y` (the output of a fused ReLU) is given: on
 * the native fused kernel when it takes the call and no graph is recorded, else in
 * differentiable ops. Shared with the fused Conv2d + ReLU + MaxPool2d rule (ops/conv-pool.ts).
 *
 * @example
 * ```ts
 * const [dx, dw, db] = convGrads(g, x, w, null, win, 1, () => true);
 * ```
 */
export function convGrads(
  g: Tensor,
  x: Tensor,
  w: Tensor,
  y: Tensor | null,
  window: Window2d,
  groups: number,
  needs: (i: number) => boolean,
): (Tensor | null)[] {
  const conv = fusedConv();
  if (conv !== null && !isGradEnabled()) {
    const dy = g.contiguous();
    const dx = needs(0) ? uninit(x.shape, x.dtype) : null;
    const dw = needs(1) ? uninit(w.shape, w.dtype) : null;
    const db = needs(2) ? uninit([w.shape[0]!], w.dtype) : null;
    if (conv.backward(dy, x, w, y, window, groups, { dx, dw, db })) return [dx, dw, db];
  }
  // The composite's gradients, in differentiable ops (so createGraph records them); the ReLU
  // mask is a constant, as in the relu rule.
  const gm = y ? g.mul(y.gt(0).to(g.dtype)) : g;
  const [n, c] = x.shape as [number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const [oh, ow] = [g.shape[2]!, g.shape[3]!];
  const k = (c / groups) * kh * kw;
  const gmat = gm.permute([1, 0, 2, 3]).reshape([groups, o / groups, n * oh * ow]);
  let dx: Tensor | null = null;
  if (needs(0)) {
    const wm = w.reshape([groups, o / groups, k]);
    const cols = wm.transpose(1, 2).matmul(gmat).reshape([c, kh, kw, n, oh, ow]);
    dx = col2im(cols, window, [x.shape[2]!, x.shape[3]!]);
  }
  let dw: Tensor | null = null;
  if (needs(1)) {
    const cols = im2col(x, window, [oh, ow]).reshape([groups, k, n * oh * ow]);
    dw = gmat.matmul(cols.transpose(1, 2)).reshape(w.shape);
  }
  return [dx, dw, needs(2) ? gm.sum([0, 2, 3]) : null];
}
