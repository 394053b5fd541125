import type { View, Window2d } from '../backend.js';
import { CONV_POOL_PARAMS, slot } from './layouts.js';
import { writeWindowHeader } from './window.js';

type Storage = View['storage'];

/** The addon's raw fused training Conv2d + ReLU + MaxPool2d exports (conv_pool_addon.cc). */
export interface RawConvPool {
  convPoolForward(
    x: Storage,
    w: Storage,
    bias: Storage,
    out: Storage,
    idx: Storage,
    params: Float64Array,
  ): boolean;
  convPoolBackward(
    g: Storage,
    out: Storage,
    idx: Storage,
    x: Storage,
    w: Storage,
    dx: Storage,
    dw: Storage,
    db: Storage,
    params: Float64Array,
  ): boolean;
}

/**
 * The fused Conv2d + ReLU + MaxPool2d(2) for training (native/src/conv_pool_train.cc): float32,
 * one group, stride 1, dilation 1. The convolution's output is never stored; the forward keeps
 * the argmax of each pooling window instead, as `maxPool` does. Each returns false where the
 * kernels do not take the call (or the addon lacks them); the caller then runs the steps
 * unfused.
 */
export interface NativeConvPool {
  /**
   * out [N, O, floor(OH / 2), floor(OW / 2)] = 2x2 max pool (stride 2) of
   * max(0, conv(x, w) + bias) of size `convSize` [OH, OW]; idx (int32, same shape) = the position
   * in the [OH, OW] plane of each window's first maximum.
   */
  forwardReluPoolTrain(
    x: View,
    w: View,
    bias: View | null,
    window: Window2d,
    convSize: readonly [number, number],
    out: View,
    idx: View,
  ): boolean;
  /**
   * The gradients (each overwritten, null to skip) of `forwardReluPoolTrain`'s inputs from g,
   * its output's gradient: the convolution's output gradient is g at each window's argmax where
   * the window's max (`out`) is positive, zero elsewhere.
   */
  backwardReluPool(
    g: View,
    out: View,
    idx: View,
    x: View,
    w: View,
    window: Window2d,
    convSize: readonly [number, number],
    grads: { dx: View | null; dw: View | null; db: View | null },
  ): boolean;
}

// Layout shared with conv_pool_addon.cc (layouts.ts): image [N, C, H, W], convolution output
// [OH, OW], the window, out channels, x view (offset, 4 strides), offsets of w, bias (-1: none),
// out, idx, g, then dx, dw, db (-1: not computed).
const O = slot(CONV_POOL_PARAMS, 'o');
const X_OFF = slot(CONV_POOL_PARAMS, 'xOff');
const W_OFF = slot(CONV_POOL_PARAMS, 'wOff');
const B_OFF = slot(CONV_POOL_PARAMS, 'bOff');
const OUT_OFF = slot(CONV_POOL_PARAMS, 'outOff');
const IDX_OFF = slot(CONV_POOL_PARAMS, 'idxOff');
const G_OFF = slot(CONV_POOL_PARAMS, 'gOff');
const DX_OFF = slot(CONV_POOL_PARAMS, 'dxOff');
const params = new Float64Array(CONV_POOL_PARAMS.length);

function header(x: View, w: View, window: Window2d, convSize: readonly [number, number]): void {
  writeWindowHeader(params, x.shape, convSize[0], convSize[1], window);
  params[O] = w.shape[0]!;
  params[X_OFF] = x.offset;
  for (let d = 0; d < 4; d++) params[X_OFF + 1 + d] = x.strides[d]!;
  params[W_OFF] = w.offset;
}

/** Binds the raw exports to views; without them (an older build) every call returns false. */
export function wrapConvPool(raw: Partial<RawConvPool>): NativeConvPool {
  const { convPoolForward, convPoolBackward } = raw;
  return {
    forwardReluPoolTrain(x, w, bias, window, convSize, out, idx) {
      if (!convPoolForward) return false;
      header(x, w, window, convSize);
      params[B_OFF] = bias ? bias.offset : -1;
      params[OUT_OFF] = out.offset;
      params[IDX_OFF] = idx.offset;
      const b = (bias ?? w).storage;
      return convPoolForward(x.storage, w.storage, b, out.storage, idx.storage, params);
    },
    backwardReluPool(g, out, idx, x, w, window, convSize, grads) {
      if (!convPoolBackward) return false;
      header(x, w, window, convSize);
      params[B_OFF] = -1;
      params[OUT_OFF] = out.offset;
      params[IDX_OFF] = idx.offset;
      params[G_OFF] = g.offset;
      const results = [grads.dx, grads.dw, grads.db];
      for (const [i, r] of results.entries()) params[DX_OFF + i] = r ? r.offset : -1;
      const [dx, dw, db] = results.map((r) => (r ?? g).storage) as [Storage, Storage, Storage];
      return convPoolBackward(
        g.storage,
        out.storage,
        idx.storage,
        x.storage,
        w.storage,
        dx,
        dw,
        db,
        params,
      );
    },
  };
}
