import { join } from 'node:path';
import { resolveConfigPaths, validateConfig } from '../../cli/config.js';
import { ENSEMBLE_FILE, type EnsembleManifest } from '../../cli/ensemble.js';
import { evalCommand } from '../../cli/inference.js';
import { trainCommand } from '../../cli/train.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { FrozenTrial } from '../frozen-trial.js';
import { type ConfigBase, candidateConfig } from './config.js';
import type { EnsembleSelection } from './ensemble.js';
import type { Candidate } from './space.js';

/**
 * The refit members of an ensemble, as saved: the manifest, and the test scores of the
 * ensemble (the run folder's predictions) next to its best member's alone.
 *
 * @example
 * ```ts
 * const saved: SavedEnsemble = { manifest, test: { accuracy: 0.95 }, dirs: ['.', 'members/trial-9'] };
 * ```
 */
export interface SavedEnsemble {
  manifest: EnsembleManifest;
  /** `kiln eval` of the ensemble run on its test rows. */
  test: Record<string, number>;
}

/** Where member `trial` of an ensemble lives, relative to the run folder. */
export function memberDir(trial: number): string {
  return join('members', `trial-${trial}`);
}

/**
 * The `kiln train` config (plain JSON) that refits a trial's candidate on all training rows.
 *
 * @example
 * ```ts
 * const raw = trialConfig(best, base);
 * ```
 */
export function trialConfig(t: FrozenTrial, base: ConfigBase): Record<string, unknown> {
  const candidate = t.userAttrs.candidate as unknown as Candidate;
  return candidateConfig(
    candidate,
    base,
    t.userAttrs.epochs as number,
    t.userAttrs.batchSize as number,
  );
}

/**
 * Refits the ensemble's members other than the run folder's own model (the best trial, already
 * refit there) into `<runDir>/members/trial-<n>`, each a complete run folder trained from its
 * own config on the same training rows, writes the manifest that makes `kiln eval` and `kiln
 * predict` average them, and scores the ensemble on the test rows with `kiln eval`.
 *
 * @example
 * ```ts
 * const saved = await saveEnsemble(runDir, best, selection, trials, base, { metric: 'accuracy', log });
 * ```
 */
export async function saveEnsemble(
  runDir: string,
  best: number,
  selection: EnsembleSelection,
  trials: readonly FrozenTrial[],
  base: ConfigBase,
  options: { metric: string; store: string | undefined; log: (line: string) => void },
): Promise<SavedEnsemble> {
  const members: EnsembleManifest['members'] = [];
  const own = selection.members.find((m) => m.trial === best);
  members.push({ dir: '.', trial: best, weight: own?.weight ?? 0 });
  for (const m of selection.members) {
    if (m.trial === best) continue;
    const t = trials.find((x) => x.number === m.trial)!;
    const raw = trialConfig(t, {
      ...base,
      out: join(runDir, 'members'),
      name: `trial-${m.trial}`,
    });
    options.log(`ensemble: refitting trial ${m.trial} (weight ${m.weight.toFixed(3)})`);
    await trainCommand(resolveConfigPaths(validateConfig(raw, 'automl')), {
      resume: false,
      log: () => {},
      ...(options.store ? { store: options.store } : {}),
    });
    members.push({ dir: memberDir(m.trial), trial: m.trial, weight: m.weight });
  }
  const manifest: EnsembleManifest = {
    type: 'ensemble',
    version: 1,
    metric: options.metric,
    value: selection.value,
    single: selection.single,
    members,
  };
  await writeFileAtomic(join(runDir, ENSEMBLE_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const test = await evalCommand(runDir, { log: () => {} });
  return { manifest, test };
}
