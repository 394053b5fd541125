/**
 * The fused training primitive `conv2dReluPool` of the native backend: Conv2d + ReLU +
 * MaxPool2d(2) in one float32 kernel that stores the pooled output and each window's argmax,
 * never the convolution's output (4x the pooled size), and a backward kernel that rebuilds one
 * sample's convolution gradient at a time from the pooled gradient (native/src/conv_pool_train.cc).
 * Its rule falls back to the unfused gradients (maxPool's scatter, then the convolution's) when a
 * graph is recorded (`createGraph`) or the kernel does not take the call.
 */

import { isGradEnabled } from '../autograd/grad-mode.js';
import type { GradNode } from '../autograd/node.js';
import type { Window2d } from '../backend/backend.js';
import { fusedConv } from '../backend/native/index.js';
import { recycleStorage } from '../backend/storage-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { convGrads } from './conv.js';
import { record, uninit } from './core.js';
import { maxPoolBackward } from './window.js';

/**
 * `maxPool2d(relu(conv2d(x, w, bias)), 2)` for one group at stride 1 and dilation 1, to
 * convolution size `convSize` [OH, OW] (after `window.padding`), recorded as one node for
 * backward; or null when the native kernel is unavailable or does not take the call (not
 * float32, short output rows): the caller then runs the steps unfused. Arguments are validated
 * by the caller.
 *
 * @example
 * ```ts
 * const win = { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] } as const;
 * const w = k.randn([32, 1, 3, 3]).requiresGrad_();
 * const y = convReluPoolTrain(k.randn([8, 1, 28, 28]), w, null, win, [26, 26]); // [8, 32, 13, 13]
 * ```
 */
export function convReluPoolTrain(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  window: Window2d,
  convSize: readonly [number, number],
): Tensor | null {
  const conv = fusedConv();
  if (conv === null || x.dtype !== 'float32' || w.dtype !== 'float32') return null;
  if (bias && bias.dtype !== 'float32') return null;
  const shape = [
    x.shape[0]!,
    w.shape[0]!,
    Math.floor(convSize[0] / 2),
    Math.floor(convSize[1] / 2),
  ];
  const out = uninit(shape, 'float32');
  const idx = uninit(shape, 'int32');
  const wc = w.contiguous();
  const bc = bias ? bias.contiguous() : null;
  if (!conv.forwardReluPoolTrain(x, wc, bc, window, convSize, out, idx)) {
    recycleStorage(out.storage);
    recycleStorage(idx.storage);
    return null;
  }
  const y = record('conv2dReluPool', out, bias ? [x, w, bias] : [x, w], [x, wc, out], {
    window,
    index: idx,
    sizes: convSize,
  });
  // The indices are referenced by this node only: given back when backward frees it.
  if (y.gradFn) y.gradFn.owned.push(idx.storage);
  else recycleStorage(idx.storage);
  return y;
}

/** The gradients of `conv2dReluPool`'s inputs [x, w, bias?] given the output's gradient g. */
export function convReluPoolBackward(g: Tensor, node: GradNode): (Tensor | null)[] {
  const [x, w, out] = node.saved as [Tensor, Tensor, Tensor];
  const window = node.attrs.window!;
  const idx = node.attrs.index!;
  const [oh, ow] = node.attrs.sizes! as [number, number];
  const needs = (i: number): boolean => node.next.length > i && node.next[i] !== null;
  const conv = fusedConv();
  if (conv !== null && !isGradEnabled()) {
    const gc = g.contiguous();
    const dx = needs(0) ? uninit(x.shape, x.dtype) : null;
    const dw = needs(1) ? uninit(w.shape, w.dtype) : null;
    const db = needs(2) ? uninit([w.shape[0]!], w.dtype) : null;
    const grads = { dx, dw, db };
    if (conv.backwardReluPool(gc, out, idx, x, w, window, [oh, ow], grads)) return [dx, dw, db];
    for (const t of [dx, dw, db]) if (t) recycleStorage(t.storage);
  }
  // Unfused: maxPool's scatter of the gradient where the ReLU passed it (a positive window
  // max), then the convolution's gradients; differentiable in g, so createGraph records them.
  const passed = g.mul(out.gt(0).to(g.dtype));
  const dy = maxPoolBackward(passed, idx, [x.shape[0]!, w.shape[0]!, oh, ow]);
  return convGrads(dy, x, w, null, window, 1, needs);
}
