/**
 * `k.optim`: optimizers and learning-rate schedulers, as `torch.optim`.
 *
 * @example
 * ```ts
 * const opt = new k.optim.Adam(model.parameters(), { lr: 1e-3 });
 * const sched = new k.optim.lrScheduler.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 * ```
 */
export type { AdadeltaOptions, AdagradOptions } from './adagrad.js';
export { Adadelta, Adagrad } from './adagrad.js';
export type { AdamaxOptions, AdamOptions } from './adam.js';
export { Adam, Adamax, AdamW } from './adam.js';
export type { LionOptions } from './lion.js';
export { Lion } from './lion.js';
export * as lrScheduler from './lr-scheduler/index.js';
export type {
  BaseOptions,
  OptimizerStateDict,
  ParamGroup,
  ParamGroupSpec,
  ParamState,
  SavedParamGroup,
  SchedulerFields,
  UpdateArgs,
  ZeroGradOptions,
} from './optimizer.js';
export { Optimizer } from './optimizer.js';
export type { RMSpropOptions } from './rmsprop.js';
export { RMSprop } from './rmsprop.js';
export type { SGDOptions } from './sgd.js';
export { SGD } from './sgd.js';
