/**
 * `k.io`: safetensors files and training checkpoints.
 *
 * @example
 * ```ts
 * await k.io.save('weights.safetensors', model.stateDict());
 * const { tensors } = await k.io.load('weights.safetensors');
 * ```
 */
export { type FileData, writeFileAtomic } from './atomic.js';
export {
  CHECKPOINT_FORMAT_VERSION,
  type CheckpointInfo,
  type CheckpointModel,
  type CheckpointOptimizer,
  type CheckpointScheduler,
  type CheckpointState,
  type LoadCheckpointOptions,
  loadCheckpoint,
  type OptimizerStateDict,
  saveCheckpoint,
} from './checkpoint.js';
export type { SafetensorsDType } from './dtypes.js';
export { load, save } from './files.js';
export type { HalfDType, SaveOptions } from './half.js';
export type { JsonValue } from './json.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  type SafetensorsContents,
} from './safetensors.js';
export { decodeTorch, loadTorch, type TorchRecord, type TorchValue } from './torch-load.js';
