import { backend } from '../backend/registry.js';
import { ValueError } from '../tensor/errors.js';
import { normalizeDim } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { record, requireFloat, uninit } from './core.js';
import { cast, unary } from './elementwise.js';

/**
 * Rectified linear unit, max(x, 0).
 *
 * @example
 * ```ts
 * k.F.relu(k.tensor([-1, 2])); // [0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  return unary('relu', x);
}

/**
 * x for x > 0, else `negativeSlope * x` (default slope 0.01, as PyTorch).
 *
 * @example
 * ```ts
 * k.F.leakyRelu(k.tensor([-1, 2]), 0.1); // [-0.1, 2]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return unary('leakyRelu', x, negativeSlope);
}

/**
 * Exponential linear unit: x for x > 0, else alpha * (exp(x) - 1).
 *
 * @example
 * ```ts
 * k.F.elu(k.tensor([-1, 2])); // [-0.632, 2]
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, alpha);
}

/** Options of `gelu`. */
export interface GeluOptions {
  /** 'none' (default): exact, with erf. 'tanh': the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * Gaussian error linear unit, exact (erf) by default, as `torch.nn.functional.gelu`.
 *
 * @example
 * ```ts
 * k.F.gelu(x, { approximate: 'tanh' });
 * ```
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got '${approximate}'`);
  }
  return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}

/** Options of `softplus`. */
export interface SoftplusOptions {
  beta?: number;
  /** Above `beta * x > threshold` the function is linear (default 20, as PyTorch). */
  threshold?: number;
}

/**
 * log(1 + exp(beta x)) / beta, linear above the threshold for stability.
 *
 * @example
 * ```ts
 * k.F.softplus(x, { beta: 2 });
 * ```
 */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  return unary('softplus', x, options.beta ?? 1, options.threshold ?? 20);
}

/**
 * Logistic sigmoid.
 *
 * @example
 * ```ts
 * k.F.sigmoid(k.tensor([0])); // [0.5]
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x);
}

/**
 * Hyperbolic tangent.
 *
 * @example
 * ```ts
 * k.F.tanh(x);
 * ```
 */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x);
}

function softmaxLike(x: Tensor, dim: number, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  if (typeof dim !== 'number') throw new ValueError(`${op}: dim is required (got ${dim})`);
  const input = x.dtype === 'float32' || x.dtype === 'float64' ? x : cast(x, 'float32');
  requireFloat(input, op);
  const out = uninit(input.shape, input.dtype);
  if (input.ndim === 0) {
    out.storage[0] = log ? 0 : 1;
  } else {
    backend().softmax(input, normalizeDim(dim, input.ndim, op), log, out);
  }
  const d = input.ndim === 0 ? 0 : normalizeDim(dim, input.ndim, op);
  return record(op, out, [input], [out], { dim: d });
}

/**
 * Softmax along `dim`, computed stably (the max is subtracted).
 *
 * @example
 * ```ts
 * k.F.softmax(logits, 1); // rows sum to 1
 * ```
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxLike(x, dim, false);
}

/**
 * log(softmax(x)) along `dim`, computed stably in one pass.
 *
 * @example
 * ```ts
 * k.F.logSoftmax(logits, -1);
 * ```
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxLike(x, dim, true);
}
