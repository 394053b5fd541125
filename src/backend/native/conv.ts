import type { View, Window2d } from '../backend.js';
import { type NativeConvPool, type RawConvPool, wrapConvPool } from './conv-pool.js';
import { CONV_PARAMS, slot } from './layouts.js';
import { writeWindowHeader } from './window.js';

type Storage = View['storage'];

/** The addon's raw fused-convolution exports (native/src/conv_addon.cc). */
export interface RawConv {
  convForward(x: Storage, w: Storage, bias: Storage, out: Storage, params: Float64Array): boolean;
  convBackward(
    dy: Storage,
    x: Storage,
    w: Storage,
    y: Storage,
    dx: Storage,
    dw: Storage,
    db: Storage,
    params: Float64Array,
  ): boolean;
}

/** The gradients `NativeConv.backward` computes: each view is overwritten, null to skip it. */
export interface ConvGrads {
  dx: View | null;
  dw: View | null;
  db: View | null;
}

/**
 * The native fused 2-D convolution over [N, C, H, W] float32/float64 data: per sample, im2col
 * into a small column buffer and one GEMM straight into the NCHW output. The weight, bias, dy
 * and results are contiguous views; x may be strided. Each returns false for a dtype or geometry
 * it does not take (the caller then runs the im2col + matmul composite). The training
 * Conv2d + ReLU + MaxPool2d kernels come from `NativeConvPool` (conv-pool.ts).
 */
export interface NativeConv extends NativeConvPool {
  /** out [N, O, OH, OW] = conv(x, w) + bias, then max(0, .) when `relu`. */
  forward(
    x: View,
    w: View,
    bias: View | null,
    window: Window2d,
    groups: number,
    relu: boolean,
    out: View,
  ): boolean;
  /**
   * Inference only: out [N, O, floor(OH / 2), floor(OW / 2)] = 2x2 max pool (stride 2) of
   * max(0, conv(x, w) + bias) of size `convSize` [OH, OW], which is never stored (one group). False where the fused
   * kernel does not apply (the caller then runs the three steps).
   */
  forwardReluPool(
    x: View,
    w: View,
    bias: View | null,
    window: Window2d,
    convSize: readonly [number, number],
    out: View,
  ): boolean;
  /**
   * The gradients (dx [N, C, H, W], dw [O, C/groups, kh, kw], db [O]) from dy [N, O, OH, OW]
   * in one pass over the samples; with `y` (the forward's output) the forward applied ReLU and
   * dy is masked by y > 0 first.
   */
  backward(
    dy: View,
    x: View,
    w: View,
    y: View | null,
    window: Window2d,
    groups: number,
    grads: ConvGrads,
  ): boolean;
}

// Slots of the parameter array (src/backend/native/layouts.ts, shared with conv_addon.cc).
const O = slot(CONV_PARAMS, 'o');
const X_OFF = slot(CONV_PARAMS, 'xOff');
const W_OFF = slot(CONV_PARAMS, 'wOff');
const B_OFF = slot(CONV_PARAMS, 'bOff');
const DY_OFF = slot(CONV_PARAMS, 'dyOff');
const OUT_OFF = slot(CONV_PARAMS, 'outOff');
const RELU = slot(CONV_PARAMS, 'relu');
const Y_OFF = slot(CONV_PARAMS, 'yOff');
const DX_OFF = slot(CONV_PARAMS, 'dxOff');
const POOL = slot(CONV_PARAMS, 'pool');
const params = new Float64Array(CONV_PARAMS.length);

function geometry(
  image: readonly number[],
  out: readonly number[],
  w: Window2d,
  groups: number,
): void {
  writeWindowHeader(params, image, out[2]!, out[3]!, w);
  params[O] = out[1]!;
  params[O + 1] = groups;
}

function xView(x: View): void {
  params[X_OFF] = x.offset;
  for (let d = 0; d < 4; d++) params[X_OFF + 1 + d] = x.strides[d]!;
}

/** Binds the raw exports to views, or null when this addon build lacks them. */
export function wrapConv(raw: Partial<RawConv & RawConvPool>): NativeConv | null {
  const { convForward, convBackward } = raw;
  if (!convForward || !convBackward) return null;
  return {
    ...wrapConvPool(raw),
    forward(x, w, bias, window, groups, relu, out) {
      geometry(x.shape, out.shape, window, groups);
      xView(x);
      params[W_OFF] = w.offset;
      params[B_OFF] = bias ? bias.offset : -1;
      params[OUT_OFF] = out.offset;
      params[RELU] = relu ? 1 : 0;
      params[POOL] = 0;
      return convForward(x.storage, w.storage, (bias ?? w).storage, out.storage, params);
    },
    forwardReluPool(x, w, bias, window, convSize, out) {
      geometry(x.shape, [out.shape[0]!, out.shape[1]!, convSize[0], convSize[1]], window, 1);
      xView(x);
      params[W_OFF] = w.offset;
      params[B_OFF] = bias ? bias.offset : -1;
      params[OUT_OFF] = out.offset;
      params[RELU] = 1;
      params[POOL] = 1;
      return convForward(x.storage, w.storage, (bias ?? w).storage, out.storage, params);
    },
    backward(dy, x, w, y, window, groups, grads) {
      geometry(x.shape, dy.shape, window, groups);
      xView(x);
      params[W_OFF] = w.offset;
      params[DY_OFF] = dy.offset;
      params[RELU] = y ? 1 : 0;
      params[Y_OFF] = y ? y.offset : -1;
      const results = [grads.dx, grads.dw, grads.db];
      for (const [i, r] of results.entries()) params[DX_OFF + i] = r ? r.offset : -1;
      const [dx, dw, db] = results.map((r) => (r ?? dy).storage) as [Storage, Storage, Storage];
      return convBackward(dy.storage, x.storage, w.storage, (y ?? dy).storage, dx, dw, db, params);
    },
  };
}
