import type { LayerSpec, TrainConfig } from '../../cli/config.js';
import type { Trial } from '../trial.js';

/**
 * What AutoML knows about a table before searching: the task, its size and which columns need
 * preprocessing choices. Computed once from the training rows.
 *
 * @example
 * ```ts
 * const profile: TableProfile = { task: 'classification', numClasses: 3, rows: 275, categorical: ['island', 'sex'], highCardinality: [], hasMissing: true };
 * ```
 */
export interface TableProfile {
  task: 'classification' | 'regression';
  /** Classes of a classification target (0 for regression). */
  numClasses: number;
  /** Training rows the search sees (before folds). */
  rows: number;
  /** Categorical feature columns. */
  categorical: string[];
  /** Categorical columns with more than {@link HIGH_CARDINALITY} levels. */
  highCardinality: string[];
  /** Whether any feature cell of the training rows is missing. */
  hasMissing: boolean;
  /** Numeric feature columns (their piecewise-linear binning is searched). */
  numeric: number;
}

/**
 * Levels above which a categorical column is high-cardinality (its encoding is searched).
 *
 * @example
 * ```ts
 * levels.length > HIGH_CARDINALITY; // searched: one-hot or dropped
 * ```
 */
export const HIGH_CARDINALITY = 16;

/**
 * One point of the AutoML search space, in `kiln train` config terms, so that the winner is
 * written as a plain YAML config.
 *
 * @example
 * ```ts
 * const c = suggestCandidate(trial, profile);
 * const config = candidateConfig(c, { ...base, epochs: 40 });
 * ```
 */
export interface Candidate {
  /** Levels kept per categorical column before the shared 'other' column. */
  maxCategories: number;
  missingIndicator: boolean;
  /** Quantile bins of the piecewise-linear encoding of numeric columns (0: standardized only). */
  numericBins: number;
  /** High-cardinality columns left out (when the search found they do not pay). */
  drop: string[];
  layers: LayerSpec[];
  optimizer: { type: 'Adam' | 'AdamW'; lr: number; weightDecay: number };
  loss: TrainConfig['loss'];
  /** Cosine annealing over `maxEpochs`, or a constant rate. */
  schedule: 'cosine' | 'constant';
  batchSize: number;
  /** Epochs of a search run; early stopping (on val_loss) usually ends it sooner. */
  maxEpochs: number;
  patience: number;
  standardizeTarget: boolean;
}

/**
 * The first trial, enqueued before TPE starts: a plain two-layer MLP close to the hand-written
 * example configs, so the search never ends worse than a sensible default.
 *
 * @example
 * ```ts
 * await study.enqueueTrial(defaultParams(profile));
 * ```
 */
export function defaultParams(profile: TableProfile): Record<string, string | number | boolean> {
  const params: Record<string, string | number | boolean> = {
    layers: 2,
    width: 64,
    activation: 'ReLU',
    norm: 'none',
    dropout: 0.1,
    optimizer: 'AdamW',
    lr: 3e-3,
    weightDecay: 1e-4,
    schedule: 'cosine',
    batchSize: batchChoices(profile.rows).includes(32) ? 32 : batchChoices(profile.rows)[0]!,
    maxEpochs: 100,
  };
  if (profile.categorical.length) params.maxCategories = 32;
  if (profile.highCardinality.length) params.highCardinality = 'onehot';
  if (profile.hasMissing) params.missingIndicator = true;
  if (profile.numeric) params.numericBins = 0;
  if (profile.task === 'classification') params.classWeights = 'none';
  else params.loss = 'mseLoss';
  return params;
}

/**
 * Batch sizes that give between about 8 and 100 steps per epoch: small batches on a large table
 * cost many slow steps per epoch, which a wall-clock budget cannot afford.
 */
function batchChoices(rows: number): number[] {
  const all = [16, 32, 64, 128, 256];
  const fit = all.filter((b) => b * 8 <= rows && b * 100 >= rows);
  return fit.length ? fit : rows < 128 ? [16] : [256];
}

