import type { Backend, View } from '../backend.js';
import { jsBackend } from '../js/index.js';
import { registerBackend } from '../registry.js';
import { loadNative, type NativeBinding } from './loader.js';

let binding: NativeBinding | null = null;

const isFloat = (v: View): boolean => v.dtype === 'float32' || v.dtype === 'float64';

/**
 * The native backend's kernels. What the addon does not implement (or a dtype it does not take)
 * runs on the js reference kernels; the registry fills missing primitives the same way.
 */
function nativeBackend(addon: NativeBinding): Partial<Backend> & { name: string } {
  return {
    name: 'native',
    matmul(a, b, out) {
      if (isFloat(out)) addon.matmul(a, b, out);
      else jsBackend.matmul(a, b, out);
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
