import type { Backend, View } from '../backend.js';
import { jsBackend } from '../js/index.js';
import { getBackend, registerBackend } from '../registry.js';
import type { NativeConv } from './conv.js';
import type { NativeLinear } from './linear.js';
import { loadNative, type NativeBinding } from './loader.js';

let binding: NativeBinding | null = null;

const isFloat = (v: View): boolean => v.dtype === 'float32' || v.dtype === 'float64';

/**
 * The native backend's kernels. Each native call returns false for a dtype combination it does
 * not implement (int32 and bool arithmetic, mixed dtypes): that call then runs on the js
 * reference kernel. The registry fills primitives missing here (gather, scatter...) the same way.
 */
function nativeBackend(addon: NativeBinding): Partial<Backend> & { name: string } {
  return {
    name: 'native',
    matmul(a, b, out) {
      if (isFloat(out)) addon.matmul(a, b, out);
      else jsBackend.matmul(a, b, out);
    },
    unary(op, x, out, p0, p1) {
      if (!isFloat(x) || !addon.unary(op, x, out, p0, p1)) jsBackend.unary(op, x, out, p0, p1);
    },
    binary(op, a, b, out) {
      if (!isFloat(a) || !addon.binary(op, a, b, out)) jsBackend.binary(op, a, b, out);
    },
    where(cond, a, b, out) {
      if (!addon.where(cond, a, b, out)) jsBackend.where(cond, a, b, out);
    },
    copy(x, out) {
      if (!addon.copy(x, out)) jsBackend.copy(x, out);
    },
    fill(out, value) {
      if (!addon.fill(out, value)) jsBackend.fill(out, value);
    },
    reduce(op, x, dims, out) {
      if (!isFloat(x) || !addon.reduce(op, x, dims, out)) jsBackend.reduce(op, x, dims, out);
    },
    argReduce(op, x, dim, out) {
      if (!isFloat(x) || !addon.argReduce(op, x, dim, out)) jsBackend.argReduce(op, x, dim, out);
    },
    softmax(x, dim, log, out) {
      if (!isFloat(x) || !addon.softmax(x, dim, log, out)) jsBackend.softmax(x, dim, log, out);
    },
    im2col(x, window, out) {
      if (!addon.im2col(x, window, out)) jsBackend.im2col(x, window, out);
    },
    col2im(cols, window, out) {
      if (!addon.col2im(cols, window, out)) jsBackend.col2im(cols, window, out);
    },
    maxPool(x, window, out, indices) {
      if (!addon.maxPool(x, window, out, indices)) jsBackend.maxPool(x, window, out, indices);
    },
    maxPoolBackward(grad, indices, out) {
      if (!addon.maxPoolBackward(grad, indices, out)) jsBackend.maxPoolBackward(grad, indices, out);
    },
  };
}

/** Registers the native backend's loader (loading happens when it is first selected). */
export function registerNativeBackend(): void {
  registerBackend('native', () => {
    const result = loadNative();
    if (!result.binding) return { error: result.error };
    binding = result.binding;
    return { backend: nativeBackend(result.binding) };
  });
}

/** The loaded addon, or null when the native backend has not been loaded. */
export function nativeBinding(): NativeBinding | null {
  return binding;
}

/**
 * The addon's fused optimizer kernels when the native backend is the active one, else null
 * (optimizers then run their JS loops). Both paths give bit-identical results.
 */
export function fusedOptimizer(): NativeBinding | null {
  return binding !== null && getBackend() === 'native' ? binding : null;
}

let linearEnabled = process.env.KILN_LINEAR_PACK !== '0';

/**
 * The addon's Linear over cached packed weights when the native backend is the active one and
 * it is enabled (`KILN_LINEAR_PACK=0` or `setPackedLinear(false)` turn it off, for A/B
 * benchmarks), else null: Linear then runs as matmul + bias add.
 */
export function packedLinear(): NativeLinear | null {
  return linearEnabled && binding !== null && getBackend() === 'native' ? binding.linear : null;
}

/** Turns the packed-weight Linear on or off; returns the old setting. */
export function setPackedLinear(enabled: boolean): boolean {
  const was = linearEnabled;
  linearEnabled = enabled;
  return was;
}

let convEnabled = process.env.KILN_CONV_FUSED !== '0';

/**
 * The addon's fused convolution when the native backend is the active one and it is enabled
 * (`KILN_CONV_FUSED=0` or `setFusedConv(false)` turn it off, for A/B benchmarks), else null:
 * convolutions then run as im2col + matmul.
 */
export function fusedConv(): NativeConv | null {
  return convEnabled && binding !== null && getBackend() === 'native' ? binding.conv : null;
}

/** Turns the fused convolution on or off (benchmarks compare both); returns the old setting. */
export function setFusedConv(enabled: boolean): boolean {
  const was = convEnabled;
  convEnabled = enabled;
  return was;
}
