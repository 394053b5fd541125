import { noGrad } from '../autograd/grad-mode.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import type { Module } from '../nn/module.js';
import { zeros } from '../ops/creation.js';
import * as optim from '../optim/index.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ConfigError, fmtShape, ShapeError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SchedulerLike } from '../train/steps.js';
import type { LossFn } from '../train/trainer.js';
import type { LayerSpec, TrainConfig } from './config.js';
import { didYouMean } from './suggest.js';

type Options = Record<string, unknown>;
type LayerFactory = (spec: Options, inputShape: readonly number[]) => Module;

function num(spec: Options, key: string, fallback?: number): number {
  const v = spec[key] ?? fallback;
  if (typeof v !== 'number')
    throw new ConfigError(`'${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function lastDim(shape: readonly number[]): number {
  return shape[shape.length - 1]!;
}

/** Layer constructors by config name; options use PyTorch's argument names in camelCase. */
const LAYERS: Record<string, LayerFactory> = {
  Linear: (s, shape) =>
    new nn.Linear(num(s, 'inFeatures', lastDim(shape)), num(s, 'outFeatures'), {
      bias: s.bias !== false,
    }),
  Flatten: (s) => new nn.Flatten({ startDim: num(s, 'startDim', 1), endDim: num(s, 'endDim', -1) }),
  Identity: () => new nn.Identity(),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: (s) => new nn.LeakyReLU(num(s, 'negativeSlope', 0.01)),
  ELU: (s) => new nn.ELU(num(s, 'alpha', 1)),
  GELU: (s) => new nn.GELU({ approximate: s.approximate === 'tanh' ? 'tanh' : 'none' }),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  Softmax: (s) => new nn.Softmax(num(s, 'dim', -1)),
  LogSoftmax: (s) => new nn.LogSoftmax(num(s, 'dim', -1)),
  Dropout: (s) => new nn.Dropout(num(s, 'p', 0.5)),
  BatchNorm1d: (s, shape) =>
    new nn.BatchNorm1d(num(s, 'numFeatures', shape[1]), batchNormOptions(s)),
  BatchNorm2d: (s, shape) =>
    new nn.BatchNorm2d(num(s, 'numFeatures', shape[1]), batchNormOptions(s)),
  LayerNorm: (s, shape) =>
    new nn.LayerNorm((s.normalizedShape as number | number[]) ?? lastDim(shape), {
      eps: num(s, 'eps', 1e-5),
    }),
  Embedding: (s) => new nn.Embedding(num(s, 'numEmbeddings'), num(s, 'embeddingDim')),
  Conv1d: (s, shape) =>
    new nn.Conv1d(
      num(s, 'inChannels', shape[1]),
      num(s, 'outChannels'),
      size(s, 'kernelSize'),
      convOptions(s),
    ),
  Conv2d: (s, shape) =>
    new nn.Conv2d(
      num(s, 'inChannels', shape[1]),
      num(s, 'outChannels'),
      size(s, 'kernelSize'),
      convOptions(s),
    ),
  MaxPool1d: (s) => new nn.MaxPool1d(size(s, 'kernelSize'), poolOptions(s)),
  MaxPool2d: (s) => new nn.MaxPool2d(size(s, 'kernelSize'), poolOptions(s)),
  AvgPool1d: (s) => new nn.AvgPool1d(size(s, 'kernelSize'), poolOptions(s)),
  AvgPool2d: (s) => new nn.AvgPool2d(size(s, 'kernelSize'), poolOptions(s)),
  AdaptiveAvgPool2d: (s) =>
    new nn.AdaptiveAvgPool2d(size(s, 'outputSize') as number | [number, number]),
  Dropout2d: (s) => new nn.Dropout2d(num(s, 'p', 0.5)),
};

type Size = number | [number, number];

function size(s: Options, key: string): Size {
  const v = s[key];
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok))) return v as Size;
  throw new ConfigError(
    `'${key}' must be a positive integer or a pair of them, got ${JSON.stringify(v)}`,
  );
}

/** Convolution options with PyTorch's names; unknown keys are rejected by the layer's checks. */
function convOptions(s: Options): nn.ConvLayerOptions {
  const out: nn.ConvLayerOptions = {};
  if (s.stride !== undefined) out.stride = size(s, 'stride');
  if (s.padding !== undefined)
    out.padding = s.padding === 'same' || s.padding === 'valid' ? s.padding : size0(s, 'padding');
  if (s.dilation !== undefined) out.dilation = size(s, 'dilation');
  if (s.groups !== undefined) out.groups = num(s, 'groups');
  if (s.bias !== undefined) out.bias = s.bias !== false;
  return out;
}

function size0(s: Options, key: string): Size {
  const v = s[key];
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (ok(v) || (Array.isArray(v) && v.length === 2 && v.every(ok))) return v as Size;
  throw new ConfigError(
    `'${key}' must be a non-negative integer or a pair of them, got ${JSON.stringify(v)}`,
  );
}

function poolOptions(s: Options): { stride?: Size; padding?: Size; ceilMode?: boolean } {
  return {
    ...(s.stride !== undefined ? { stride: size(s, 'stride') } : {}),
    ...(s.padding !== undefined ? { padding: size0(s, 'padding') } : {}),
    ...(s.ceilMode !== undefined ? { ceilMode: s.ceilMode === true } : {}),
  };
}

function batchNormOptions(s: Options): nn.BatchNormLayerOptions {
  return { eps: num(s, 'eps', 1e-5), momentum: num(s, 'momentum', 0.1) };
}

/** Names the `model` list accepts. */
export const LAYER_NAMES = Object.keys(LAYERS);

/**
 * Builds the model layer by layer, running a zero sample through each new layer so that input
 * sizes (Linear's inFeatures, BatchNorm's numFeatures) can be left out of the config.
 */
export function buildModel(
  layers: readonly LayerSpec[],
  sampleShape: readonly number[],
): nn.Sequential {
  const modules: Module[] = [];
  let shape = [2, ...sampleShape];
  noGrad(() => {
    let x: Tensor = zeros(shape);
    layers.forEach((spec, i) => {
      const factory = LAYERS[spec.type];
      if (!factory) {
        throw new ConfigError(
          `model.${i}.type: unknown layer '${spec.type}'${didYouMean(spec.type, LAYER_NAMES)} (known: ${LAYER_NAMES.join(', ')})`,
        );
      }
      let layer: Module;
      try {
        layer = factory(spec, shape);
      } catch (e) {
        throw new ConfigError(`model.${i} (${spec.type}): ${(e as Error).message}`);
      }
      layer.eval();
      try {
        x = layer.forward(x) as Tensor;
      } catch (e) {
        throw new ShapeError(
          `model.${i} (${spec.type}) does not accept input of shape ${fmtShape(shape)} (batch first): ${(e as Error).message}`,
        );
      }
      shape = [...x.shape];
      modules.push(layer);
    });
  });
  const model = new nn.Sequential(...modules);
  model.train();
  return model;
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
  const {
    type,
    classWeights: _classWeights,
    ...options
  } = typeof config === 'string' ? { type: config } : config;
  const entry = LOSSES[type];
  if (!entry) {
    throw new ConfigError(
      `loss: unknown loss '${type}'${didYouMean(type, LOSS_NAMES)} (known: ${LOSS_NAMES.join(', ')})`,
    );
  }
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
  const { type, interval: _interval, ...options } = config;
  const registry = optim.lrScheduler as unknown as Record<string, unknown>;
  const known = Object.keys(registry).filter(
    (k) => /LR$|Plateau$/.test(k) && typeof registry[k] === 'function',
  );
  const Ctor = known.includes(type)
    ? (registry[type] as new (
        o: Optimizer,
        options: Options,
      ) => SchedulerLike)
    : null;
  if (!Ctor)
    throw new ConfigError(
      `schedule.type: unknown scheduler '${type}'${didYouMean(type, known)} (known: ${known.join(', ')})`,
    );
  try {
    return new Ctor(optimizer, options);
  } catch (e) {
    throw new ConfigError(`schedule (${type}): ${(e as Error).message}`);
  }
}
