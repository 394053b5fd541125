import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { save } from '../../io/files.js';
import type { HalfDType } from '../../io/half.js';
import { exportModel } from '../../onnx/export.js';
import { zeros } from '../../ops/creation.js';
import { ConfigError } from '../../tensor/errors.js';
import { DECISION_FILE, readDecision } from '../decision.js';
import { ENSEMBLE_FILE, readEnsemble } from '../ensemble.js';
import { loadRun } from '../inference.js';

/** Options of `kiln export`. */
export interface ExportCommandOptions {
  /** 'onnx' (default) or 'safetensors'. */
  format?: string;
  /** Output file (default `<run>/model.onnx` or `<run>/export.safetensors`). */
  out?: string;
  /** ONNX opset (default 17). */
  opset?: number;
  /** safetensors only: write float tensors as 'float16' or 'bfloat16' (default: as they are). */
  dtype?: string;
  log?: (s: string) => void;
}

/**
 * `kiln export <run> --format onnx|safetensors [-o FILE]`: rebuilds a run's model from its
 * folder (final weights, or a checkpoint folder's) and writes it as ONNX, with a dynamic batch
 * axis (input `input` [batch, ...sample shape], output `output`), or its state dict as
 * safetensors. Inputs are the preprocessed features (the fitted preprocessing stays in
 * model.json). Returns the written path.
 *
 * @example
 * ```ts
 * await exportCommand('runs/mnist-mlp', { format: 'onnx', out: 'mlp.onnx' });
 * ```
 */
export async function exportCommand(
  path: string,
  options: ExportCommandOptions = {},
): Promise<string> {
  const format = options.format ?? 'onnx';
  if (format !== 'onnx' && format !== 'safetensors')
    throw new ConfigError(`export: --format must be 'onnx' or 'safetensors', got '${format}'`);
  const run = await loadRun(path);
  const ensemble = existsSync(join(path, 'checkpoint.json')) ? null : readEnsemble(run.runDir);
  if (ensemble) {
    throw new ConfigError(
      `export: ${path} is an ensemble of ${ensemble.members.length} models (${ENSEMBLE_FILE}), which one ONNX graph of this run does not hold; export a member run folder instead (${ensemble.members
        .slice(1)
        .map((m) => join(path, m.dir))
        .join(', ')})`,
    );
  }
  const log = options.log ?? console.log;
  if (format === 'safetensors') {
    const out = options.out ?? join(run.runDir, 'export.safetensors');
    const dtype = options.dtype;
    if (dtype !== undefined && dtype !== 'float16' && dtype !== 'bfloat16' && dtype !== 'float32')
      throw new ConfigError(`export: --dtype must be float32, float16 or bfloat16, got '${dtype}'`);
    const half = dtype === 'float16' || dtype === 'bfloat16' ? { dtype: dtype as HalfDType } : {};
    await save(out, run.model.stateDict(), { format: 'pt' }, half);
    log(`wrote ${out} (${Object.keys(run.model.stateDict()).length} tensors)`);
    noteDecision(path, run.runDir, run.record.task, run.record.numOutputs, log);
    return out;
  }
  if (options.dtype !== undefined)
    throw new ConfigError('export: --dtype applies to --format safetensors only');
  const out = options.out ?? join(run.runDir, 'model.onnx');
  // An Embedding first takes int32 token ids; everything else takes float32 features.
  const dtype = run.record.layers[0]?.type === 'Embedding' ? 'int32' : 'float32';
  const example = zeros([1, ...run.record.sampleShape], { dtype });
  await exportModel(run.model, [example], out, {
    ...(options.opset !== undefined ? { opsetVersion: options.opset } : {}),
    dynamicAxes: { input: { 0: 'batch' }, output: { 0: 'batch' } },
  });
  log(
    `wrote ${out} (ONNX opset ${options.opset ?? 17}, input [batch, ${run.record.sampleShape.join(', ')}])`,
  );
  noteDecision(path, run.runDir, run.record.task, run.record.numOutputs, log);
  return out;
}

/** The exported model outputs class scores; a tuned decision threshold is the user's to apply. */
function noteDecision(
  path: string,
  runDir: string,
  task: string,
  numOutputs: number,
  log: (s: string) => void,
): void {
  if (task !== 'classification' || existsSync(join(path, 'checkpoint.json'))) return;
  const d = readDecision(runDir, numOutputs === 1 ? 2 : numOutputs);
  if (d)
    log(
      `note: this run predicts ${d.positive} when p(${d.positive}) > ${d.threshold} (${DECISION_FILE}), not at the argmax; the exported model outputs the class scores, so apply that threshold to softmax(output)[:, 1]`,
    );
}
