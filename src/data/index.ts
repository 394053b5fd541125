/**
 * `k.data`: datasets, loaders, transforms, file formats and splits.
 *
 * @example
 * ```ts
 * const loader = new k.data.DataLoader(dataset, { batchSize: 32, shuffle: true, seed: 0 });
 * ```
 */
export type {
  AugmentOptions,
  FillOptions,
  GaussianNoiseOptions,
  RandomCropOptions,
  RandomRotationOptions,
} from './augment.js';
export {
  GaussianNoise,
  RandomCrop,
  RandomHorizontalFlip,
  RandomRotation,
  RandomShift,
} from './augment.js';
export type { Collated } from './collate.js';
export { defaultCollate } from './collate.js';
export type { CategoricalEncoding, CsvData, CsvOptions } from './csv.js';
export { parseCsv, readCsv } from './csv.js';
export type { DataLoaderOptions } from './dataloader.js';
export { DataLoader } from './dataloader.js';
export type { BatchDataset, Dataset } from './dataset.js';
export { ConcatDataset, MapDataset, Subset, TensorDataset } from './dataset.js';
export { loadDiabetes, loadIris } from './datasets.js';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed-sampler.js';
export type { IdxData, IdxDType, IdxFile, MnistOptions } from './idx.js';
export { loadMnist, parseIdx, readIdx } from './idx.js';
export type {
  RandomSamplerOptions,
  Sampler,
  WeightedRandomSamplerOptions,
} from './sampler.js';
export { RandomSampler, SequentialSampler, WeightedRandomSampler } from './sampler.js';
export type { MinMaxScaleOptions, ScalerJSON, ScalerOptions } from './scalers.js';
export { MinMaxScale, Standardize } from './scalers.js';
export type {
  Fold,
  KFoldOptions,
  Labels,
  TrainTestSplit,
  TrainTestSplitOptions,
} from './splits.js';
export { classWeights, kFold, randomSplit, stratifiedKFold, trainTestSplit } from './splits.js';
export type {
  ColumnKind,
  FeatureSpec,
  RawTable,
  ReadTableOptions,
  TableOptions,
  TableSpec,
  TableTask,
  TargetSpec,
  WindowOptions,
  Windows,
} from './table/index.js';
export {
  parseTable,
  readTable,
  seasonalNaive,
  slidingWindows,
  TablePreprocessor,
} from './table/index.js';
export type { Transform } from './transforms.js';
export {
  Compose,
  Lambda,
  ModalTransform,
  OneHot,
} from './transforms.js';
