import type { View, Window2d } from '../backend.js';
import { slot, WINDOW_PARAMS } from './layouts.js';

type Storage = View['storage'];

/** The addon's raw sliding-window exports (native/src/window_addon.cc). */
export interface RawWindow {
  im2col(x: Storage, out: Storage, params: Float64Array): boolean;
  col2im(cols: Storage, out: Storage, params: Float64Array): boolean;
  maxPool(x: Storage, out: Storage, indices: Storage, params: Float64Array): boolean;
  maxPoolBackward(grad: Storage, indices: Storage, out: Storage, params: Float64Array): boolean;
}

/**
 * Typed access to the native sliding-window kernels, with the semantics of `Backend.im2col`,
 * `col2im`, `maxPool` and `maxPoolBackward` (results bit-identical to the js kernels). Each
 * returns false when it does not take the dtypes (float32/float64 only) or the window; the
 * caller then runs the js kernel. Views are bounds-checked natively.
 */
export interface NativeWindow {
  im2col(x: View, window: Window2d, out: View): boolean;
  col2im(cols: View, window: Window2d, out: View): boolean;
  maxPool(x: View, window: Window2d, out: View, indices: View): boolean;
  maxPoolBackward(grad: View, indices: View, out: View): boolean;
}

// Slots of the parameter array (src/backend/native/layouts.ts, shared with window_addon.cc).
// One module-level array: calls are synchronous.
const IN_OFF = slot(WINDOW_PARAMS, 'inOff');
const OUT_OFF = slot(WINDOW_PARAMS, 'outOff');
const IDX_OFF = slot(WINDOW_PARAMS, 'idxOff');
const params = new Float64Array(WINDOW_PARAMS.length);

/**
 * Writes the header both window-kernel layouts share (window_addon.cc, conv_addon.cc): image
 * [N, C, H, W] in slots 0-3, output [OH, OW] in 4-5, the window (kernel, stride, padding,
 * dilation) in 6-13; `w` null writes a valid placeholder window (maxPoolBackward needs none).
 */
export function writeWindowHeader(
  p: Float64Array,
  image: readonly number[],
  oh: number,
  ow: number,
  w: Window2d | null,
): void {
  p[0] = image[0]!;
  p[1] = image[1]!;
  p[2] = image[2]!;
  p[3] = image[3]!;
  p[4] = oh;
  p[5] = ow;
  if (w === null) {
    p.fill(1, 6, 14);
    p[10] = 0;
    p[11] = 0;
    return;
  }
  p[6] = w.kernel[0];
  p[7] = w.kernel[1];
  p[8] = w.stride[0];
  p[9] = w.stride[1];
  p[10] = w.padding[0];
  p[11] = w.padding[1];
  p[12] = w.dilation[0];
  p[13] = w.dilation[1];
}

/** Writes a view's offset and strides at `at` (offset), `at + 1`... (strides). */
function strides(v: View, at: number): void {
  params[at] = v.offset;
  const s = v.strides;
  for (let d = 0; d < s.length; d++) params[at + 1 + d] = s[d]!;
}

/** Binds the raw exports to views. */
export function wrapWindow(raw: RawWindow): NativeWindow {
  return {
    im2col(x, w, out) {
      const os = out.shape;
      writeWindowHeader(params, x.shape, os[4]!, os[5]!, w);
      strides(x, IN_OFF);
      params[OUT_OFF] = out.offset;
      return raw.im2col(x.storage, out.storage, params);
    },
    col2im(cols, w, out) {
      const cs = cols.shape;
      writeWindowHeader(params, out.shape, cs[4]!, cs[5]!, w);
      strides(cols, IN_OFF);
      params[OUT_OFF] = out.offset;
      return raw.col2im(cols.storage, out.storage, params);
    },
    maxPool(x, w, out, indices) {
      const os = out.shape;
      writeWindowHeader(params, x.shape, os[2]!, os[3]!, w);
      strides(x, IN_OFF);
      params[OUT_OFF] = out.offset;
      params[IDX_OFF] = indices.offset;
      return raw.maxPool(x.storage, out.storage, indices.storage, params);
    },
    maxPoolBackward(grad, indices, out) {
      const gs = grad.shape;
      writeWindowHeader(params, out.shape, gs[2]!, gs[3]!, null);
      strides(grad, IN_OFF);
      params[OUT_OFF] = out.offset;
      strides(indices, IDX_OFF);
      return raw.maxPoolBackward(grad.storage, indices.storage, out.storage, params);
    },
  };
}
