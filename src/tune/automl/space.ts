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
  /** High-cardinality columns embedded (`data.embed` and a first `CategoryEmbedding` layer). */
  embed: string[];
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
 * The first trials, enqueued before TPE starts, so that even a budget of a few trials tries
 * sound candidates: a plain two-layer MLP close to the hand-written example configs, and a wider
 * one on tree-like inputs (quantile bins for numbers, high-cardinality columns left out, fewer
 * one-hot levels) with batch normalization and more regularization; a heavily regularized one
 * (LayerNorm, dropout 0.3, weight decay 0.05, constant rate, the largest batch); where the table
 * has high-cardinality columns, also the plain one with them embedded.
 *
 * @example
 * ```ts
 * for (const params of defaultTrials(profile)) await study.enqueueTrial(params);
 * ```
 */
export function defaultTrials(profile: TableProfile): Record<string, string | number | boolean>[] {
  const batches = batchChoices(profile.rows);
  const batch = (b: number) => (batches.includes(b) ? b : batches[0]!);
  const plain: Record<string, string | number | boolean> = {
    layers: 2,
    width: 64,
    activation: 'ReLU',
    norm: 'none',
    dropout: 0.1,
    optimizer: 'AdamW',
    lr: 3e-3,
    weightDecay: 1e-4,
    schedule: 'cosine',
    batchSize: batch(32),
    maxEpochs: 100,
  };
  const wide: Record<string, string | number | boolean> = {
    ...plain,
    width: 128,
    norm: 'BatchNorm1d',
    dropout: 0.2,
    lr: 2e-3,
    weightDecay: 1e-3,
    batchSize: batch(64),
  };
  if (profile.categorical.length) {
    plain.maxCategories = 32;
    wide.maxCategories = 16;
  }
  // A heavily regularized start (the "regularization cocktail" finding of Kadra et al., 2021:
  // plain MLPs on tables do best with strong, combined regularization): dropout 0.3 and weight
  // decay 0.05 with LayerNorm, a constant rate, the largest batch that still gives eight steps
  // an epoch, high-cardinality columns left out. Early, it gives the median pruner a strong
  // reference, so weak candidates are cut after their first epochs.
  const regularized: Record<string, string | number | boolean> = {
    ...plain,
    norm: 'LayerNorm',
    dropout: 0.3,
    lr: 4e-3,
    weightDecay: 5e-2,
    schedule: 'constant',
    batchSize: batches[batches.length - 1]!,
  };
  const trials = [plain, wide, regularized];
  if (profile.highCardinality.length) {
    plain.highCardinality = 'onehot';
    wide.highCardinality = regularized.highCardinality = 'drop';
    // Another start: the plain MLP with every level of the high-cardinality columns embedded.
    trials.push({ ...plain, highCardinality: 'embed', embedDim: 8, maxCategories: 64 });
  }
  if (profile.hasMissing)
    plain.missingIndicator = wide.missingIndicator = regularized.missingIndicator = true;
  if (profile.numeric) {
    plain.numericBins = 0;
    wide.numericBins = 16;
    regularized.numericBins = 0;
  }
  for (const t of trials) {
    if (profile.task === 'classification') t.classWeights = 'none';
    else t.loss = 'mseLoss';
  }
  return trials;
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
 * High-cardinality categories: one-hot (the first Linear layer then learns a vector per level,
 * one entry per hidden unit), left out (`drop`), or embedded (`embed`: one index column each and
 * a `CategoryEmbedding` layer of `embedDim`-sized vectors in front of the MLP, which shares what
 * levels have in common through a small learned space instead of one weight per level and
 * unit); with `maxCategories`, how many levels get their own vector (rarer ones share one).
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
  const high = profile.highCardinality.length
    ? trial.suggestCategorical('highCardinality', ['onehot', 'drop', 'embed'])
    : 'onehot';
  const drop = high === 'drop' ? [...profile.highCardinality] : [];
  const embed = high === 'embed' ? [...profile.highCardinality] : [];
  const embedDim = embed.length ? trial.suggestCategorical('embedDim', [4, 8, 16]) : 0;
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
  // Index columns of up to maxCategories kept levels, plus 0 for missing, rare or unseen ones.
  if (embed.length)
    layers.push({
      type: 'CategoryEmbedding',
      numEmbeddings: embed.map(() => maxCategories + 1),
      embeddingDim: embedDim,
    });
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
    embed,
    layers,
    optimizer: { type, lr: round(lr), weightDecay: round(weightDecay) },
    loss,
    schedule,
    batchSize,
    maxEpochs,
    patience: Math.max(10, Math.round(maxEpochs / 10)),
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
