import type { OptionSchema, OptionSpec } from '../nn/config-options.js';

/**
 * The options a config may give each optimizer, loss, scheduler and callback: the real options
 * of the class it names (PyTorch's keywords in camelCase), with the classes' own defaults
 * (test/cli/options.test.ts checks them against the classes). Validation and the config
 * reference both read these tables.
 */

const num = (description: string, dflt: number, more: Partial<OptionSpec> = {}): OptionSpec => ({
  type: 'number',
  default: dflt,
  description,
  ...more,
});
const nonNeg = (description: string, dflt: number): OptionSpec =>
  num(description, dflt, { min: 0 });
const flag = (description: string, dflt = false): OptionSpec => ({
  type: 'boolean',
  default: dflt,
  description,
});
const lr = (dflt: number): OptionSpec => num('learning rate', dflt, { min: 0 });
const betas = (a: number, b: number): OptionSpec => ({
  type: 'numbers',
  default: [a, b],
  description: 'coefficients of the running averages of the gradient and its square',
});
const eps = (dflt: number): OptionSpec =>
  num('added to the denominator for stability', dflt, { min: 0 });
const weightDecay = (dflt: number): OptionSpec => nonNeg('weight decay (L2 penalty)', dflt);
const maximize = flag('maximize the objective instead of minimizing it');

/** Optimizer options by optimizer name. */
export const OPTIMIZER_OPTIONS: Readonly<Record<string, OptionSchema>> = {
  SGD: {
    lr: lr(1e-3),
    momentum: nonNeg('momentum factor', 0),
    dampening: num('dampening of the momentum', 0),
    nesterov: flag('Nesterov momentum (needs momentum > 0 and dampening 0)'),
    weightDecay: weightDecay(0),
    maximize,
  },
  Adam: {
    lr: lr(1e-3),
    betas: betas(0.9, 0.999),
    eps: eps(1e-8),
    weightDecay: weightDecay(0),
    amsgrad: flag('use the AMSGrad variant'),
    maximize,
  },
  AdamW: {
    lr: lr(1e-3),
    betas: betas(0.9, 0.999),
    eps: eps(1e-8),
    weightDecay: nonNeg('decoupled weight decay', 0.01),
    amsgrad: flag('use the AMSGrad variant'),
    maximize,
  },
  Adamax: {
    lr: lr(2e-3),
    betas: betas(0.9, 0.999),
    eps: eps(1e-8),
    weightDecay: weightDecay(0),
    maximize,
  },
  RMSprop: {
    lr: lr(1e-2),
    alpha: nonNeg('smoothing constant of the squared-gradient average', 0.99),
    eps: eps(1e-8),
    weightDecay: weightDecay(0),
    momentum: nonNeg('momentum factor', 0),
    centered: flag('normalize by the estimated variance of the gradient'),
    maximize,
  },
  Adagrad: {
    lr: lr(1e-2),
    lrDecay: nonNeg('learning-rate decay per step', 0),
    weightDecay: weightDecay(0),
    initialAccumulatorValue: nonNeg('starting value of the squared-gradient sums', 0),
    eps: eps(1e-10),
    maximize,
  },
  Adadelta: {
    lr: lr(1),
    rho: num('running-average coefficient', 0.9, { min: 0, max: 1 }),
    eps: eps(1e-6),
    weightDecay: weightDecay(0),
    maximize,
  },
  Lion: {
    lr: lr(1e-4),
    betas: betas(0.9, 0.99),
    weightDecay: weightDecay(0),
    maximize,
  },
};

const reduction: OptionSpec = {
  type: 'string',
  values: ['mean', 'sum'],
  default: 'mean',
  description: 'how per-sample losses are combined',
};
const classWeights: OptionSpec = {
  type: 'string',
  values: ['balanced'],
  optional: true,
  description: 'balanced: per-class weights n / (classes * count), fitted on the training split',
};
const ignoreIndex: OptionSpec = {
  type: 'int',
  default: -100,
  description: 'a target value that is ignored and adds no loss',
};

