/**
 * `k.nn.utils`: gradient clipping, weight penalties and flat parameter vectors, as
 * `torch.nn.utils`.
 *
 * @example
 * ```ts
 * loss.backward();
 * const norm = k.nn.utils.clipGradNorm(model.parameters(), 1.0);
 * ```
 */
import { noGrad } from '../autograd/grad-mode.js';
import { zeros } from '../ops/creation.js';
import { cat } from '../ops/indexing.js';
import { fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A tensor or a list of tensors, as the utilities accept. */
export type Params = Tensor | Iterable<Tensor>;

function list(params: Params): Tensor[] {
  return params instanceof Tensor ? [params] : [...params];
}

/** Options of `clipGradNorm`. */
export interface ClipGradNormOptions {
  /** The p of the p-norm (default 2); `Infinity` for the max norm. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite (default false). */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients in place so that their total norm (the norm of all gradients
 * concatenated) is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`: when the norm is
 * larger, every gradient is multiplied by maxNorm / (norm + 1e-6). Parameters without a
 * gradient are skipped. Returns the total norm before clipping, computed in float64. A NaN norm
 * leaves the gradients unchanged (PyTorch would make them all NaN).
 *
 * @example
 * ```ts
 * const norm = k.nn.utils.clipGradNorm(model.parameters(), 1, { normType: Infinity });
 * ```
 */
export function clipGradNorm(
  params: Params,
  maxNorm: number,
  options: ClipGradNormOptions = {},
): number {
  const normType = options.normType ?? 2;
  if (!(normType > 0))
    throw new ValueError(`clipGradNorm: normType must be positive or Infinity, got ${normType}`);
  const grads = list(params)
    .map((p) => p.peekGrad())
    .filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  let total = 0;
  for (const g of grads) {
    const data = g.dataSync();
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]!);
      if (normType === Infinity) total = a > total || Number.isNaN(a) ? a : total;
      else total += a ** normType;
    }
  }
  if (normType !== Infinity) total **= 1 / normType;
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new ValueError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${total}; set errorIfNonfinite: false to clip anyway`,
    );
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    noGrad(() => {
      for (const g of grads) g.mul_(coef);
    });
  }
  return total;
}

/**
 * Clamps every gradient in place to [-value, value], as `torch.nn.utils.clip_grad_value_`.
 *
 * @example
 * ```ts
 * k.nn.utils.clipGradValue(model.parameters(), 0.5);
 * ```
 */
export function clipGradValue(params: Params, value: number): void {
  if (!(value >= 0))
    throw new ValueError(`clipGradValue: value must be non-negative, got ${value}`);
  noGrad(() => {
    for (const p of list(params)) p.peekGrad()?.clamp_(-value, value);
  });
}

/** A 0-d sum of `f(p).sum()` over the parameters (float32 zero when there are none). */
function penalty(params: Params, f: (p: Tensor) => Tensor): Tensor {
  let total: Tensor | null = null;
  for (const p of list(params)) {
    const term = f(p).sum();
    total = total ? total.add(term) : term;
  }
  return total ?? zeros([]);
}

/**
 * The differentiable sum of |w| over all parameters, for an L1 penalty in a custom loss.
 *
 * @example
 * ```ts
 * const loss = k.F.mseLoss(pred, y).add(k.nn.utils.l1Penalty(model.parameters()).mul(1e-4));
 * ```
 */
export function l1Penalty(params: Params): Tensor {
  return penalty(params, (p) => p.abs());
}

/** The differentiable sum of w^2 over all parameters (an L2 penalty). @example `k.nn.utils.l2Penalty(model.parameters()).mul(1e-4)` */
export function l2Penalty(params: Params): Tensor {
  return penalty(params, (p) => p.square());
}

/**
 * The parameters flattened and concatenated into one 1-D tensor (a copy), as
 * `torch.nn.utils.parameters_to_vector`.
 *
 * @example
 * ```ts
 * const v = k.nn.utils.parametersToVector(model.parameters());
 * ```
 */
export function parametersToVector(params: Params): Tensor {
  const ps = list(params);
  if (ps.length === 0) throw new ValueError('parametersToVector: no parameters given');
  return cat(ps.map((p) => p.reshape([p.numel()])));
}

/**
 * Copies consecutive slices of the 1-D `vec` into the parameters in place (under noGrad), as
 * `torch.nn.utils.vector_to_parameters`.
 *
 * @example
 * ```ts
 * k.nn.utils.vectorToParameters(v, model.parameters());
 * ```
 */
export function vectorToParameters(vec: Tensor, params: Params): void {
  const ps = list(params);
  const needed = ps.reduce((a, p) => a + p.numel(), 0);
  if (vec.ndim !== 1 || vec.shape[0] !== needed) {
    throw new ShapeError(
      `vectorToParameters: expected a 1-D vector of ${needed} elements, got ${fmtShape(vec.shape)}`,
    );
  }
  noGrad(() => {
    let at = 0;
    for (const p of ps) {
      p.copy_(vec.narrow(0, at, p.numel()).reshape(p.shape));
      at += p.numel();
    }
  });
}
