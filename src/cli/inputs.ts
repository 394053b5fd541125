import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { readCsv } from '../data/csv.js';
import { loadDiabetes, loadIris } from '../data/datasets.js';
import { readIdx } from '../data/idx.js';
import { TablePreprocessor } from '../data/table/preprocessor.js';
import { showNames } from '../data/table/read.js';
import { tensor } from '../ops/creation.js';
import { ConfigError, DataError, fmtShape, ShapeError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainConfig } from './config.js';
import { applyPreprocessing, type Preprocessing } from './data.js';
import { readConfiguredTable } from './table-data.js';
import type { ModelRecord } from './train.js';

/** What eval and predict need of a run to read new data as training read its own. */
export interface InputRun {
  config: TrainConfig;
  record: ModelRecord;
}

/** Features (and labels when the file has them), preprocessed as at training time. */
export interface Inputs {
  x: Tensor;
  y: Tensor | null;
}

/**
 * Reads an eval or predict input in the layout the run was trained on: a table by column names
 * (with the stored imputation, encoding and standardization), the scikit-learn iris or diabetes
 * layout, a CSV by column positions, or IDX images. Labels come along when the file has them.
 */
export async function readInputs(
  run: InputRun,
  file: string,
  labelsFile?: string,
): Promise<Inputs> {
  const name = basename(file).toLowerCase();
  const p = run.record.preprocessing;
  let raw: Inputs;
  if (name.includes('idx') || extname(name) === '.ubyte')
    raw = await readImages(run, file, labelsFile);
  else if (p.table) {
    const prep = TablePreprocessor.fromJSON(p.table);
    raw = prep.transform(await readConfiguredTable(run.config, file));
  } else if (run.config.data.format === 'iris') raw = await readIris(file);
  else if (run.config.data.format === 'diabetes') raw = await readDiabetes(file, labelsFile);
  else raw = await readPositionalCsv(run, file);
  checkSampleShape(file, raw.x.shape.slice(1), run.record.sampleShape);
  return preprocess(raw, p);
}

function preprocess(raw: Inputs, p: Preprocessing): Inputs {
  const split = applyPreprocessing({ x: raw.x, y: raw.y ?? raw.x }, p);
  return { x: split.x, y: raw.y ? split.y : null };
}

async function readImages(run: InputRun, file: string, labelsFile?: string): Promise<Inputs> {
  const images = await readIdx(file);
  checkSampleShape(file, images.shape.slice(1), run.record.sampleShape);
  const pixels = Float32Array.from(images.data, (v) => v / 255);
  const x = tensor(pixels, { shape: [images.shape[0]!, ...run.record.sampleShape] });
  const y = labelsFile
    ? tensor(Int32Array.from((await readIdx(labelsFile)).data), { dtype: 'int32' })
    : null;
  return { x, y };
}

/**
 * The iris layout as scikit-learn ships it (metadata line, then features and class index), or
 * plain rows of 4 features, optionally followed by the class index.
 */
async function readIris(file: string): Promise<Inputs> {
  const first =
    readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/, 1)[0] ?? '';
  if (/^\s*\d+\s*,\s*\d+\s*,\s*[^\d\s,]/.test(first)) {
    const data = await loadIris(file);
    return { x: data.features, y: data.labels };
  }
  const width = first.split(',').length;
  const csv = await readCsv(file, {
    header: 'auto',
    delimiter: ',',
    ...(width === 5 ? { label: 4, labelDtype: 'int32' as const } : {}),
  });
  return { x: csv.features, y: csv.labels ?? null };
}

/** The diabetes layout: whitespace-separated features; targets from `--labels` for eval. */
async function readDiabetes(file: string, labelsFile?: string): Promise<Inputs> {
  if (labelsFile) {
    const data = await loadDiabetes(file, labelsFile);
    return { x: data.features, y: data.labels };
  }
  const csv = await readCsv(file, { header: false, delimiter: 'whitespace' });
  return { x: csv.features, y: null };
}

/**
 * A CSV read by `label` / `columns` as in training. Class labels are int32 indices: numbers as
 * they are, names mapped to the run's class list (a name it does not know is a `DataError`).
 */
async function readPositionalCsv(run: InputRun, file: string): Promise<Inputs> {
  const d = run.config.data;
  const header =
    readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/, 1)[0] ?? '';
  const hasLabel =
    d.format === 'csv' &&
    d.label !== undefined &&
    (typeof d.label === 'number' ||
      header.split(d.delimiter ?? ',').some((f) => f.replace(/"/g, '').trim() === d.label));
  const classification = run.record.task === 'classification';
  const classes = run.record.classes;
  const csv = await readCsv(file, {
    ...(hasLabel && d.label !== undefined ? { label: d.label } : {}),
    ...(d.header !== undefined ? { header: d.header } : {}),
    ...(d.delimiter ? { delimiter: d.delimiter } : {}),
    ...(d.columns ? { columns: d.columns } : {}),
    ...(d.categorical ? { categorical: d.categorical } : {}),
    ...(d.missing ? { missing: d.missing } : {}),
    ...(hasLabel && !classes
      ? { labelDtype: classification ? ('int32' as const) : ('float32' as const) }
      : {}),
  });
  let y = csv.labels ?? null;
  if (y && classes && csv.classes) y = remapClasses(y, csv.classes, classes, file);
  return { x: csv.features, y };
}

/** Maps a file's own class indices (numbered by its sorted names) to the run's class indices. */
function remapClasses(
  y: Tensor,
  fileClasses: string[],
  runClasses: string[],
  file: string,
): Tensor {
  const map = fileClasses.map((c) => {
    const i = runClasses.indexOf(c);
    if (i < 0) {
      throw new DataError(
        `${file}: class ${JSON.stringify(c)} was not seen in training (classes: ${showNames(runClasses)})`,
      );
    }
    return i;
  });
  return tensor(Int32Array.from(y.dataSync(), (v) => map[v]!));
}

/** Throws a `ShapeError` naming both shapes when a file's samples do not fit the model. */
export function checkSampleShape(
  file: string,
  got: readonly number[],
  expected: readonly number[],
): void {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  // IDX images may come as [H, W] for a model trained on [1, H, W]: same size is enough there.
  if (
    got.length === expected.length
      ? fmtShape(got) === fmtShape(expected)
      : size(got) === size(expected)
  )
    return;
  throw new ShapeError(
    `${file}: samples have shape ${fmtShape(got)} but the model expects ${fmtShape(expected)}`,
  );
}

/** A `ConfigError` for eval on a file without labels. */
export function noLabels(file: string): ConfigError {
  return new ConfigError(
    `${file}: has no label column, so it cannot be evaluated (use kiln predict)`,
  );
}