/** Loss options by loss name (`classWeights` is kiln's; the rest are PyTorch's). */
export const LOSS_OPTIONS: Readonly<Record<string, OptionSchema>> = {
  crossEntropy: {
    reduction,
    ignoreIndex,
    labelSmoothing: num('mix this much of the uniform distribution into the targets', 0, {
      min: 0,
      max: 1,
    }),
    classWeights,
  },
  nllLoss: { reduction, ignoreIndex, classWeights },
  multiMarginLoss: {
    reduction,
    p: { type: 'int', default: 1, min: 1, max: 2, description: 'the norm degree, 1 or 2' },
    margin: num('the margin', 1),
    classWeights,
  },
  binaryCrossEntropyWithLogits: {
    reduction,
    posWeight: {
      type: 'number',
      min: 0,
      optional: true,
      description: 'weight of the positive class (e.g. negatives / positives)',
    },
  },
  mseLoss: { reduction },
  l1Loss: { reduction },
  huberLoss: {
    reduction,
    delta: num('where the loss turns from quadratic to linear', 1, { min: 0, exclusiveMin: true }),
  },
  smoothL1Loss: {
    reduction,
    beta: num('where the loss turns from quadratic to linear', 1, { min: 0 }),
  },
};

/** Losses that need class-index targets (the task then defaults to classification). */
export const CLASSIFICATION_LOSSES: readonly string[] = [
  'crossEntropy',
  'nllLoss',
  'multiMarginLoss',
  'binaryCrossEntropyWithLogits',
];

const interval: OptionSpec = {
  type: 'string',
  values: ['epoch', 'batch'],
  default: 'epoch',
  description: 'step the scheduler after every epoch or every batch',
};
const totalIters = (dflt: number, what: string): OptionSpec => ({
  type: 'int',
  min: 0,
  default: dflt,
  description: what,
});
const lrs = (description: string, optional = false): OptionSpec => ({
  type: 'number',
  min: 0,
  description,
  ...(optional ? { optional } : {}),
});
const cycleMomentum = (base: number, max: number): OptionSchema => ({
  cycleMomentum: flag('cycle the momentum inversely to the learning rate', true),
  baseMomentum: num('momentum at the learning-rate peak', base),
  maxMomentum: num('momentum at the learning-rate trough', max),
});

