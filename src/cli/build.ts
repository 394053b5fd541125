import { checkOptions, didYouMean } from '../nn/config-options.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import type { Module } from '../nn/module.js';
import { tensor } from '../ops/creation.js';
import * as optim from '../optim/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ConfigError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SchedulerLike } from '../train/steps.js';
import type { LossFn } from '../train/trainer.js';
import type { LayerSpec, TrainConfig } from './config.js';
import { LOSS_OPTIONS, OPTIMIZER_OPTIONS, SCHEDULER_OPTIONS } from './options.js';

type Options = Record<string, unknown>;

/**
 * Builds the model from the config's layer list through the layer registry (`k.nn`), running a
 * zero sample through each new layer so that input sizes (Linear's inFeatures, an LSTM's
 * inputSize) can be left out of the config.
 */
export function buildModel(
  layers: readonly LayerSpec[],
  sampleShape: readonly number[],
): nn.Sequential {
  return nn.buildSequential(layers, { sampleShape, where: 'model' });
}

const OPTIMIZERS: Record<string, (params: Tensor[], o: Options) => Optimizer> = {
  SGD: (p, o) => new optim.SGD(p, o),
  Adam: (p, o) => new optim.Adam(p, o),
  AdamW: (p, o) => new optim.AdamW(p, o),
  Adamax: (p, o) => new optim.Adamax(p, o),
  RMSprop: (p, o) => new optim.RMSprop(p, o),
  Adagrad: (p, o) => new optim.Adagrad(p, o),
  Adadelta: (p, o) => new optim.Adadelta(p, o),
  Lion: (p, o) => new optim.Lion(p, o),
};

/** Builds the optimizer named in the config over the model's parameters. */
export function buildOptimizer(config: TrainConfig['optimizer'], model: Module): Optimizer {
  const { type, ...options } = config;
  const make = OPTIMIZERS[type];
  if (!make) {
    const known = Object.keys(OPTIMIZERS);
    throw new ConfigError(
      `optimizer.type: unknown optimizer '${type}'${didYouMean(type, known)} (known: ${known.join(', ')})`,
    );
  }
  checkOptions(`optimizer (${type})`, options, OPTIMIZER_OPTIONS[type]!, []);
  try {
    return make(model.parameters(), options);
  } catch (e) {
    throw new ConfigError(`optimizer (${type}): ${(e as Error).message}`);
  }
}

const LOSSES: Record<string, { classification: boolean; make: (o: Options) => LossFn }> = {
  crossEntropy: { classification: true, make: (o) => (x, t) => F.crossEntropy(x, t, o) },
  nllLoss: { classification: true, make: (o) => (x, t) => F.nllLoss(x, t, o) },
  multiMarginLoss: { classification: true, make: (o) => (x, t) => F.multiMarginLoss(x, t, o) },
  binaryCrossEntropyWithLogits: {
    classification: true,
    make: (o) => (x, t) =>
      F.binaryCrossEntropyWithLogits(x.reshape([-1]), t.to(x.dtype).reshape([-1]), o),
  },
  mseLoss: { classification: false, make: (o) => (x, t) => F.mseLoss(x.reshape(t.shape), t, o) },
  l1Loss: { classification: false, make: (o) => (x, t) => F.l1Loss(x.reshape(t.shape), t, o) },
  huberLoss: {
    classification: false,
    make: (o) => (x, t) => F.huberLoss(x.reshape(t.shape), t, o),
  },
  smoothL1Loss: {
    classification: false,
    make: (o) => (x, t) => F.smoothL1Loss(x.reshape(t.shape), t, o),
  },
};

/** Loss names the config accepts. */
export const LOSS_NAMES = Object.keys(LOSSES);

/** The loss function and whether it is a classification loss. */
export function buildLoss(
  config: TrainConfig['loss'],
  extra: Options = {},
): { loss: LossFn; classification: boolean } {
  const { type, ...given } = typeof config === 'string' ? { type: config } : config;
  const entry = LOSSES[type];
  if (!entry) {
    throw new ConfigError(
      `loss: unknown loss '${type}'${didYouMean(type, LOSS_NAMES)} (known: ${LOSS_NAMES.join(', ')})`,
    );
  }
  const {
    classWeights: _classWeights,
    posWeight,
    ...options
  } = checkOptions(`loss (${type})`, given, LOSS_OPTIONS[type]!, []);
  // A number in the config; the loss takes a tensor broadcast over the batch.
  if (typeof posWeight === 'number') options.posWeight = tensor([posWeight]);
  return { loss: entry.make({ ...options, ...extra }), classification: entry.classification };
}

/** Losses that take a per-class `weight` (the place `classWeights: balanced` goes). */
const CLASS_WEIGHTED = ['crossEntropy', 'nllLoss', 'multiMarginLoss'];

/**
 * Whether the config asks for class weights fitted to the training labels
 * (`loss: { type: crossEntropy, classWeights: balanced }`), for imbalanced data.
 */
export function wantsBalancedWeights(config: TrainConfig['loss']): boolean {
  if (typeof config === 'string' || config.classWeights === undefined) return false;
  if (config.classWeights !== 'balanced') {
    throw new ConfigError(
      `loss.classWeights: must be "balanced", got ${JSON.stringify(config.classWeights)}`,
    );
  }
  if (!CLASS_WEIGHTED.includes(config.type)) {
    throw new ConfigError(
      `loss.classWeights: ${config.type} takes no class weights (use ${CLASS_WEIGHTED.join(', ')}; binaryCrossEntropyWithLogits has posWeight)`,
    );
  }
  return true;
}

/** Builds the LR scheduler named in the config (an options object with PyTorch's keywords). */
export function buildScheduler(
  config: NonNullable<TrainConfig['schedule']>,
  optimizer: Optimizer,
): SchedulerLike {
  const { type, ...given } = config;
  const schema = SCHEDULER_OPTIONS[type];
  const registry = optim.lrScheduler as unknown as Record<
    string,
    new (
      o: Optimizer,
      options: Options,
    ) => SchedulerLike
  >;
  if (!schema || !registry[type]) {
    const known = Object.keys(SCHEDULER_OPTIONS);
    throw new ConfigError(
      `schedule.type: unknown scheduler '${type}'${didYouMean(type, known)} (known: ${known.join(', ')})`,
    );
  }
  const { interval: _interval, ...options } = checkOptions(`schedule (${type})`, given, schema, []);
  try {
    return new registry[type](optimizer, options);
  } catch (e) {
    throw new ConfigError(`schedule (${type}): ${(e as Error).message}`);
  }
}
