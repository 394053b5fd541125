import { createHash } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../tensor/errors.js';
import { getRngState, setRngState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { ioError, writeFileAtomic } from './atomic.js';
import {
  commitStaging,
  FORMAT_NAME,
  MANIFEST,
  prepareStaging,
  resolveCheckpointDir,
} from './folder.js';
import { type JsonValue, reviveJson, toJsonSafe } from './json.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { kilnVersion } from './version.js';

/** The checkpoint layout version this kiln writes and the newest it reads. @example `k.io.CHECKPOINT_FORMAT_VERSION; // 1` */
export const CHECKPOINT_FORMAT_VERSION = 1;
const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/** What a checkpoint needs from a model: `nn.Module` satisfies it. @example `const m: k.io.CheckpointModel = new k.nn.Linear(4, 2);` */
export interface CheckpointModel {
  stateDict(): Record<string, Tensor>;
  loadStateDict(sd: Record<string, Tensor>, options?: { strict?: boolean }): void;
}

/**
 * An optimizer's state, as `torch.optim.Optimizer.state_dict()`: per-parameter state by index.
 * @example `const sd: k.io.OptimizerStateDict = { state: { 0: { step: 1 } }, paramGroups: [{ lr: 0.1, params: [0] }] };`
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: Record<string, unknown>[];
}

/** What a checkpoint needs from an optimizer: `optim.Optimizer` satisfies it. @example `const o: k.io.CheckpointOptimizer = new k.optim.SGD(params, { lr: 0.1 });` */
export interface CheckpointOptimizer {
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
}

/** What a checkpoint needs from an LR scheduler; its state must be JSON-safe data. @example `const s: k.io.CheckpointScheduler = new k.optim.lrScheduler.StepLR(opt, { stepSize: 10 });` */
export interface CheckpointScheduler {
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}

/**
 * Everything `saveCheckpoint` records. JSON fields take plain data (non-finite numbers allowed).
 * @example `const s: k.io.CheckpointState = { model, optimizer, epoch: 3, metrics: { loss: 0.1 } };`
 */
export interface CheckpointState {
  model: CheckpointModel;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  epoch?: number;
  step?: number;
  metrics?: Record<string, unknown>;
  config?: unknown;
  extra?: unknown;
}

/** Objects to restore in place, and how. @example `const o: k.io.LoadCheckpointOptions = { model, strict: false };` */
export interface LoadCheckpointOptions {
  model?: CheckpointModel;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** Passed to `model.loadStateDict`: missing or unexpected keys are errors. Default true. */
  strict?: boolean;
  /** Restore the global RNG state saved with the checkpoint. Default true. */
  restoreRng?: boolean;
}

/** The bookkeeping returned by `loadCheckpoint`. @example `const { epoch, step }: k.io.CheckpointInfo = await k.io.loadCheckpoint(dir);` */
export interface CheckpointInfo {
  epoch: number | undefined;
  step: number | undefined;
  metrics: Record<string, unknown> | undefined;
  config: unknown;
  extra: unknown;
  /** ISO time the checkpoint was written. */
  created: string;
  /** The kiln version that wrote it. */
  kilnVersion: string;
  /** The folder actually read (differs from the request only after a crash mid-save). */
  path: string;
}

interface FileEntry {
  bytes: number;
  sha256: string;
}

interface Manifest {
  format: string;
  formatVersion: number;
  kilnVersion: string;
  created: string;
  epoch?: number;
  step?: number;
  rngState: number[];
  files: Record<string, FileEntry>;
  optimizer?: { paramGroups: JsonValue[]; state: Record<string, Record<string, JsonValue>> };
  scheduler?: JsonValue;
  metrics?: JsonValue;
  config?: JsonValue;
  extra?: JsonValue;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkCount(value: number | undefined, field: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new CheckpointError(
      `saveCheckpoint: ${field} must be a non-negative integer, got ${value}`,
    );
  }
}

/** Splits optimizer state into tensors (for safetensors) and scalars (for JSON). */
function splitOptimizer(sd: OptimizerStateDict): {
  tensors: Record<string, Tensor>;
  json: NonNullable<Manifest['optimizer']>;
} {
  if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.paramGroups)) {
    throw new CheckpointError(
      'saveCheckpoint: optimizer.stateDict() must return { state, paramGroups: [] }',
    );
  }
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, JsonValue>> = {};
  for (const [index, entry] of Object.entries(sd.state ?? {})) {
    if (!/^(0|[1-9]\d*)$/.test(index)) {
      throw new CheckpointError(
        `saveCheckpoint: optimizer state key ${JSON.stringify(index)} is not a parameter index`,
      );
    }
    const row: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(entry)) {
      if (value instanceof Tensor) tensors[`state.${index}.${name}`] = value;
      else row[name] = toJsonSafe(value, `optimizer.state.${index}.${name}`);
    }
    scalars[index] = row;
  }
  const paramGroups = sd.paramGroups.map((g, i) => toJsonSafe(g, `optimizer.paramGroups[${i}]`));
  return { tensors, json: { paramGroups, state: scalars } };
}

