import { noGrad } from '../autograd/grad-mode.js';
import { rand } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { linearOp } from '../ops/linalg.js';
import { composite } from '../ops/trace.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * y = x W^T + b, as `torch.nn.functional.linear`: `x` is [..., in], `weight` [out, in], `bias`
 * [out].
 *
 * @example
 * ```ts
 * const y = k.F.linear(x, w, b); // [N, out]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new ShapeError(
      `linear: input ${fmtShape(x.shape)} does not fit weight ${fmtShape(weight.shape)} (expected [..., ${weight.shape[1]}] @ [out, in]^T)`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new ShapeError(
      `linear: bias ${fmtShape(bias.shape)} does not fit weight ${fmtShape(weight.shape)} (expected [${weight.shape[0]}])`,
    );
  }
  return linearOp(x, weight, bias ?? null);
}

/** Options of `dropout`. */
export interface DropoutOptions {
  /** The generator for the mask (the default generator otherwise). */
  generator?: Generator;
}

/**
 * Zeroes each element with probability `p` and scales the rest by 1/(1-p) (inverted dropout),
 * only when `training` (default true); identity otherwise, as `torch.nn.functional.dropout`.
 *
 * @example
 * ```ts
 * const h = k.F.dropout(x, 0.5, model.training);
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1))
    throw new ValueError(`dropout: probability has to be between 0 and 1, but got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, { generator: options.generator, dtype: 'float64' }).lt(1 - p);
  return where(keep, x.mul(1 / (1 - p)), 0);
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Use batch statistics and update the running ones (default false, as PyTorch's functional). */
  training?: boolean;
  /** Weight of the new batch statistics in the running update (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalization over the channel dim 1 of x [N, C, ...], as
 * `torch.nn.functional.batch_norm`. In training (or without running statistics) it normalizes
 * with the batch mean and biased variance and, when given, updates `runningMean`/`runningVar`
 * in place under noGrad with the **unbiased** variance: `r = (1 - momentum) r + momentum s`.
 *
 * @example
 * ```ts
 * const y = k.F.batchNorm(x, rm, rv, gamma, beta, { training: true });
 * ```
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const { training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (x.ndim < 2)
    throw new ShapeError(`batchNorm: expected input [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new ShapeError(
        `batchNorm: ${name} has shape ${fmtShape(t.shape)}, expected [${c}] for input ${fmtShape(x.shape)}`,
      );
    }
  }
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const useBatch = training || !runningMean || !runningVar;
  const normalize = (x: Tensor, m: Tensor, v: Tensor) =>
    normalizeWith(x, m, v, eps, weight ?? null, bias ?? null, bshape);
  let mean: Tensor;
  let variance: Tensor;
  if (useBatch) {
    const count = x.numel() / c;
    if (training && count <= 1) {
      throw new ValueError(
        `batchNorm: expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`,
      );
    }
    mean = x.mean(dims, true);
    variance = x.var(dims, { correction: 0, keepDim: true });
    if (training && runningMean && runningVar) {
      noGrad(() => {
        const unbiased = variance.reshape([c]).mul(count / (count - 1));
        runningMean.mul_(1 - momentum).add_(mean.reshape([c]), momentum);
        runningVar.mul_(1 - momentum).add_(unbiased, momentum);
      });
    }
  } else {
    const inputs = [x, runningMean, runningVar, weight ?? null, bias ?? null];
    return composite('batchNorm', inputs, { eps }, () =>
      normalize(x, runningMean.reshape(bshape), runningVar.reshape(bshape)),
    );
  }
  return normalize(x, mean, variance);
}

/** (x - mean) / sqrt(var + eps), then the affine map: the shared tail of `batchNorm`. */
function normalizeWith(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  eps: number,
  weight: Tensor | null,
  bias: Tensor | null,
  bshape: readonly number[],
): Tensor {
  let y = x.sub(mean).mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight.reshape(bshape));
  if (bias) y = y.add(bias.reshape(bshape));
  return y;
}

/**
 * Layer normalization over the trailing dims `normalizedShape`, as
 * `torch.nn.functional.layer_norm`: biased variance, `eps` default 1e-5, optional elementwise
 * `weight` and `bias` of shape `normalizedShape`.
 *
 * @example
 * ```ts
 * const y = k.F.layerNorm(x, [x.shape.at(-1)!], gamma, beta);
 * ```
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[] | number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const tail = x.shape.slice(x.ndim - ns.length);
  if (ns.length === 0 || ns.length > x.ndim || tail.some((d, i) => d !== ns[i])) {
    throw new ShapeError(
      `layerNorm: input ${fmtShape(x.shape)} does not end with normalizedShape ${fmtShape(ns)}`,
    );
  }
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t && (t.ndim !== ns.length || t.shape.some((d, i) => d !== ns[i]))) {
      throw new ShapeError(
        `layerNorm: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(ns)}`,
      );
    }
  }
  const dims = ns.map((_, i) => x.ndim - ns.length + i);
  return composite(
    'layerNorm',
    [x, weight ?? null, bias ?? null],
    { axis: -ns.length, eps },
    () => {
      const mean = x.mean(dims, true);
      const variance = x.var(dims, { correction: 0, keepDim: true });
      let y = x.sub(mean).mul(variance.add(eps).rsqrt());
      if (weight) y = y.mul(weight);
      if (bias) y = y.add(bias);
      return y;
    },
  );
}

/** Options of `embedding`. @example `k.F.embedding(idx, table, { paddingIdx: -1 })` */
export interface EmbeddingOptions {
  /** Entries equal to this index get no gradient (negative counts from the end). */
  paddingIdx?: number | null;
}

/**
 * Looks up rows of `weight` [num, dim] at the int32 indices `idx` (any shape), giving
 * [...idx.shape, dim], as `torch.nn.functional.embedding`. Rows looked up at `paddingIdx` pass
 * no gradient to the weight.
 *
 * @example
 * ```ts
 * const e = k.F.embedding(k.tensor([[1, 0]], { dtype: 'int32' }), table, { paddingIdx: 0 });
 * ```
 */
export function embedding(idx: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (idx.dtype !== 'int32')
    throw new DTypeError(`embedding: indices must be an int32 tensor, got ${idx.dtype}`);
  if (weight.ndim !== 2)
    throw new ShapeError(`embedding: weight must be 2-D, got ${fmtShape(weight.shape)}`);
  return composite('embedding', [idx, weight], {}, () => lookup(idx, weight, options));
}

function lookup(idx: Tensor, weight: Tensor, options: EmbeddingOptions): Tensor {
  const num = weight.shape[0]!;
  const flat = idx.reshape([idx.numel()]);
  const data = flat.dataSync();
  for (let i = 0; i < data.length; i++) {
    if (data[i]! < 0 || data[i]! >= num)
      throw new ValueError(
        `embedding: index ${data[i]} out of range for an embedding of ${num} rows (indices ${fmtShape(idx.shape)})`,
      );
  }
  let rows = weight.indexSelect(0, flat);
  let pad = options.paddingIdx;
  if (pad !== undefined && pad !== null) {
    if (pad < 0) pad += num;
    if (!Number.isInteger(pad) || pad < 0 || pad >= num)
      throw new ValueError(
        `embedding: paddingIdx ${options.paddingIdx} out of range for ${num} rows`,
      );
    // The padding rows keep their value but take the detached branch, so no gradient reaches them.
    rows = where(flat.eq(pad).unsqueeze(1), rows.detach(), rows);
  }
  return rows.reshape([...idx.shape, weight.shape[1]!]);
}