/** Scheduler options by scheduler name (`interval` is kiln's; the rest are PyTorch's). */
export const SCHEDULER_OPTIONS: Readonly<Record<string, OptionSchema>> = {
  StepLR: {
    interval,
    stepSize: { type: 'int', min: 1, description: 'epochs between two decays' },
    gamma: num('decay factor', 0.1),
  },
  MultiStepLR: {
    interval,
    milestones: {
      type: 'ints',
      description: 'epochs at which the learning rate is multiplied by gamma',
    },
    gamma: num('decay factor', 0.1),
  },
  ConstantLR: {
    interval,
    factor: num('factor applied before totalIters', 1 / 3, { min: 0, max: 1 }),
    totalIters: totalIters(5, 'epochs during which the factor applies'),
  },
  LinearLR: {
    interval,
    startFactor: num('factor at the start', 1 / 3, { min: 0, max: 1, exclusiveMin: true }),
    endFactor: num('factor from totalIters on', 1, { min: 0, max: 1 }),
    totalIters: totalIters(5, 'epochs of the linear ramp'),
  },
  ExponentialLR: { interval, gamma: num('decay factor per epoch', 0.1) },
  PolynomialLR: {
    interval,
    totalIters: totalIters(5, 'epochs until the learning rate reaches 0'),
    power: num('power of the polynomial', 1),
  },
  CosineAnnealingLR: {
    interval,
    tMax: { type: 'int', min: 1, description: 'half period, in epochs (or batches)' },
    etaMin: nonNeg('minimum learning rate', 0),
  },
  CosineAnnealingWarmRestarts: {
    interval,
    t0: { type: 'int', min: 1, description: 'epochs of the first cycle' },
    tMult: {
      type: 'int',
      min: 1,
      default: 1,
      description: 'growth of the cycle length after each restart',
    },
    etaMin: nonNeg('minimum learning rate', 0),
  },
  CyclicLR: {
    interval,
    baseLr: lrs('lower learning rate of the cycle'),
    maxLr: lrs('upper learning rate of the cycle'),
    stepSizeUp: { type: 'int', min: 1, default: 2000, description: 'steps of the rising half' },
    stepSizeDown: {
      type: 'int',
      min: 1,
      default: null,
      nullable: true,
      description: 'steps of the falling half (null: stepSizeUp)',
    },
    mode: {
      type: 'string',
      values: ['triangular', 'triangular2', 'exp_range'],
      default: 'triangular',
      description: 'amplitude policy',
    },
    gamma: num("decay of 'exp_range' per step", 1),
    ...cycleMomentum(0.8, 0.9),
  },
  OneCycleLR: {
    interval,
    maxLr: lrs('peak learning rate'),
    totalSteps: {
      type: 'int',
      min: 1,
      optional: true,
      description: 'steps of the whole cycle (or epochs and stepsPerEpoch)',
    },
    epochs: { type: 'int', min: 1, optional: true, description: 'epochs of the cycle' },
    stepsPerEpoch: { type: 'int', min: 1, optional: true, description: 'steps per epoch' },
    pctStart: num('fraction of the cycle spent rising', 0.3, { min: 0, max: 1 }),
    annealStrategy: {
      type: 'string',
      values: ['cos', 'linear'],
      default: 'cos',
      description: 'shape of the annealing',
    },
    ...cycleMomentum(0.85, 0.95),
    divFactor: num('initial lr = maxLr / divFactor', 25, { min: 0, exclusiveMin: true }),
    finalDivFactor: num('final lr = initial lr / finalDivFactor', 1e4, {
      min: 0,
      exclusiveMin: true,
    }),
    threePhase: flag('rise, fall back symmetrically, then anneal'),
  },
};

const monitor = (dflt: string): OptionSpec => ({
  type: 'string',
  default: dflt,
  description: "the logged value to watch ('val_loss', 'loss', 'val_accuracy'...)",
});

/** ReduceLROnPlateau's options (as a callback, with `monitor`). */
const PLATEAU_OPTIONS: OptionSchema = {
  monitor: monitor('val_loss'),
  mode: {
    type: 'string',
    values: ['min', 'max'],
    default: 'min',
    description: "'min' for a loss, 'max' for an accuracy",
  },
  factor: num('factor applied to the learning rate on a plateau', 0.1, {
    min: 0,
    max: 1,
    exclusiveMin: true,
  }),
  patience: {
    type: 'int',
    min: 0,
    default: 10,
    description: 'epochs without improvement before reducing',
  },
  threshold: nonNeg('smallest change that counts as an improvement', 1e-4),
  thresholdMode: {
    type: 'string',
    values: ['rel', 'abs'],
    default: 'rel',
    description: 'threshold relative or absolute',
  },
  cooldown: { type: 'int', min: 0, default: 0, description: 'epochs to wait after a reduction' },
  minLr: nonNeg('lower bound of the learning rate', 0),
  eps: nonNeg('reductions smaller than this are skipped', 1e-8),
};

/** Options of each entry of `callbacks`. */
export const CALLBACK_OPTIONS: Readonly<Record<string, OptionSchema>> = {
  earlyStopping: {
    monitor: monitor('val_loss'),
    mode: {
      type: 'string',
      values: ['min', 'max', 'auto'],
      default: 'auto',
      description: "'auto': max for accuracy-like names",
    },
    patience: {
      type: 'int',
      min: 0,
      default: 0,
      description: 'epochs without improvement before stopping',
    },
    minDelta: nonNeg('smallest change that counts as an improvement', 0),
    restoreBestWeights: flag('load the best epoch weights back when training ends'),
    baseline: {
      type: 'number',
      optional: true,
      description: 'stop unless the value beats this within patience epochs',
    },
  },
  reduceLROnPlateau: PLATEAU_OPTIONS,
};
