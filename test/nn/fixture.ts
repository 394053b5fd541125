/**
 * Reads test/fixtures/torch-nn.json (written by make_nn_refs.py with PyTorch 1.13) and turns its
 * encoded tensors into kiln tensors.
 *
 * @example
 * ```ts
 * const ref = loadNnRefs();
 * const x = fromRef(ref.layers.linear.x);
 * ```
 */
import { readFileSync } from 'node:fs';
import type { Tensor } from '../../src/index.js';
import * as k from '../../src/index.js';

/** A tensor as the fixture stores it. */
export interface RefTensor {
  shape: number[];
  data: number[];
}

/** One loss case: inputs by role, options (tensors encoded), PyTorch's loss and input gradient. */
export interface LossCase {
  name: string;
  label: string;
  inputs: Record<string, RefTensor>;
  options: Record<string, RefTensor | number | string | boolean>;
  expected: RefTensor;
  grad?: RefTensor;
}

/** The fixture file's content. */
export interface NnRefs {
  torch: string;
  losses: LossCase[];
  // Layer records differ per layer; tests read the fields they know.
  layers: Record<string, unknown>;
  stateKeys: Record<string, string[]>;
  gains: Record<string, number>;
  clipGradNorm: {
    normType: number | 'inf';
    maxNorm: number;
    grads: RefTensor[];
    total: number;
    clipped: RefTensor[];
  }[];
}

let cached: NnRefs | undefined;

/** The parsed fixture (read once). */
export function loadNnRefs(): NnRefs {
  cached ??= JSON.parse(
    readFileSync(new URL('../fixtures/torch-nn.json', import.meta.url), 'utf8'),
  ) as NnRefs;
  return cached;
}

/** Whether a value is an encoded tensor. */
export function isRef(v: unknown): v is RefTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && 'data' in v;
}

/** An encoded tensor as a kiln tensor (float64 unless `dtype`). */
export function fromRef(ref: RefTensor, dtype: k.DType = 'float64'): Tensor {
  return k.tensor(ref.data, { dtype, shape: ref.shape });
}
