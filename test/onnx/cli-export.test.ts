import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadRun } from '../../src/cli/inference.js';
import * as k from '../../src/index.js';
import { runMain } from '../cli/helpers.js';
import { checkModel, maxRelDiff, runOrt } from './ort.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-export-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('kiln export', () => {
  const runDir = join(root, 'runs', 'iris');
  before(async () => {
    const r = await runMain([
      'train',
      'examples/iris.yaml',
      '--epochs',
      '3',
      '--out',
      join(root, 'runs'),
    ]);
    assert.equal(r.code, 0, r.err);
  });

  it('--format onnx (default) writes <run>/model.onnx that reproduces the run in onnxruntime', async () => {
    const r = await runMain(['export', runDir]);
    assert.equal(r.code, 0, r.err);
    const path = join(runDir, 'model.onnx');
    assert.match(r.out, /model\.onnx \(ONNX opset 17, input \[batch, 4\]\)/);
    checkModel(path);
    const { model } = await loadRun(runDir);
    for (const n of [1, 7]) {
      const x = k.randn([n, 4]);
      const [y] = await runOrt(path, [x]);
      assert.ok(
        maxRelDiff(
          y!,
          k.noGrad(() => model.forward(x)),
        ) < 1e-5,
      );
    }
  });

  it('-o and --opset choose the file and opset; --format safetensors writes the state dict', async () => {
    const onnx = join(root, 'iris13.onnx');
    assert.equal((await runMain(['export', runDir, '-o', onnx, '--opset', '13'])).code, 0);
    assert.ok(existsSync(onnx));
    checkModel(onnx);
    const st = join(root, 'iris.safetensors');
    const r = await runMain(['export', runDir, '--format', 'safetensors', '-o', st]);
    assert.equal(r.code, 0, r.err);
    const { tensors } = await k.io.load(st);
    const { model } = await loadRun(runDir);
    const sd = model.stateDict();
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(sd).sort());
    for (const [name, t] of Object.entries(sd))
      assert.deepEqual(tensors[name]!.toArray(), t.toArray());
    const half = join(root, 'iris-bf16.safetensors');
    const args = ['export', runDir, '--format', 'safetensors', '--dtype', 'bfloat16', '-o', half];
    assert.equal((await runMain(args)).code, 0);
    const { tensors: halves } = await k.io.load(half);
    for (const [name, t] of Object.entries(sd)) {
      const err = halves[name]!.sub(t).abs().div(t.abs().add(1e-30)).amax().item() as number;
      assert.ok(err <= 2 ** -8, `${name}: bfloat16 relative error ${err}`);
    }
  });

  it('bad arguments exit 1 with one line', async () => {
    for (const [argv, message] of [
      [
        ['export', runDir, '--format', 'tflite'],
        /--format must be 'onnx' or 'safetensors', got 'tflite'/,
      ],
      [['export', join(root, 'nope')], /no such run or checkpoint folder/],
      [['export'], /missing the run folder/],
      [
        ['export', runDir, '--opset', '99'],
        /opsetVersion must be an integer from 13 to 22, got 99/,
      ],
      [
        ['export', runDir, '--format', 'safetensors', '--dtype', 'int8'],
        /--dtype must be float32, float16 or bfloat16, got 'int8'/,
      ],
      [['export', runDir, '--dtype', 'float16'], /--dtype applies to --format safetensors only/],
    ] as const) {
      const r = await runMain([...argv]);
      assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
      assert.equal(r.err.trim().split('\n').length, 1);
    }
  });
});
