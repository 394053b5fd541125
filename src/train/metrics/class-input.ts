/**
 * Turns a classification batch (scores and labels) into predicted and true class indices, with
 * the checks every classification metric shares.
 *
 * @module
 */
import { fmtShape, ShapeError, ValueError } from '../../tensor/errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkBatch, checkInt } from './metric.js';

/**
 * How classification metrics read model outputs.
 *
 * @example
 * ```ts
 * new Accuracy({ fromLogits: true }); // binary [N] logits, thresholded at logit(0.5) = 0
 * ```
 */
export interface ClassInputOptions {
  /**
   * Number of classes. Inferred from the output otherwise: `C` for `[N, C]` scores, 2 for binary
   * `[N]` / `[N, 1]` scores. When given, the output must agree.
   */
  numClasses?: number;
  /**
   * Decision threshold on the positive-class probability for binary `[N]` / `[N, 1]` outputs
   * (default 0.5): class 1 when the probability is strictly greater, as Keras and torchmetrics.
   */
  threshold?: number;
  /** Binary outputs are logits rather than probabilities (default false). */
  fromLogits?: boolean;
}

/**
 * One batch as class indices.
 *
 * @example
 * ```ts
 * const { n, pred, truth } = new ClassInput('accuracy').read(logits, labels);
 * ```
 */
export interface ClassBatch {
  /** Number of samples. */
  n: number;
  /** Predicted class of each sample. */
  pred: Int32Array;
  /** True class of each sample. */
  truth: Int32Array;
}

/**
 * Whether an output holds one score per sample (`[N]` or `[N, 1]`), i.e. a binary task.
 *
 * @example
 * ```ts
 * isBinaryOutput(k.zeros([8, 1])); // true
 * ```
 */
export function isBinaryOutput(output: Tensor): boolean {
  return output.ndim === 1 || (output.ndim === 2 && output.shape[1] === 1);
}

/**
 * Reads class-index targets `[N]` or `[N, 1]` (int32, or floats holding integers, or bool),
 * checking each lies in `[0, numClasses)`.
 *
 * @example
 * ```ts
 * readTargets('recall', k.tensor([0, 2], { dtype: 'int32' }), 2, 3); // Int32Array [0, 2]
 * ```
 */
export function readTargets(
  where: string,
  target: Tensor,
  n: number,
  numClasses: number,
): Int32Array {
  if (!(target.ndim === 1 || (target.ndim === 2 && target.shape[1] === 1))) {
    throw new ShapeError(
      `${where}: target must hold one class index per sample, shape [${n}] or [${n},1], got ${fmtShape(target.shape)}`,
    );
  }
  const raw = target.dataSync();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ValueError(
        `${where}: target ${v} at sample ${i} is not a class index in [0, ${numClasses - 1}] (numClasses=${numClasses})`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads the positive-class scores of a binary output `[N]` / `[N, 1]`, and turns them into 0/1
 * predictions with the threshold (compared on the logit scale when `fromLogits`, so that a tiny
 * positive logit is not lost to `sigmoid` rounding to exactly 0.5).
 *
 * @example
 * ```ts
 * binaryPredictions('accuracy', k.tensor([0.2, 0.9]), 0.5, false); // Int32Array [0, 1]
 * ```
 */
export function binaryPredictions(
  where: string,
  output: Tensor,
  threshold: number,
  fromLogits: boolean,
): Int32Array {
  const scores = output.dataSync();
  const cut = fromLogits ? Math.log(threshold / (1 - threshold)) : threshold;
  const pred = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!fromLogits && !(s >= 0 && s <= 1)) {
      throw new ValueError(
        `${where}: binary output ${s} at sample ${i} is not a probability in [0, 1]; pass { fromLogits: true } for logits`,
      );
    }
    pred[i] = s > cut ? 1 : 0;
  }
  return pred;
}

/**
 * The index of the largest score in each row of a contiguous `[n, c]` array; the first one on
 * ties, as `argmax`.
 *
 * @example
 * ```ts
 * rowArgmax(new Float32Array([1, 3, 2, 0]), 2, 2); // Int32Array [1, 0]
 * ```
 */
export function rowArgmax(scores: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = scores[i * c]!;
    for (let j = 1; j < c; j++) {
      const s = scores[i * c + j]!;
      if (s > bestScore) {
        best = j;
        bestScore = s;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Resolved options plus the class count, fixed by the first batch when not declared, so that
 * every later batch is checked against it.
 *
 * @example
 * ```ts
 * const input = new ClassInput('precision', { numClasses: 3 });
 * const { pred, truth } = input.read(logits, labels);
 * ```
 */
export class ClassInput {
  readonly threshold: number;
  readonly fromLogits: boolean;
  private declared: number | undefined;
  private seen: number | undefined;

  constructor(
    readonly where: string,
    options: ClassInputOptions = {},
  ) {
    this.threshold = options.threshold ?? 0.5;
    this.fromLogits = options.fromLogits ?? false;
    if (!(this.threshold >= 0 && this.threshold <= 1)) {
      throw new ValueError(`${where}: threshold must be in [0, 1], got ${this.threshold}`);
    }
    if (options.numClasses !== undefined) {
      this.declared = checkInt(where, 'numClasses', options.numClasses, 2);
    }
  }

  /** The class count: declared, or from the first batch; undefined before it. */
  get numClasses(): number | undefined {
    return this.declared ?? this.seen;
  }

  /**
   * Checks one batch's output against the class count and fixes it if still open; returns it.
   */
  classesOf(output: Tensor): number {
    if (output.ndim === 0 || output.ndim > 2) {
      throw new ShapeError(
        `${this.where}: output must be scores [N, C] or binary scores [N] / [N,1], got ${fmtShape(output.shape)}`,
      );
    }
    const c = isBinaryOutput(output) ? 2 : output.shape[1]!;
    const expected = this.numClasses;
    if (expected !== undefined && c !== expected) {
      const what = this.declared !== undefined ? 'numClasses' : 'the classes of earlier batches';
      throw new ShapeError(
        `${this.where}: output ${fmtShape(output.shape)} has ${c} classes but ${what} = ${expected}`,
      );
    }
    if (c < 2) {
      throw new ShapeError(
        `${this.where}: output ${fmtShape(output.shape)} has ${c} class; need at least 2`,
      );
    }
    this.seen = c;
    return c;
  }

  /** Predicted and true class indices of one batch. */
  read(output: Tensor, target: Tensor): ClassBatch {
    const n = checkBatch(this.where, output, target);
    const c = this.classesOf(output);
    const pred = isBinaryOutput(output)
      ? binaryPredictions(this.where, output, this.threshold, this.fromLogits)
      : rowArgmax(output.dataSync(), n, c);
    return { n, pred, truth: readTargets(this.where, target, n, c) };
  }

  /** Forgets the class count taken from data (a declared one stays). */
  reset(): void {
    this.seen = undefined;
  }
}
