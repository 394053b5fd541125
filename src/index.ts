/**
 * kiln: train neural networks in TypeScript. This module is the only public entry.
 *
 * @example
 * ```ts
 * import * as k from 'kiln';
 * const x = k.randn([4, 3], { requiresGrad: true });
 * x.square().sum().backward();
 * ```
 */
import { registerNativeBackend } from './backend/native/index.js';
import { initDefaultBackend } from './backend/registry.js';
import { arithmetic } from './functional.js';

export type { BackwardOptions } from './autograd/engine.js';
export { enableGrad, isGradEnabled, noGrad } from './autograd/grad-mode.js';
export type { BinaryOp, ReduceOp, UnaryOp, View } from './backend/backend.js';
export type { BackendName } from './backend/registry.js';
export { getBackend, setBackend } from './backend/registry.js';
export { getNumThreads, setNumThreads } from './backend/threads.js';
export * as data from './data/index.js';
export * as distributed from './distributed/index.js';
export * as graph from './graph/index.js';
export * as io from './io/index.js';
export * as F from './nn/functional.js';
export * as nn from './nn/index.js';
export * as onnx from './onnx/index.js';
export type { GeluOptions, SoftplusOptions } from './ops/activation.js';
export type { Operand } from './ops/core.js';
export type { NestedArray, RandomOptions, TensorData, TensorOptions } from './ops/creation.js';
export {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from './ops/creation.js';
export { clamp, maskedFill, where } from './ops/elementwise.js';
export { cat, gather, indexSelect, oneHot, pad, stack } from './ops/indexing.js';
export { bmm, dot, matmul, mm2d as mm } from './ops/linalg.js';
export type { Dims, VarOptions } from './ops/reduce.js';
export { chunk, split } from './ops/views.js';
export * as optim from './optim/index.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export {
  BackendError,
  CheckpointError,
  ConfigError,
  DataError,
  DTypeError,
  KilnError,
  ShapeError,
  ValueError,
} from './tensor/errors.js';
export { Generator, getRngState, manualSeed, setRngState } from './tensor/random.js';
export { bumpStorageVersion, storageVersion } from './tensor/storage-version.js';
export type { NestedNumbers } from './tensor/tensor.js';
export { Tensor } from './tensor/tensor.js';
export * as track from './track/index.js';
export * as train from './train/index.js';
export * as tune from './tune/index.js';

/** `a + b`; either side may be a number. @example `k.add(x, 1)` */
export const add = arithmetic.add;
/** `a - b`; either side may be a number. @example `k.sub(1, x)` */
export const sub = arithmetic.sub;
/** `a * b`; either side may be a number. @example `k.mul(x, 2)` */
export const mul = arithmetic.mul;
/** `a / b` (true division); either side may be a number. @example `k.div(1, x)` */
export const div = arithmetic.div;
/** `a ** b`; either side may be a number. @example `k.pow(x, 2)` */
export const pow = arithmetic.pow;
/** Elementwise maximum; either side may be a number. @example `k.maximum(x, 0)` */
export const maximum = arithmetic.maximum;
/** Elementwise minimum; either side may be a number. @example `k.minimum(x, 1)` */
export const minimum = arithmetic.minimum;

registerNativeBackend();
initDefaultBackend();
