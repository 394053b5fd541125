/**
 * `k.F`: functional forms of layers and losses, as `torch.nn.functional`.
 *
 * @example
 * ```ts
 * const loss = k.F.crossEntropy(logits, labels);
 * ```
 */
export type { GeluOptions, SoftplusOptions } from '../ops/activation.js';
export {
  elu,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  softmax,
  softplus,
  tanh,
} from '../ops/activation.js';
export { oneHot, pad } from '../ops/indexing.js';
export type { SizeArg } from './conv-args.js';
export {
  type ConvOptions,
  type ConvTransposeOptions,
  conv1d,
  conv2d,
  convTranspose2d,
} from './functional-conv.js';
export {
  type BatchNormOptions,
  batchNorm,
  type DropoutOptions,
  dropout,
  type EmbeddingOptions,
  embedding,
  layerNorm,
  linear,
} from './functional-layers.js';
export {
  type AvgPoolOptions,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  type MaxPoolOptions,
  maxPool1d,
  maxPool2d,
} from './functional-pool.js';
export {
  type Dropout2dOptions,
  dropout2d,
  type InterpolateOptions,
  interpolate,
} from './functional-spatial.js';
export {
  type ScaledDotProductAttentionOptions,
  scaledDotProductAttention,
} from './layers/attention-functional.js';
export {
  type BCEOptions,
  type BCEWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from './losses/binary.js';
export {
  type CrossEntropyOptions,
  crossEntropy,
  type MultiMarginOptions,
  multiMarginLoss,
  type NLLOptions,
  nllLoss,
} from './losses/classification.js';
export type { Reduction, ReductionOptions } from './losses/common.js';
export {
  type HuberOptions,
  huberLoss,
  l1Loss,
  mseLoss,
  type SmoothL1Options,
  smoothL1Loss,
} from './losses/regression.js';
export {
  type CosineEmbeddingOptions,
  cosineEmbeddingLoss,
  type KLDivOptions,
  klDiv,
} from './losses/similarity.js';
