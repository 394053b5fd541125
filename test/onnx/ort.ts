/**
 * Test helpers for ONNX export: export a model to a temp file, run it in onnxruntime-node on
 * given inputs, compare with kiln's forward, and run `onnx.checker` when Debian's python3-onnx
 * is importable.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import * as k from '../../src/index.js';
import type { ExportOptions } from '../../src/onnx/export.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-onnx-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** A fresh path in this process's temp folder. */
export function tempPath(name: string): string {
  return join(dir, `${counter++}-${name}`);
}

function toOrt(t: k.Tensor): ort.Tensor {
  const data = t.dataSync();
  if (t.dtype === 'float32') return new ort.Tensor('float32', data as Float32Array, t.shape);
  if (t.dtype === 'float64') return new ort.Tensor('float64', data as Float64Array, t.shape);
  if (t.dtype === 'int32') return new ort.Tensor('int32', data as Int32Array, t.shape);
  return new ort.Tensor('bool', Uint8Array.from(data), t.shape);
}

/** Runs an ONNX file in onnxruntime on kiln tensors; returns the outputs in graph order. */
export async function runOrt(path: string, inputs: readonly k.Tensor[]): Promise<k.Tensor[]> {
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'disabled' });
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    feeds[name] = toOrt(inputs[i]!);
  });
  const results = await session.run(feeds);
  const outs = session.outputNames.map((name) => {
    const r = results[name]!;
    const data = r.data as Float32Array | Float64Array | Int32Array | Uint8Array;
    const dtype =
      r.type === 'float64'
        ? 'float64'
        : r.type === 'int32'
          ? 'int32'
          : r.type === 'bool'
            ? 'bool'
            : 'float32';
    return k.tensor(data as Float32Array, { shape: [...r.dims], dtype });
  });
  await session.release();
  return outs;
}

let checker: boolean | null = null;

/** Whether `python3 -c 'import onnx'` works (Debian's python3-onnx). */
export function hasChecker(): boolean {
  if (checker === null) {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx'], { encoding: 'utf8' });
    checker = r.status === 0;
    if (!checker) console.log('# onnx.checker skipped: python3-onnx is not importable');
  }
  return checker;
}

/** Runs onnx.checker.check_model (full check) on a file; throws with its message on failure. */
export function checkModel(path: string): void {
  if (!hasChecker()) return;
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import onnx,sys; onnx.checker.check_model(sys.argv[1], full_check=True)', path],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `onnx.checker rejected ${path}: ${r.stderr}`);
}

/** The outputs of a forward's result (tensors, nested arrays of them), flattened. */
function flatten(result: unknown, out: k.Tensor[] = []): k.Tensor[] {
  if (result instanceof k.Tensor) out.push(result);
  else if (Array.isArray(result)) for (const r of result) flatten(r, out);
  return out;
}

/** Largest |a - b| relative to max(1, |b|), NaN-aware. */
export function maxRelDiff(a: k.Tensor, b: k.Tensor): number {
  assert.deepEqual(a.shape, b.shape, 'output shapes differ');
  const x = a.to('float64').dataSync();
  const y = b.to('float64').dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]!) && Number.isNaN(y[i]!)) continue;
    const d = Math.abs(x[i]! - y[i]!) / Math.max(1, Math.abs(y[i]!));
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  return worst;
}

/** Figures every round trip adds to, printed by the test files. */
export const roundTrips: { name: string; diff: number }[] = [];

/**
 * Exports `model` traced on `example`, then for each input set compares onnxruntime's outputs
 * with kiln's forward (eval mode) to `tol`. Returns the file path.
 */
export async function roundTrip(
  name: string,
  model: k.nn.Module,
  example: readonly k.Tensor[],
  runs: readonly (readonly k.Tensor[])[],
  options: ExportOptions = {},
  tol = 1e-5,
): Promise<string> {
  const path = tempPath(`${name.replace(/[^a-z0-9]+/gi, '_')}.onnx`);
  await k.onnx.export(model, example, path, options);
  checkModel(path);
  model.eval();
  for (const inputs of runs) {
    const expected = flatten(
      k.noGrad(() => (model.forward as (...a: k.Tensor[]) => unknown)(...inputs)),
    );
    const got = await runOrt(path, inputs);
    assert.equal(got.length, expected.length, `${name}: output count`);
    got.forEach((g, i) => {
      const diff = maxRelDiff(g, expected[i]!);
      roundTrips.push({ name, diff });
      assert.ok(
        diff <= tol,
        `${name}: output ${i} differs from kiln by ${diff} (tolerance ${tol}) for inputs ${inputs.map((t) => `[${t.shape}]`).join(' ')}`,
      );
    });
  }
  return path;
}

/** Batch sizes for dynamic-batch runs: the traced one and two others. */
export function batches(make: (n: number) => k.Tensor[], traced = 2): k.Tensor[][] {
  return [traced, 1, 5].map((n) => make(n));
}