/**
 * Saves a training checkpoint as a folder: `model.safetensors` (keys = `model.stateDict()` names,
 * loadable by PyTorch's `safetensors.torch.load_file`), `optimizer.safetensors` (tensor state keyed
 * `state.<paramIndex>.<name>`) and `checkpoint.json` (format version, kiln version, time, epoch,
 * step, RNG state, optimizer param groups and scalar state, scheduler state, metrics, config,
 * extra, and each file's size and SHA-256). All state is captured synchronously when called. The
 * folder is replaced as a unit: a crash leaves the old or the new checkpoint, never a mix. An
 * existing `dir` that is not a kiln checkpoint is never replaced.
 *
 * @example
 * ```ts
 * await k.io.saveCheckpoint('runs/mlp/last', { model, optimizer, scheduler, epoch, step });
 * ```
 */
export async function saveCheckpoint(dir: string, state: CheckpointState): Promise<void> {
  if (!state?.model || typeof state.model.stateDict !== 'function') {
    throw new CheckpointError('saveCheckpoint: state.model with a stateDict() method is required');
  }
  checkCount(state.epoch, 'epoch');
  checkCount(state.step, 'step');
  // Snapshot everything before the first await so that training can go on during the writes.
  const files: Record<string, Uint8Array> = {
    [MODEL_FILE]: encodeSafetensors(state.model.stateDict()),
  };
  const manifest: Manifest = {
    format: FORMAT_NAME,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    kilnVersion: kilnVersion(),
    created: new Date().toISOString(),
    epoch: state.epoch,
    step: state.step,
    rngState: getRngState(),
    files: {},
  };
  if (state.optimizer) {
    const { tensors, json } = splitOptimizer(state.optimizer.stateDict());
    files[OPTIMIZER_FILE] = encodeSafetensors(tensors);
    manifest.optimizer = json;
  }
  if (state.scheduler) manifest.scheduler = toJsonSafe(state.scheduler.stateDict(), 'scheduler');
  if (state.metrics !== undefined) manifest.metrics = toJsonSafe(state.metrics, 'metrics');
  if (state.config !== undefined) manifest.config = toJsonSafe(state.config, 'config');
  if (state.extra !== undefined) manifest.extra = toJsonSafe(state.extra, 'extra');
  for (const [name, bytes] of Object.entries(files)) {
    manifest.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;

  const staging = await prepareStaging(dir);
  try {
    for (const [name, bytes] of Object.entries(files))
      await writeFileAtomic(join(staging, name), bytes);
    // Written last: its presence is what marks the staging folder complete for crash recovery.
    await writeFileAtomic(join(staging, MANIFEST), manifestText);
    await commitStaging(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

async function readManifest(folder: string, dir: string): Promise<Manifest> {
  const path = join(folder, MANIFEST);
  let text: string;
  try {
    if ((await stat(path)).size > MAX_MANIFEST_BYTES) {
      throw new CheckpointError(
        `loadCheckpoint: ${path} is larger than ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw ioError(`loadCheckpoint: ${dir} has no readable ${MANIFEST} (${path})`, e);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text, reviveJson) as Manifest;
  } catch (e) {
    throw ioError(`loadCheckpoint: ${path} is not valid JSON`, e);
  }
  if (typeof m !== 'object' || m === null || m.format !== FORMAT_NAME) {
    throw new CheckpointError(`loadCheckpoint: ${path}: field "format" is not "${FORMAT_NAME}"`);
  }
  if (
    !Number.isSafeInteger(m.formatVersion) ||
    m.formatVersion < 1 ||
    m.formatVersion > CHECKPOINT_FORMAT_VERSION
  ) {
    throw new CheckpointError(
      `loadCheckpoint: ${path}: version mismatch: field "formatVersion" is ${JSON.stringify(m.formatVersion)} (written by kiln ${m.kilnVersion}); this kiln (${kilnVersion()}) reads formats 1..${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
  if (typeof m.files !== 'object' || m.files === null) {
    throw new CheckpointError(`loadCheckpoint: ${path}: field "files" is missing`);
  }
  return m;
}

async function readTensors(
  folder: string,
  name: string,
  manifest: Manifest,
): Promise<Record<string, Tensor>> {
  const path = join(folder, name);
  const entry = manifest.files[name];
  if (!entry)
    throw new CheckpointError(`loadCheckpoint: ${join(folder, MANIFEST)} lists no ${name}`);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError(`loadCheckpoint: cannot read ${path}`, e);
  }
  if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256) {
    throw new CheckpointError(
      `loadCheckpoint: ${path} is corrupt: ${bytes.length} bytes, expected ${entry.bytes} with the SHA-256 recorded in ${MANIFEST}`,
    );
  }
  return decodeSafetensors(bytes, { source: path }).tensors;
}

function assembleOptimizer(
  tensors: Record<string, Tensor>,
  manifest: Manifest,
  path: string,
): OptimizerStateDict {
  const saved = manifest.optimizer!;
  const state: Record<number, Record<string, Tensor | number>> = {};
  for (const [index, row] of Object.entries(saved.state ?? {}))
    state[Number(index)] = { ...(row as Record<string, number>) };
  for (const [key, t] of Object.entries(tensors)) {
    const match = /^state\.(0|[1-9]\d*)\.(.+)$/s.exec(key);
    if (!match)
      throw new CheckpointError(
        `loadCheckpoint: ${path}: unexpected tensor ${JSON.stringify(key)}`,
      );
    const index = Number(match[1]);
    state[index] ??= {};
    state[index][match[2]!] = t;
  }
  return { state, paramGroups: saved.paramGroups as Record<string, unknown>[] };
}

function restore(what: string, path: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw ioError(`loadCheckpoint: the ${what} state in ${path} does not fit the ${what}`, e);
  }
}

/**
 * Restores a checkpoint written by `saveCheckpoint` into the given objects, in place: the model
 * through `loadStateDict(sd, { strict })`, the optimizer and scheduler through their
 * `loadStateDict`, and the global RNG state. All files are read and verified (sizes, SHA-256,
 * safetensors structure) before anything is changed. Returns epoch, step, metrics, config, extra.
 * Errors are `CheckpointError`s naming the folder or file: missing, corrupt, a newer format, or
 * state that does not fit (the original error is kept as `cause`).
 *
 * @example
 * ```ts
 * const { epoch } = await k.io.loadCheckpoint('runs/mlp/last', { model, optimizer, scheduler });
 * ```
 */
export async function loadCheckpoint(
  dir: string,
  options: LoadCheckpointOptions = {},
): Promise<CheckpointInfo> {
  const folder = await resolveCheckpointDir(dir);
  const manifest = await readManifest(folder, dir);
  const manifestPath = join(folder, MANIFEST);
  const modelState = options.model ? await readTensors(folder, MODEL_FILE, manifest) : undefined;
  let optimizerState: OptimizerStateDict | undefined;
  if (options.optimizer) {
    if (!manifest.optimizer)
      throw new CheckpointError(`loadCheckpoint: ${dir} holds no optimizer state`);
    const tensors = await readTensors(folder, OPTIMIZER_FILE, manifest);
    optimizerState = assembleOptimizer(tensors, manifest, join(folder, OPTIMIZER_FILE));
  }
  if (
    options.scheduler &&
    (typeof manifest.scheduler !== 'object' || manifest.scheduler === null)
  ) {
    throw new CheckpointError(`loadCheckpoint: ${dir} holds no scheduler state`);
  }
  const strict = options.strict ?? true;
  if (options.model && modelState) {
    const model = options.model;
    restore('model', join(folder, MODEL_FILE), () => model.loadStateDict(modelState, { strict }));
  }
  if (options.optimizer && optimizerState) {
    const opt = options.optimizer;
    const sd = optimizerState;
    restore('optimizer', join(folder, OPTIMIZER_FILE), () => opt.loadStateDict(sd));
  }
  if (options.scheduler) {
    const sched = options.scheduler;
    restore('scheduler', manifestPath, () =>
      sched.loadStateDict(manifest.scheduler as Record<string, unknown>),
    );
  }
  if (options.restoreRng ?? true)
    restore('RNG', manifestPath, () => setRngState(manifest.rngState));
  return {
    epoch: manifest.epoch,
    step: manifest.step,
    metrics: manifest.metrics as Record<string, unknown> | undefined,
    config: manifest.config,
    extra: manifest.extra,
    created: manifest.created,
    kilnVersion: manifest.kilnVersion,
    path: folder,
  };
}