/**
 * Draws one candidate from the trial. Preprocessing: the one-hot cap, whether high-cardinality
 * columns are one-hot encoded or left out, missing indicators, and a piecewise-linear encoding
 * of numeric columns over quantile bins (an MLP on standardized values alone bends smoothly,
 * where trees step at thresholds; the bins give its first layer the steps). Model: depth, width, activation,
 * normalization, dropout. Training: optimizer, learning rate, weight decay, schedule, batch
 * size, epoch budget; for classification balanced class weights (imbalance), for regression the
 * loss. Conditional parameters are only suggested where they apply.
 *
 * High-cardinality categories: the first Linear layer over a one-hot block is an embedding
 * lookup (each level's column of weights is its embedding, one per hidden unit), so a separate
 * Embedding layer would only add a bottleneck; what matters is how many levels get their own
 * vector (`maxCategories`, rarer ones share 'other') and whether the column is worth its
 * parameters at all (`highCardinality: drop`), and both are searched.
 *
 * @example
 * ```ts
 * const c = suggestCandidate(trial, profile);
 * ```
 */
export function suggestCandidate(trial: Trial, profile: TableProfile): Candidate {
  const maxCategories = profile.categorical.length
    ? trial.suggestCategorical('maxCategories', [8, 16, 32, 64])
    : 32;
  const drop =
    profile.highCardinality.length &&
    trial.suggestCategorical('highCardinality', ['onehot', 'drop']) === 'drop'
      ? [...profile.highCardinality]
      : [];
  const missingIndicator = profile.hasMissing
    ? trial.suggestCategorical('missingIndicator', [true, false])
    : false;
  const numericBins = profile.numeric ? trial.suggestCategorical('numericBins', [0, 8, 16]) : 0;
  const depth = trial.suggestInt('layers', 1, 4);
  const width = trial.suggestInt('width', 16, 512, { log: true });
  const activation = trial.suggestCategorical('activation', ['ReLU', 'GELU']);
  const norm = trial.suggestCategorical('norm', ['none', 'BatchNorm1d', 'LayerNorm']);
  const dropout = trial.suggestFloat('dropout', 0, 0.5);
  const type = trial.suggestCategorical('optimizer', ['Adam', 'AdamW'] as const);
  const lr = trial.suggestFloat('lr', 1e-4, 3e-2, { log: true });
  const weightDecay = trial.suggestFloat('weightDecay', 1e-6, 1e-1, { log: true });
  const schedule = trial.suggestCategorical('schedule', ['cosine', 'constant'] as const);
  const batchSize = trial.suggestCategorical('batchSize', batchChoices(profile.rows));
  const maxEpochs = trial.suggestCategorical('maxEpochs', [50, 100, 200]);
  const layers: LayerSpec[] = [];
  for (let i = 0; i < depth; i++) {
    layers.push({ type: 'Linear', outFeatures: width });
    if (norm !== 'none') layers.push({ type: norm });
    layers.push({ type: activation });
    if (dropout >= 0.01) layers.push({ type: 'Dropout', p: round(dropout) });
  }
  const classification = profile.task === 'classification';
  layers.push({ type: 'Linear', outFeatures: classification ? profile.numClasses : 1 });
  let loss: TrainConfig['loss'];
  if (classification) {
    const weights = trial.suggestCategorical('classWeights', ['none', 'balanced']);
    loss =
      weights === 'balanced' ? { type: 'crossEntropy', classWeights: 'balanced' } : 'crossEntropy';
  } else {
    loss = trial.suggestCategorical('loss', ['mseLoss', 'huberLoss']);
  }
  return {
    maxCategories,
    missingIndicator,
    numericBins,
    drop,
    layers,
    optimizer: { type, lr: round(lr), weightDecay: round(weightDecay) },
    loss,
    schedule,
    batchSize,
    maxEpochs,
    patience: Math.max(10, Math.round(maxEpochs / 5)),
    standardizeTarget: !classification,
  };
}

/** Four significant digits: configs stay readable and the YAML gives back the same numbers. */
function round(x: number): number {
  return Number(x.toPrecision(4));
}

/**
 * BatchNorm1d cannot train on a batch of one sample, so a batch size that leaves one sample in
 * the last batch of some training set grows by one (the config records the size used).
 *
 * @example
 * ```ts
 * safeBatchSize(candidate, [65, 100]); // 32 -> 34 with BatchNorm1d
 * ```
 */
export function safeBatchSize(candidate: Candidate, trainSizes: readonly number[]): number {
  let b = candidate.batchSize;
  if (!candidate.layers.some((l) => l.type === 'BatchNorm1d')) return b;
  while (trainSizes.some((n) => n % b === 1)) b++;
  return b;
}
