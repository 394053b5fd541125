import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Standardize } from '../data/scalers.js';
import { tensor } from '../ops/creation.js';
import { DataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LoadedRun } from './inference.js';

/**
 * The file that makes a run folder an ensemble (written by `kiln automl --ensemble`).
 *
 * @example
 * ```ts
 * existsSync(join(runDir, ENSEMBLE_FILE)); // true for an ensemble run
 * ```
 */
export const ENSEMBLE_FILE = 'ensemble.json';

/**
 * An ensemble run folder's manifest: its own model is the first member (`dir: '.'`), the others
 * are complete run folders below it; predictions are the weighted mean of the members' class
 * probabilities (classification) or values in the target's units (regression).
 *
 * @example
 * ```ts
 * const m: EnsembleManifest = {
 *   type: 'ensemble', version: 1, metric: 'accuracy', value: 0.957, single: 0.951,
 *   members: [{ dir: '.', trial: 4, weight: 0.6 }, { dir: 'members/trial-9', trial: 9, weight: 0.4 }],
 * };
 * ```
 */
export interface EnsembleManifest {
  type: 'ensemble';
  version: 1;
  /** The metric the members were chosen by, on the search's validation rows. */
  metric: string;
  /** The ensemble's score there, and its best single member's (the run folder's own model). */
  value: number;
  single: number;
  members: { dir: string; trial: number; weight: number }[];
}

/**
 * The ensemble manifest of a run folder, or null for a single-model run. A malformed manifest is
 * a `DataError` naming the file and field.
 *
 * @example
 * ```ts
 * readEnsemble('runs/automl-churn')?.members.length; // 3
 * ```
 */
export function readEnsemble(runDir: string): EnsembleManifest | null {
  const path = join(runDir, ENSEMBLE_FILE);
  if (!existsSync(path)) return null;
  let m: EnsembleManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as EnsembleManifest;
  } catch {
    throw new DataError(`${path}: not valid JSON`);
  }
  if (m?.type !== 'ensemble' || m.version !== 1 || !Array.isArray(m.members) || !m.members.length)
    throw new DataError(`${path}: not an ensemble manifest (type "ensemble", version 1, members)`);
  for (const [i, member] of m.members.entries()) {
    if (typeof member?.dir !== 'string' || !(member.weight > 0))
      throw new DataError(`${path}: members[${i}] needs a dir and a positive weight`);
    if (i === 0 && member.dir !== '.')
      throw new DataError(`${path}: members[0].dir must be '.' (the run folder's own model)`);
  }
  return m;
}

/** One loaded member and its share of the vote. */
export interface EnsembleMember {
  run: LoadedRun;
  weight: number;
}

/**
 * Loads the members of an ensemble run: the run itself first, then the member folders (each a
 * complete run folder, loaded as `kiln eval` loads one).
 *
 * @example
 * ```ts
 * const members = await loadMembers(run, manifest, loadRun);
 * ```
 */
export async function loadMembers(
  run: LoadedRun,
  manifest: EnsembleManifest,
  load: (path: string) => Promise<LoadedRun>,
): Promise<EnsembleMember[]> {
  const total = manifest.members.reduce((s, m) => s + m.weight, 0);
  const members: EnsembleMember[] = [];
  for (const m of manifest.members) {
    const member = m.dir === '.' ? run : await load(resolve(run.runDir, m.dir));
    if (member.record.task !== run.record.task)
      throw new DataError(
        `${join(run.runDir, m.dir)}: a ${member.record.task} member in a ${run.record.task} ensemble`,
      );
    members.push({ run: member, weight: m.weight / total });
  }
  return members;
}

/**
 * Combines the members' raw outputs (each on its own preprocessing of the same rows) into one
 * output in the run folder's own terms, so that eval and predict treat it as the run's model
 * output: for classification the log of the weighted mean of the members' class probabilities
 * (its softmax is that mean), for regression the weighted mean of their values in the target's
 * units, standardized again as the run's own model outputs are.
 *
 * @example
 * ```ts
 * const output = combineOutputs(members, outputs); // [rows, classes] or [rows, 1]
 * ```
 */
export function combineOutputs(members: readonly EnsembleMember[], outputs: Tensor[]): Tensor {
  const first = members[0]!.run;
  const rows = outputs[0].shape[0]!;
  if (first.record.task === 'classification') {
    let mean: Tensor | null = null;
    members.forEach((m, i) => {
      const o = outputs[i]!;
      if (o.ndim !== 2 || o.shape[1]! < 2)
        throw new DataError(
          `${m.run.runDir}: an ensemble member must output one score per class, got shape [${o.shape.join(', ')}]`,
        );
      const p = o.softmax(1).mul(m.weight);
      mean = mean ? mean.add(p) : p;
    });
    return mean!.clamp(1e-12, 1).log();
  }
  const units = (run: LoadedRun) => {
    const t = run.record.preprocessing.target;
    return t ? Standardize.fromJSON(t) : null;
  };
  const sum = new Float64Array(rows);
  members.forEach((m, i) => {
    const s = units(m.run);
    const v = outputs[i]!.reshape([-1]).dataSync();
    for (let r = 0; r < rows; r++)
      sum[r]! += m.weight * (s ? v[r]! * s.std[0]! + s.mean[0]! : v[r]!);
  });
  const own = units(first);
  const out = Float32Array.from(sum, (v) => (own ? (v - own.mean[0]!) / own.std[0]! : v));
  return tensor(out, { shape: [rows, 1] });
}
