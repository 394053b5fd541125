import { DataError } from '../tensor/errors.js';
import { type CsvData, parseCsv } from './csv.js';
import { readMaybeGzip } from './files.js';

const IRIS_FEATURES = [
  'sepal length (cm)',
  'sepal width (cm)',
  'petal length (cm)',
  'petal width (cm)',
];
const DIABETES_FEATURES = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'];

/**
 * Loads the iris CSV as scikit-learn ships it: a first line `150,4,setosa,versicolor,virginica`
 * (sample count, feature count, class names), then 4 floats and a class index per line. The
 * counts and class indices are checked against that line. Returns float32 features [150, 4],
 * int32 labels [150] and the class names.
 *
 * @example
 * ```ts
 * const { features, labels, classes } = await k.data.loadIris('datasets/iris/iris.csv');
 * ```
 */
export async function loadIris(path: string): Promise<Required<CsvData>> {
  const text = new TextDecoder().decode(await readMaybeGzip(path));
  const first = text
    .slice(0, text.search(/\r?\n|$/))
    .split(',')
    .map((s) => s.trim());
  const n = Number(first[0]);
  const f = Number(first[1]);
  const classes = first.slice(2);
  if (!Number.isInteger(n) || !Number.isInteger(f) || n < 0 || f < 1 || classes.length === 0) {
    throw new DataError(
      `${path} line 1: expected the metadata line "n_samples,n_features,class names..." (e.g. 150,4,setosa,versicolor,virginica), got ${JSON.stringify(first.join(','))}`,
    );
  }
  const data = parseCsv(
    text,
    path,
    {
      header: false,
      delimiter: ',',
      skipRows: 1,
      label: f,
      labelDtype: 'int32',
      numClasses: classes.length,
    },
    f + 1,
  );
  const rows = data.features.shape[0]!;
  if (rows !== n) {
    throw new DataError(`${path}: the metadata line announces ${n} samples, the file has ${rows}`);
  }
  return {
    features: data.features,
    labels: data.labels!,
    featureNames: f === IRIS_FEATURES.length ? [...IRIS_FEATURES] : data.featureNames,
    classes,
  };
}

/**
 * Loads the diabetes regression data as scikit-learn ships it: space-separated raw features
 * (gzip) and a separate target file, one value per line. Returns float32 features [442, 10],
 * float32 targets as `labels` [442] and the feature names (age, sex, bmi, bp, s1..s6).
 *
 * @example
 * ```ts
 * const { features, labels } = await k.data.loadDiabetes(
 *   'datasets/diabetes/diabetes_data_raw.csv.gz', 'datasets/diabetes/diabetes_target.csv.gz');
 * ```
 */
export async function loadDiabetes(
  dataPath: string,
  targetPath: string,
): Promise<CsvData & { labels: CsvData['features'] }> {
  const [dataBytes, targetBytes] = await Promise.all([
    readMaybeGzip(dataPath),
    readMaybeGzip(targetPath),
  ]);
  const decoder = new TextDecoder();
  const data = parseCsv(decoder.decode(dataBytes), dataPath, {
    header: false,
    delimiter: 'whitespace',
  });
  const target = parseCsv(
    decoder.decode(targetBytes),
    targetPath,
    {
      header: false,
      delimiter: 'whitespace',
      label: 0,
      labelDtype: 'float32',
    },
    1,
  );
  const n = data.features.shape[0]!;
  if (target.labels!.shape[0] !== n) {
    throw new DataError(
      `${dataPath} has ${n} samples but ${targetPath} has ${target.labels!.shape[0]} targets; the counts must agree`,
    );
  }
  const f = data.features.shape[1]!;
  return {
    features: data.features,
    labels: target.labels!,
    featureNames: f === DIABETES_FEATURES.length ? [...DIABETES_FEATURES] : data.featureNames,
  };
}
