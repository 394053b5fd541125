/**
 * `k.nn`: modules, layers, initializers and utilities, as `torch.nn`.
 *
 * @example
 * ```ts
 * const model = new k.nn.Sequential(new k.nn.Linear(4, 8), new k.nn.ReLU(), new k.nn.Linear(8, 3));
 * ```
 */

export {
  checkOptions,
  didYouMean,
  type OptionSchema,
  type OptionSpec,
  type OptionType,
  type OptionValue,
} from './config-options.js';
export * as init from './init.js';
export {
  ELU,
  GELU,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  Sigmoid,
  Softmax,
  Tanh,
} from './layers/activation.js';
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
} from './layers/attention.js';
export {
  Conv1d,
  Conv2d,
  type ConvLayerOptions,
  ConvTranspose2d,
  type ConvTransposeLayerOptions,
} from './layers/conv.js';
export { Dropout } from './layers/dropout.js';
export {
  CategoryEmbedding,
  Embedding,
  type EmbeddingLayerOptions,
} from './layers/embedding.js';
export { Flatten, Identity, Linear, type LinearOptions } from './layers/linear.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormLayerOptions,
  LayerNorm,
  type LayerNormOptions,
} from './layers/normalization.js';
export {
  AdaptiveAvgPool2d,
  AvgPool1d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
} from './layers/pooling.js';
export { PositionalEncoding, type PositionalEncodingOptions } from './layers/positional.js';
export { GRU, LSTM, RNN, type RNNOptions } from './layers/recurrent.js';
export {
  GRUCell,
  LSTMCell,
  RNNCell,
  type RNNCellOptions,
  type RnnNonlinearity,
} from './layers/recurrent-cells.js';
export {
  RecurrentBlock,
  type RecurrentOutput,
  SelfAttention,
  SequencePool,
  type SequencePoolMode,
} from './layers/sequence.js';
export { Sequential } from './layers/sequential.js';
export { Dropout2d, Upsample } from './layers/spatial.js';
export {
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
} from './layers/transformer.js';
export type { Reduction, ReductionOptions } from './losses/common.js';
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  MSELoss,
  MultiMarginLoss,
  NLLLoss,
  SmoothL1Loss,
} from './losses/modules.js';
export { type LoadStateDictOptions, type LoadStateDictResult, Module } from './module.js';
export * as parallel from './parallel.js';
export { Buffer, type BufferOptions, Parameter } from './parameter.js';
export {
  type BuildSequentialOptions,
  buildSequential,
  checkLayerConfig,
  describeLayers,
  type FromConfigOptions,
  layerFromConfig,
  layerToConfig,
  layerTypes,
  registerLayer,
} from './registry.js';
export {
  defineLayer,
  type LayerConfig,
  type LayerEntry,
  type LayerSpec,
} from './registry-define.js';
export type { ModelSummary, SummaryOptions, SummaryRow } from './summary.js';
export * as utils from './utils.js';
