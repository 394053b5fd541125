/**
 * `k.optim.lrScheduler`: learning-rate schedulers, as `torch.optim.lr_scheduler`. Each wraps an
 * optimizer, sets the initial learning rate at construction and a new one at every `step()`.
 *
 * @example
 * ```ts
 * const sched = new k.optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 50 });
 * for (let epoch = 0; epoch < 50; epoch++) { train(); sched.step(); }
 * ```
 */
export type {
  ConstantLROptions,
  CosineAnnealingLROptions,
  CosineAnnealingWarmRestartsOptions,
  ExponentialLROptions,
  LambdaLROptions,
  LinearLROptions,
  LrLambda,
  MultiStepLROptions,
  PolynomialLROptions,
  StepLROptions,
} from './basic.js';
export {
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiplicativeLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
} from './basic.js';
export type { SequentialLROptions } from './composite.js';
export { ChainedScheduler, SequentialLR } from './composite.js';
export type { CyclicLROptions, OneCycleLROptions } from './cyclic.js';
export { CyclicLR, OneCycleLR } from './cyclic.js';
export type { PlateauStateDict, ReduceLROnPlateauOptions } from './plateau.js';
export { ReduceLROnPlateau } from './plateau.js';
export type { JsonValue, SchedulerOptions, SchedulerStateDict } from './scheduler.js';
export { LRScheduler } from './scheduler.js';
