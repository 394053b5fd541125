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
