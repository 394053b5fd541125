// The `kiln` CLI in-process through `main(argv)`: help, summary, train / eval / predict on the
// shipped examples, overrides, and every kind of bad input (one clear line on stderr, exit 1;
// internal errors exit 2).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k from '../../src/index.js';
import { assertOneLine, ROOT, runMain, writeIdx } from './helpers.js';

const tmpRoot = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
const example = (name: string) => join(ROOT, 'examples', name);

/** Parses `name value  name value` log lines such as `test: loss 0.1  accuracy 0.9`. */
function numbersOf(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/([a-z_0-9]+) (-?[\d.]+(?:e[-+]?\d+)?|NaN)/g))
    out[m[1]!] = Number(m[2]);
  return out;
}

function lineStarting(text: string, prefix: string): string {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `no line starting with '${prefix}' in:\n${text}`);
  return line;
}

/** Writes a config (as JSON, which is YAML too) and returns its path. */
let configCount = 0;
function writeConfig(config: Record<string, unknown>, ext = 'yaml'): string {
  const path = join(tmpRoot, `config-${configCount++}.${ext}`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

describe('kiln help and usage', () => {
  it('--help and <cmd> --help exit 0', async () => {
    const top = await runMain(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.out, /Usage:\n {2}kiln train/);
    assert.match(top.out, /Exit codes: 0 success, 1 user error/);
    for (const cmd of ['train', 'eval', 'predict', 'summary']) {
      const r = await runMain([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.ok(r.out.startsWith(`kiln ${cmd} `), r.out);
      assert.equal(r.err, '');
    }
    assert.match((await runMain(['train', '-h'])).out, /--resume/);
  });

  it('no command prints the help and exits 1; bad commands and options are one line', async () => {
    const none = await runMain([]);
    assert.equal(none.code, 1);
    assert.match(none.out, /Usage:/);
    const cases: [string[], RegExp][] = [
      [['trian'], /unknown command 'trian'; expected train, tune, eval, predict, summary/],
      [['train'], /kiln train: missing the config file/],
      [['predict', 'runs/x'], /kiln predict: missing the run folder and the input file/],
      [['train', example('iris.yaml'), '--bogus'], /Unknown option '--bogus'/],
      [
        ['train', example('iris.yaml'), '--epochs', 'ten'],
        /--epochs: expected a number, got 'ten'/,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await runMain(argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(assertOneLine(r.err), message);
    }
  });
});

describe('kiln summary', () => {
  it('prints the layer table of examples/mnist-mlp.yaml with 101,770 parameters', async () => {
    const r = await runMain(['summary', example('mnist-mlp.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 \(Linear\) +\[1, 128\] +100,480/);
    assert.match(r.out, /4 \(Linear\) +\[1, 10\] +1,290/);
    assert.match(r.out, /Total params: 101,770/);
    assert.match(r.out, /Trainable params: 101,770/);
  });
});

describe('kiln train / eval / predict on examples/iris.yaml', () => {
  const out = join(tmpRoot, 'iris-runs');
  const runDir = join(out, 'iris');
  let trainOut = '';

  before(async () => {
    const r = await runMain(['train', example('iris.yaml'), '--out', out]);
    assert.equal(r.code, 0, r.err);
    trainOut = r.out;
  });

  it('reaches >= 0.9 test accuracy and writes the run folder', async () => {
    const test = numbersOf(lineStarting(trainOut, 'test:'));
    assert.ok(test.accuracy! >= 0.9, `test accuracy ${test.accuracy}`);
    assert.ok(test.f1! >= 0.85, 'test.f1! >= 0.85');
    assert.match(trainOut, /^Epoch 60\/60 /m); // the non-TTY progress: one line per epoch
    assert.match(trainOut, new RegExp(`run saved to ${runDir.replace(/[.]/g, '\\.')}`));
    for (const f of ['config.json', 'model.json', 'metrics.csv', 'model.safetensors', 'report.md'])
      assert.ok(existsSync(join(runDir, f)), f);
    for (const c of ['last', 'best'])
      assert.ok(existsSync(join(runDir, 'checkpoints', c, 'checkpoint.json')), c);

    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.name, 'iris');
    assert.equal(config.output.dir, out);
    const record = JSON.parse(readFileSync(join(runDir, 'model.json'), 'utf8'));
    assert.deepEqual(record.classes, ['setosa', 'versicolor', 'virginica']);
    assert.deepEqual(record.sampleShape, [4]);
    assert.equal(record.preprocessing.features.type, 'Standardize');

    const csv = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'epoch,loss,accuracy,f1,lr,seconds');
    assert.equal(csv.length, 61);
    const report = readFileSync(join(runDir, 'report.md'), 'utf8');
    assert.match(report, /^# iris/);
    assert.match(report, /\| epoch \| loss \| accuracy \| f1 \| lr \| seconds \|/);
    assert.match(report, /## Test\n\n- loss: [\d.]+\n- accuracy: /);

    // The last checkpoint is of epoch 60, the final weights equal its weights.
    const info = await k.io.loadCheckpoint(join(runDir, 'checkpoints', 'last'), {
      restoreRng: false,
    });
    assert.equal(info.epoch, 60);
    assert.equal(info.step, 60 * 8); // 120 training flowers in batches of 16
    const final = await k.io.load(join(runDir, 'model.safetensors'));
    const last = await k.io.load(join(runDir, 'checkpoints', 'last', 'model.safetensors'));
    for (const [name, t] of Object.entries(final.tensors))
      assert.deepEqual(Array.from(t.dataSync()), Array.from(last.tensors[name]!.dataSync()));
  });

  it('kiln eval <run> prints the metrics and a confusion matrix', async () => {
    const r = await runMain(['eval', runDir]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    const metrics = numbersOf(lines[0]!);
    const test = numbersOf(lineStarting(trainOut, 'test:'));
    assert.equal(metrics.accuracy!.toFixed(4), test.accuracy!.toFixed(4));
    assert.equal(metrics.loss!.toFixed(4), test.loss!.toFixed(4));
    assert.equal(lines[1], 'confusion matrix (rows: true class, columns: predicted)');
    assert.match(lines[2]!, /setosa +versicolor +virginica/);
    const rows = lines.slice(3).map((l) => l.trim().split(/ +/));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['setosa', 'versicolor', 'virginica'],
    );
    const counts = rows.map((r) => r.slice(1).map(Number));
    // The stratified 20% test split: 10 flowers per species.
    assert.deepEqual(
      counts.map((row) => row.reduce((a, b) => a + b, 0)),
      [10, 10, 10],
    );
    const correct = counts.reduce((a, row, i) => a + row[i]!, 0);
    assert.equal((correct / 30).toFixed(4), metrics.accuracy!.toFixed(4));
    // A checkpoint folder evaluates too.
    const best = await runMain(['eval', join(runDir, 'checkpoints', 'best')]);
    assert.equal(best.code, 0, best.err);
    assert.match(best.out, /^loss [\d.]+ {2}accuracy [\d.]+ {2}f1 [\d.]+\n/);
  });

  it('kiln predict <run> <csv> writes one row per sample', async () => {
    const input = join(tmpRoot, 'flowers.csv');
    writeFileSync(input, '5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n5.9,3.0,4.2,1.5\n5.0,3.4,1.5,0.2\n');
    const file = join(tmpRoot, 'predictions.csv');
    const r = await runMain(['predict', runDir, input, '--out', file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote 4 predictions to /);
    const rows = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'prediction,p_setosa,p_versicolor,p_virginica');
    assert.equal(rows.length, 5);
    assert.deepEqual(
      rows.slice(1).map((row) => row.split(',')[0]),
      ['setosa', 'virginica', 'versicolor', 'setosa'],
    );
    for (const row of rows.slice(1)) {
      const p = row.split(',').slice(1).map(Number);
      assert.ok(
        Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4,
        'Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-4',
      );
    }
    // Without --out the CSV goes to stdout.
    const toStdout = await runMain(['predict', runDir, input]);
    assert.equal(toStdout.code, 0, toStdout.err);
    assert.equal(toStdout.out.trim(), rows.join('\n'));
  });

  it('predict names both shapes when the input does not fit the model', async () => {
    const input = join(tmpRoot, 'three-columns.csv');
    writeFileSync(input, '5.1,3.5,1.4\n');
    const r = await runMain(['predict', runDir, input]);
    assert.equal(r.code, 1);
    assert.match(assertOneLine(r.err), /samples have shape \[3\] but the model expects \[4\]/);
  });

  it('eval and predict of a folder that is not a run fail with one line', async () => {
    const r = await runMain(['eval', join(tmpRoot, 'no-such-run')]);
    assert.equal(r.code, 1);
    assert.match(assertOneLine(r.err), /no-such-run: no such run or checkpoint folder/);
    const p = await runMain(['predict', tmpRoot, join(tmpRoot, 'x.csv')]);
    assert.equal(p.code, 1);
    assert.match(assertOneLine(p.err), /not a kiln run folder \(no model\.json\)/);
  });
});

describe('kiln train on examples/diabetes.yaml', () => {
  it('reports rmse and r2 (training, test and eval)', async () => {
    const out = join(tmpRoot, 'diabetes-runs');
    const r = await runMain(['train', example('diabetes.yaml'), '--out', out, '--epochs', '3']);
    assert.equal(r.code, 0, r.err);
    const test = numbersOf(lineStarting(r.out, 'test:'));
    for (const m of ['loss', 'rmse', 'mae', 'r2']) assert.ok(Number.isFinite(test[m]), m);
    assert.ok(test.rmse! > 0, 'test.rmse! > 0');
    // The loss is the MSE of the standardized target; rmse is reported in the target's units.
    const record = JSON.parse(readFileSync(join(out, 'diabetes', 'model.json'), 'utf8'));
    const std = record.preprocessing.target.std[0] as number;
    assert.ok(std > 1, `target std ${std}`);
    assert.ok(
      Math.abs(test.rmse! - Math.sqrt(test.loss!) * std) < 1e-3 * test.rmse!,
      `rmse ${test.rmse} vs sqrt(loss) * std ${Math.sqrt(test.loss!) * std}`,
    );
    assert.ok(test.r2! < 1, 'test.r2! < 1');
    assert.match(r.out, /^Epoch 3\/3 .*val_rmse [\d.]+ .*val_r2 /m);
    const csv = readFileSync(join(out, 'diabetes', 'metrics.csv'), 'utf8').split('\n');
    assert.equal(csv[0], 'epoch,loss,rmse,mae,r2,val_loss,val_rmse,val_mae,val_r2,lr,seconds');
    const ev = await runMain(['eval', join(out, 'diabetes')]);
    assert.equal(ev.code, 0, ev.err);
    const evm = numbersOf(ev.out);
    assert.equal(evm.rmse!.toFixed(4), test.rmse!.toFixed(4));
    assert.equal(evm.r2!.toFixed(4), test.r2!.toFixed(4));
    assert.ok(!ev.out.includes('confusion'), "!ev.out.includes('confusion')");
  });
});

describe('kiln train overrides', () => {
  it('--epochs/--batch-size/--lr/--seed/--limit/--name override the config', async () => {
    const out = join(tmpRoot, 'override-runs');
    const argv = [
      'train',
      example('iris.yaml'),
      '--out',
      out,
      '--epochs',
      '2',
      '--batch-size',
      '50',
      '--lr',
      '0.05',
      '--seed',
      '3',
      '--limit',
      '100',
      '--name',
      'iris-small',
    ];
    const r = await runMain(argv);
    assert.equal(r.code, 0, r.err);
    const runDir = join(out, 'iris-small');
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.training.epochs, 2);
    assert.equal(config.training.batchSize, 50);
    assert.equal(config.optimizer.lr, 0.05);
    assert.equal(config.seed, 3);
    assert.equal(config.data.limit, 100);
    // 100 flowers, 20% held out for test: 80 train samples, 2 batches of 50 and 30.
    assert.match(r.out, /training iris-small: 80 samples, /);
    const rows = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      rows.map((row) => row.split(',')[4]),
      ['0.05', '0.05'],
    );
    const info = await k.io.loadCheckpoint(join(runDir, 'checkpoints', 'last'), {
      restoreRng: false,
    });
    assert.equal(info.step, 4);
    // A second run of the same name goes to a new folder; the same seed gives the same metrics.
    const again = await runMain(argv);
    assert.equal(again.code, 0, again.err);
    const rows2 = readFileSync(join(out, 'iris-small-2', 'metrics.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const dropSeconds = (row: string) => row.split(',').slice(0, -1).join(',');
    assert.deepEqual(rows2.map(dropSeconds), rows.map(dropSeconds));
  });

  it('invalid override values are reported against the config fields', async () => {
    const r = await runMain(['train', example('iris.yaml'), '--epochs', '0', '--lr', '0.1']);
    assert.equal(r.code, 1);
    assert.match(
      assertOneLine(r.err),
      /command line overrides: invalid config: training\.epochs: /,
    );
    const resume = await runMain([
      'train',
      example('iris.yaml'),
      '--resume',
      '--out',
      join(tmpRoot, 'empty'),
    ]);
    assert.equal(resume.code, 1);
    assert.match(assertOneLine(resume.err), /--resume: no run of 'iris' with a checkpoint under /);
  });
});

describe('kiln config validation', () => {
  it('names each bad field path and the allowed values', async () => {
    const path = writeConfig({
      name: 'bad',
      data: { format: 'cvs', path: 'x.csv' },
      model: [{ type: 'Linear', outFeatures: 2 }],
      loss: 'crossEntropy',
      training: { epochs: 1, batchSize: 0, epocs: 3 },
    });
    const r = await runMain(['train', path]);
    assert.equal(r.code, 1);
    const line = assertOneLine(r.err);
    assert.ok(line.startsWith(`kiln: ${path}: invalid config: `), line);
    const body = line.split('invalid config: ')[1]!.split('; ');
    assert.ok(
      body.includes(
        'data.format: must be one of "mnist", "idx", "csv", "sklearn", "iris", "diabetes"',
      ),
      r.err,
    );
    assert.ok(body.includes('optimizer: required'), r.err);
    assert.ok(
      body.some((l) => l.startsWith('training.batchSize: ')),
      r.err,
    );
    assert.ok(line.includes("training: unknown field 'epocs'; did you mean 'epochs'?"), r.err);
    assert.ok(!/\n\s+at /.test(r.err), '!/\\n\\s+at /.test(r.err)');
  });

  it('reports unreadable and malformed config files in one line', async () => {
    const missing = await runMain(['train', join(tmpRoot, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(assertOneLine(missing.err), /nope\.yaml: cannot read the config file/);
    const json = join(tmpRoot, 'broken.json');
    writeFileSync(json, '{ "name": ');
    const broken = await runMain(['train', json]);
    assert.equal(broken.code, 1);
    assert.match(assertOneLine(broken.err), /broken\.json: not valid JSON: /);
    const yaml = join(tmpRoot, 'broken.yaml');
    writeFileSync(yaml, 'name: [unclosed\n');
    const badYaml = await runMain(['summary', yaml]);
    assert.equal(badYaml.code, 1);
    assert.match(assertOneLine(badYaml.err), /broken\.yaml: not valid YAML: /);
  });
});

describe('kiln train with bad data or models', () => {
  const csvPath = join(tmpRoot, 'data.csv');
  const csvConfig = (overrides: Record<string, unknown> = {}) =>
    writeConfig({
      name: 'csv',
      data: { format: 'csv', path: csvPath, label: 'y' },
      model: [{ type: 'Linear', outFeatures: 3 }],
      optimizer: { type: 'SGD', lr: 0.1 },
      loss: 'crossEntropy',
      training: { epochs: 1, batchSize: 4 },
      output: { dir: join(tmpRoot, 'csv-runs') },
      ...overrides,
    });
  const good = 'a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,0\n1,1,1\n2,2,2\n3,3,0\n4,4,1\n';
  const fails = async (config: string, message: RegExp) => {
    const r = await runMain(['train', config]);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.err}`);
    const line = assertOneLine(r.err);
    assert.match(line, message);
    return line;
  };

  it('trains a CSV classification config (integer labels) when the data is right', async () => {
    writeFileSync(csvPath, good);
    const r = await runMain(['train', csvConfig()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^test: loss [\d.]+ *$/m);
  });

  it('missing data file', async () => {
    await fails(
      csvConfig({ data: { format: 'csv', path: join(tmpRoot, 'nope.csv'), label: 'y' } }),
      /data\.train: .*nope\.csv: no such file or folder/,
    );
    await fails(
      writeConfig({
        name: 'm',
        data: { format: 'mnist', path: join(tmpRoot, 'no-mnist') },
        model: [{ type: 'Flatten' }],
        optimizer: { type: 'SGD', lr: 0.1 },
        loss: 'crossEntropy',
        training: { epochs: 1, batchSize: 4 },
      }),
      /data\.path: .*no-mnist: no such file or folder/,
    );
  });

  it('CSV with a ragged row or a non-numeric cell (line number given)', async () => {
    writeFileSync(csvPath, 'a,b,y\n1,2,0\n3,4\n5,6,2\n');
    await fails(csvConfig(), /data\.csv line 3: expected 3 fields, got 2/);
    writeFileSync(csvPath, 'a,b,y\n1,2,0\n3,4,1\n5,six,2\n');
    await fails(csvConfig(), /data\.csv line 4, column "b": "six" is not a number/);
  });

  it('label out of range for the model', async () => {
    writeFileSync(csvPath, `${good}5,5,7\n`);
    await fails(
      csvConfig(),
      /labels: label 7 is out of range for a model with 3 outputs \(expected 0\.\.2; 1 of \d+ labels out of range\)/,
    );
  });

  it('unknown layer, optimizer, loss or scheduler name, with suggestions', async () => {
    writeFileSync(csvPath, good);
    const layer = await fails(
      csvConfig({ model: [{ type: 'Lineer', outFeatures: 3 }] }),
      /model\.0\.type: unknown layer 'Lineer'; did you mean 'Linear'\? \(known: Linear, /,
    );
    assert.match(layer, /BatchNorm1d/);
    await fails(
      csvConfig({ optimizer: { type: 'adamw', lr: 0.1 } }),
      /optimizer\.type: unknown optimizer 'adamw'; did you mean 'AdamW'\? \(known: SGD, Adam, AdamW/,
    );
    await fails(
      csvConfig({ loss: 'crossentropy' }),
      /loss\.type: unknown loss 'crossentropy'; did you mean 'crossEntropy'\?/,
    );
    await fails(
      csvConfig({ schedule: { type: 'StepLr', stepSize: 1 } }),
      /schedule\.type: unknown scheduler 'StepLr'; did you mean 'StepLR'\?/,
    );
    await fails(
      csvConfig({ optimizer: { type: 'SGD', lr: -1 } }),
      /optimizer \(SGD\)\.lr: must be >= 0, got -1/,
    );
  });

  it('shape mismatch between data and model (both shapes named)', async () => {
    writeFileSync(csvPath, good);
    await fails(
      csvConfig({ model: [{ type: 'Linear', inFeatures: 5, outFeatures: 3 }] }),
      /model\.0 \(Linear\) does not accept input of shape \[2,2\] \(batch first\): .*\[3,5\]/,
    );
  });

  it('IDX files with a wrong magic number, or images and labels of different counts', async () => {
    const dir = mkdtempSync(join(tmpRoot, 'idx-'));
    const images = join(dir, 'images.idx');
    const labels = join(dir, 'labels.idx');
    writeIdx(images, [6, 2, 2], new Uint8Array(24));
    writeIdx(labels, [6], new Uint8Array(6));
    const config = (trainLabels: string) =>
      writeConfig({
        name: 'idx',
        data: { format: 'idx', train: images, trainLabels },
        model: [{ type: 'Flatten' }, { type: 'Linear', outFeatures: 2 }],
        optimizer: { type: 'SGD', lr: 0.1 },
        loss: 'crossEntropy',
        training: { epochs: 1, batchSize: 4 },
        output: { dir: join(dir, 'runs') },
      });
    const csvAsIdx = join(dir, 'labels.csv');
    writeFileSync(csvAsIdx, 'label\n0\n1\n');
    await fails(
      config(csvAsIdx),
      /labels\.csv: not an IDX file: magic 0x6c616265 should be 0x0000 then a type byte/,
    );
    const five = join(dir, 'five.idx');
    writeIdx(five, [5], new Uint8Array(5));
    await fails(config(five), /images\.idx has 6 samples but .*five\.idx has 5 labels/);
    const r = await runMain(['train', config(labels)]);
    assert.equal(r.code, 0, r.err);
  });

  it('internal errors exit 2 with a short message; --verbose prints the stack', async () => {
    const originalWrite = process.stderr.write;
    // A log function that throws stands in for a bug inside a command.
    const { main } = await import('../../src/cli/main.js');
    const err: string[] = [];
    process.stderr.write = ((s: string) => {
      err.push(s);
      return true;
    }) as typeof process.stderr.write;
    let quiet: number;
    let verbose: number;
    let quietErr: string;
    try {
      const boom = () => {
        throw new TypeError('boom');
      };
      quiet = await main(['train', '--help'], boom);
      quietErr = err.splice(0).join('');
      verbose = await main(['train', '--help', '--verbose'], boom);
    } finally {
      process.stderr.write = originalWrite;
    }
    assert.equal(quiet, 2);
    assert.equal(
      quietErr,
      'kiln: internal error: boom\nrun again with --verbose for the stack trace, and please report it\n',
    );
    assert.equal(verbose, 2);
    const verboseErr = err.join('');
    assert.match(verboseErr, /^kiln: internal error: boom\nTypeError: boom\n\s+at /);
  });

  it('--verbose adds the stack trace to user errors', async () => {
    const r = await runMain(['train', join(tmpRoot, 'nope.yaml'), '--verbose']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^kiln: .*cannot read the config file.*\nConfigError: .*\n\s+at /);
  });
});

describe('kiln train --resume (in-process)', () => {
  it('restores early-stopping and plateau state: a resumed run equals an uninterrupted one', async () => {
    // Diabetes with callbacks whose state matters within a few epochs.
    const path = writeConfig({
      name: 'diab',
      seed: 1,
      data: {
        format: 'diabetes',
        path: join(ROOT, 'datasets/diabetes/diabetes_data_raw.csv.gz'),
        target: join(ROOT, 'datasets/diabetes/diabetes_target.csv.gz'),
      },
      split: { test: 0.2, validation: 0.2 },
      preprocess: { standardize: true, standardizeTarget: true },
      model: [
        { type: 'Linear', outFeatures: 16 },
        { type: 'ReLU' },
        { type: 'Dropout', p: 0.1 },
        { type: 'Linear', outFeatures: 1 },
      ],
      optimizer: { type: 'Adam', lr: 0.05 },
      loss: 'mseLoss',
      training: { epochs: 12, batchSize: 16 },
      metrics: ['rmse'],
      callbacks: {
        earlyStopping: { patience: 3, restoreBestWeights: true },
        reduceLROnPlateau: { factor: 0.5, patience: 0 },
      },
    });
    const full = join(tmpRoot, 'diab-full');
    const split = join(tmpRoot, 'diab-split');
    const a = await runMain(['train', path, '--out', full]);
    assert.equal(a.code, 0, a.err);
    // Interrupted after epoch 7: after the best epoch (6), so the early-stopping counters and
    // the best weights must come back from the checkpoints.
    const b1 = await runMain(['train', path, '--out', split, '--epochs', '7']);
    assert.equal(b1.code, 0, b1.err);
    const b2 = await runMain(['train', path, '--out', split, '--resume']);
    assert.equal(b2.code, 0, b2.err);
    assert.match(b2.out, /resuming .*diab from epoch 7 \(step \d+\)/);
    const rows = (dir: string) =>
      readFileSync(join(dir, 'diab', 'metrics.csv'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').slice(0, -1).join(',')); // without seconds
    const fullRows = rows(full);
    // The plateau callback cut the lr, and early stopping ended the run before epoch 12.
    const lrs = fullRows.slice(1).map((r) => Number(r.split(',').at(-1)));
    assert.ok(new Set(lrs).size > 1, `lr never changed: ${lrs}`);
    assert.ok(fullRows.length - 1 < 12, `early stopping did not stop: ${fullRows.length - 1}`);
    assert.ok(fullRows.length - 1 > 7, 'the run stopped before the resume point');
    assert.deepEqual(rows(split), fullRows);
    const weights = (dir: string) => readFileSync(join(dir, 'diab', 'model.safetensors'));
    assert.ok(weights(full).equals(weights(split)), 'final (best-restored) weights differ');
    assert.equal(lineStarting(b2.out, 'test:'), lineStarting(a.out, 'test:'));
  });
});
