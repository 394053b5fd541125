/**
 * The end of `kiln tune`: the study's summary files (best.yaml, final.yaml, trials.csv), the
 * parameter importance table, and the best config retrained on train + validation and tested.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../io/atomic.js';
import { KilnError } from '../../tensor/errors.js';
import { applyParams } from '../../tune/config-search.js';
import type { FrozenTrial } from '../../tune/frozen-trial.js';
import { importance } from '../../tune/importance/index.js';
import type { Study } from '../../tune/study.js';
import { resolveConfigPaths, validateConfig } from '../config.js';
import { trainCommand } from '../train.js';
import type { TuneConfig } from './tune-config.js';
import { formatValue } from './tune-progress.js';

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every trial of the study as CSV: number, state, value, seconds, each parameter, error. */
export function trialsCsv(trials: readonly FrozenTrial[], params: readonly string[]): string {
  const rows = [['number', 'state', 'value', 'seconds', ...params, 'error'].join(',')];
  for (const t of trials) {
    const seconds =
      t.datetimeStart !== null && t.datetimeComplete !== null
        ? ((t.datetimeComplete - t.datetimeStart) / 1000).toFixed(3)
        : '';
    rows.push(
      [t.number, t.state, t.value, seconds, ...params.map((p) => t.params[p]), t.error]
        .map(csvCell)
        .join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}

/**
 * The config the final model trains: the best one without its validation split (so it learns
 * from train + validation; the test split is drawn first, so it stays the same). Callbacks that
 * watch validation values change: early stopping becomes the epoch count the best trial reached,
 * and plateau/checkpoint monitors watch the training value instead.
 */
export function finalConfig(
  best: Record<string, unknown>,
  bestEpochs: number | null,
): Record<string, unknown> {
  const c = structuredClone(best) as Record<string, Record<string, unknown>>;
  if (c.split) {
    delete c.split.validation;
    if (Object.keys(c.split).length === 0) delete c.split;
  }
  const callbacks = c.callbacks as Record<string, Record<string, unknown> | boolean> | undefined;
  if (callbacks) {
    if (callbacks.earlyStopping) {
      delete callbacks.earlyStopping;
      if (bestEpochs) c.training = { ...c.training, epochs: bestEpochs };
    }
    for (const name of ['reduceLROnPlateau', 'checkpoint'] as const) {
      const cb = callbacks[name];
      if (cb && typeof cb === 'object') {
        const monitor =
          (cb.monitor as string | undefined) ?? (name === 'checkpoint' ? undefined : 'val_loss');
        if (monitor?.startsWith('val_')) cb.monitor = monitor.slice(4);
      }
    }
  }
  return c;
}

function yamlFile(header: string[], config: unknown): string {
  return `${header.map((h) => `# ${h}`).join('\n')}\n${stringify(config)}`;
}

/** Writes the study summary, prints the importance table, then retrains and tests the best config. */
export async function finishStudy(
  study: Study,
  config: TuneConfig,
  options: { store: string; log: (line: string) => void; studyDir: string },
): Promise<{ runDir: string; test: Record<string, number> | null }> {
  const { log, studyDir } = options;
  await study.refresh();
  const trials = study.trials;
  const params = Object.keys(config.space);
  await mkdir(studyDir, { recursive: true });
  await writeFileAtomic(join(studyDir, 'trials.csv'), trialsCsv(trials, params));
  const complete = trials.filter((t) => t.state === 'complete');
  if (complete.length === 0) {
    const failed = trials.find((t) => t.state === 'failed');
    throw new KilnError(
      `study '${study.name}': no trial completed${failed ? ` (trial ${failed.number} failed: ${failed.error})` : ''}; see ${join(studyDir, 'trials.csv')}`,
    );
  }
  const best = study.bestTrial;
  const counts = ['complete', 'pruned', 'failed'].map(
    (s) => `${trials.filter((t) => t.state === s).length} ${s}`,
  );
  log(
    `study ${study.name}: ${trials.length} trials (${counts.join(', ')}); best trial ${best.number}: ${config.tune.metric} ${formatValue(best.value!)}`,
  );
  log(
    `  ${Object.entries(best.params)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join('  ')}`,
  );
  printImportance(study, log);

  const bestRaw = applyParams(config.raw, best.params);
  const bestPath = join(studyDir, 'best.yaml');
  await writeFileAtomic(
    bestPath,
    yamlFile(
      [
        `The best trial (${best.number}) of study ${study.name}: ${config.tune.metric} ${best.value}.`,
        `A plain kiln train config: \`kiln train ${bestPath}\` trains that trial again.`,
      ],
      bestRaw,
    ),
  );
  log(`best config written to ${bestPath}`);
  const epochs = best.userAttrs.epochs;
  const finalRaw = finalConfig(bestRaw, typeof epochs === 'number' ? epochs : null);
  finalRaw.name = `${study.name}-final`;
  finalRaw.output = { dir: studyDir };
  const finalPath = join(studyDir, 'final.yaml');
  await writeFileAtomic(
    finalPath,
    yamlFile(
      [`The best config of study ${study.name} trained on train + validation (the final model).`],
      finalRaw,
    ),
  );
  log(`retraining the best config on train + validation (${finalPath})`);
  const final = resolveConfigPaths(validateConfig(finalRaw, finalPath));
  const result = await trainCommand(final, { resume: false, store: options.store, log });
  if (result.test)
    log(
      `final model test: ${Object.entries(result.test)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join('  ')}`,
    );
  log(`final model saved to ${result.runDir}`);
  return { runDir: result.runDir, test: result.test };
}

/** The fANOVA importance of each searched parameter, as a table. */
function printImportance(study: Study, log: (line: string) => void): void {
  let scores: Record<string, number>;
  try {
    scores = importance(study, { seed: 0 });
  } catch (e) {
    log(`parameter importance: not computed (${(e as Error).message})`);
    return;
  }
  const names = Object.keys(scores);
  if (names.length === 0) return;
  const width = Math.max(9, ...names.map((n) => n.length));
  log('parameter importance (fANOVA):');
  log(`  ${'parameter'.padEnd(width)}  importance`);
  for (const n of names) {
    const bar = '#'.repeat(Math.round(scores[n]! * 30));
    log(`  ${n.padEnd(width)}  ${scores[n]!.toFixed(3).padStart(10)}  ${bar}`);
  }
}
