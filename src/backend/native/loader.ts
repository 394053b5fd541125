import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { View } from '../backend.js';
import { type NativeConv, type RawConv, wrapConv } from './conv.js';
import type { RawConvPool } from './conv-pool.js';
import { paramLayoutMismatch, type RawLayouts } from './layouts.js';
import { type NativeLinear, type RawLinear, wrapLinear } from './linear.js';
import { type NativeOps, opTableMismatch, type RawOps, wrapOps } from './ops.js';
import { type NativeWindow, type RawWindow, wrapWindow } from './window.js';

/** The raw exports of `build/Release/kiln_native.node` (see native/src/addon.cc). */
interface RawAddon
  extends RawOps,
    RawWindow,
    Partial<RawConv & RawConvPool>,
    Partial<RawLayouts>,
    Partial<RawLinear> {
  matmul(a: View['storage'], b: View['storage'], out: View['storage'], params: Float64Array): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  cpuFeatures(): string;
  gemmKernel(): string;
  setGemmKernel(name: string): boolean;
}

/** Typed access to the native addon's kernels. Kernels trust their inputs (the op layer checks). */
export interface NativeBinding extends NativeOps, NativeWindow {
  /**
   * out = a @ b (or out += a @ b when `accumulate`), float32 or float64, all three the same
   * dtype. a [...B, M, K], b [...B, K, N] with any strides (stride 0 on broadcast batch dims),
   * out [...B, M, N] with unit column stride. Runs to completion before returning.
   */
  matmul(a: View, b: View, out: View, accumulate?: boolean): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** CPU features the addon detected, e.g. `'avx512f avx2 fma'`. */
  cpuFeatures(): string;
  /** The GEMM kernel set in use: `'avx512f' | 'avx2' | 'generic'`. */
  gemmKernel(): string;
  /** Forces a GEMM kernel set (tests and benchmarks); false if this CPU cannot run it. */
  setGemmKernel(name: string): boolean;
  /** The fused convolution kernels, or null when this addon build lacks them. */
  readonly conv: NativeConv | null;
  /** The Linear over a cached packed weight, or null when this addon build lacks it. */
  readonly linear: NativeLinear | null;
}

export type NativeLoadResult =
  | { readonly binding: NativeBinding; readonly error: null }
  | { readonly binding: null; readonly error: string };

const ADDON = join('build', 'Release', 'kiln_native.node');
const MAX_BATCH_DIMS = 16;
// Layout shared with addon.cc: 13 header slots, then (size, strideA, strideB, strideC) per
// batch dim. One module-level array is reused because calls are synchronous.
const HEADER = 13;
const params = new Float64Array(HEADER + 4 * MAX_BATCH_DIMS);

function findAddon(): string | null {
  // src/backend/native and dist/backend/native both sit three levels below the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

function wrap(raw: RawAddon): NativeBinding {
  return {
    ...wrapOps(raw),
    ...wrapWindow(raw),
    conv: wrapConv(raw),
    linear: wrapLinear(raw),
    matmul(a: View, b: View, out: View, accumulate = false): void {
      const os = out.shape;
      const r = os.length;
      const as = a.shape;
      const bs = b.shape;
      const ra = as.length;
      const rb = bs.length;
      const nbd = r - 2;
      if (nbd > MAX_BATCH_DIMS)
        throw new RangeError(`native matmul: more than ${MAX_BATCH_DIMS} batch dims`);
      params[0] = nbd;
      params[1] = os[r - 2]!;
      params[2] = os[r - 1]!;
      params[3] = as[ra - 1]!;
      params[4] = a.offset;
      params[5] = b.offset;
      params[6] = out.offset;
      params[7] = a.strides[ra - 2]!;
      params[8] = a.strides[ra - 1]!;
      params[9] = b.strides[rb - 2]!;
      params[10] = b.strides[rb - 1]!;
      params[11] = out.strides[r - 2]!;
      params[12] = accumulate ? 1 : 0;
      for (let d = 0; d < nbd; d++) {
        const q = HEADER + 4 * d;
        // Batch dims align from the right; an operand with fewer dims broadcasts (stride 0).
        const da = d - (r - ra);
        const db = d - (r - rb);
        params[q] = os[d]!;
        params[q + 1] = da >= 0 ? a.strides[da]! : 0;
        params[q + 2] = db >= 0 ? b.strides[db]! : 0;
        params[q + 3] = out.strides[d]!;
      }
      raw.matmul(a.storage, b.storage, out.storage, params);
    },
    setNumThreads: (n) => raw.setNumThreads(n),
    getNumThreads: () => raw.getNumThreads(),
    cpuFeatures: () => raw.cpuFeatures(),
    gemmKernel: () => raw.gemmKernel(),
    setGemmKernel: (name) => raw.setGemmKernel(name),
  };
}

let cached: NativeLoadResult | undefined;

/**
 * Loads the native addon once. Never throws: when the addon is disabled (`KILN_NO_NATIVE=1`),
 * was not built, or fails to load, `binding` is null and `error` says why.
 */
export function loadNative(): NativeLoadResult {
  if (cached) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): NativeLoadResult {
  if (process.env.KILN_NO_NATIVE === '1') {
    return { binding: null, error: 'native backend disabled by KILN_NO_NATIVE=1' };
  }
  // KILN_NATIVE_PATH points at another build of the addon (scripts/sanitize.sh's ASan build).
  const path = process.env.KILN_NATIVE_PATH || findAddon();
  if (path === null) {
    return { binding: null, error: `native addon not built (${ADDON} not found; run npm rebuild)` };
  }
  try {
    const raw = createRequire(import.meta.url)(path) as RawAddon;
    // A build/ compiled before the op table or a parameter layout changed would run the wrong
    // kernels or misread their parameters: refuse it.
    const ops = opTableMismatch(raw);
    const layout = ops === null ? paramLayoutMismatch(raw) : null;
    if (ops !== null || layout !== null) {
      const what = ops !== null ? `another op table (${ops})` : `other sources (${layout})`;
      return {
        binding: null,
        error: `native addon ${path} was built from ${what}; rebuild it with npm rebuild`,
      };
    }
    return { binding: wrap(raw), error: null };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { binding: null, error: `native addon failed to load (${path}): ${msg}` };
  }
}
