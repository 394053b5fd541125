import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DECISION_FILE } from '../../cli/decision.js';
import { ENSEMBLE_FILE } from '../../cli/ensemble.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { StudyDirection } from '../frozen-trial.js';
import type { AutomlResult } from './automl.js';
import { leaderboardCsv, leaderboardMarkdown } from './leaderboard.js';

/**
 * Files AutoML adds to the run folder of its refit.
 *
 * @example
 * ```ts
 * join(runDir, AUTOML_FILES.config); // <run>/automl.yaml
 * ```
 */
export const AUTOML_FILES = { config: 'automl.yaml', leaderboard: 'leaderboard.csv' } as const;

/**
 * Writes the reproducing config (`automl.yaml`, a plain `kiln train` config), the leaderboard of
 * every trial (`leaderboard.csv`) and an AutoML section in `report.md`: the budget and the time
 * used, the trials, how candidates were scored, the winner and its test scores.
 *
 * @example
 * ```ts
 * await writeAutomlFiles(result, rawConfig, { budget: 300, direction: 'maximize', data: 'penguins.csv' });
 * ```
 */
export async function writeAutomlFiles(
  result: AutomlResult,
  raw: Record<string, unknown>,
  info: { budget: number; direction: StudyDirection; data: string },
): Promise<void> {
  const { runDir, trials } = result;
  const header = [
    `# Written by kiln automl: trial ${result.bestTrial} of the search on ${info.data}, refit on the`,
    `# training rows for the mean best epoch count of its folds. Reproduce the run with:`,
    `#   kiln train ${join(runDir, AUTOML_FILES.config)}`,
    ...(result.ensemble
      ? [
          `# This run is an ensemble (${ENSEMBLE_FILE}); this config reproduces its first member, and`,
          `# each other member's folder under members/ holds the config.json that reproduces it.`,
        ]
      : []),
    '',
  ].join('\n');
  await writeFileAtomic(join(runDir, AUTOML_FILES.config), `${header}${stringify(raw)}`);
  await writeFileAtomic(
    join(runDir, AUTOML_FILES.leaderboard),
    leaderboardCsv(result.leaderboard, result.metric),
  );
  const total = trials.complete + trials.pruned + trials.failed;
  const test = scoreText(result.test);
  const lines = [
    '## AutoML',
    '',
    `- data: ${info.data}, target ${String((raw.data as { target: string }).target)}, task ${result.task}`,
    `- budget: ${info.budget}s; search ${result.searchSeconds.toFixed(1)}s, search and refit ${result.seconds.toFixed(1)}s`,
    `- trials: ${total} (${trials.complete} complete, ${trials.pruned} pruned, ${trials.failed} failed); sampler TPE, median pruning after each ${result.scheme.startsWith('one') ? 'epoch' : 'fold'}`,
    `- scoring: ${result.metric} by ${result.scheme}; the test rows were never seen by the search`,
    `- best: trial ${result.bestTrial}, ${result.metric} ${result.bestValue.toFixed(4)}; refit as ${AUTOML_FILES.config}`,
    ...ensembleLines(result),
    ...decisionLines(result),
    `- test (${result.ensemble ? 'the ensemble' : 'refit model'}${result.decision ? `, threshold ${result.decision.threshold}` : ''}, held-out rows): ${test}`,
    ...(result.ensemble || result.decision
      ? [
          `- test (trial ${result.bestTrial} alone${result.decision ? ', most probable class' : ''}): ${scoreText(result.singleTest)}`,
        ]
      : []),
    '',
    '### Leaderboard',
    '',
    ...leaderboardMarkdown(result.leaderboard, result.metric, info.direction),
    '',
  ];
  const reportPath = join(runDir, 'report.md');
  const report = await readFile(reportPath, 'utf8');
  await writeFileAtomic(reportPath, `${report.trimEnd()}\n\n${lines.join('\n')}`);
}

function scoreText(scores: Record<string, number> | null): string {
  return scores
    ? Object.entries(scores)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')
    : 'none';
}

/** The saved decision threshold and what it did on the validation rows. */
function decisionLines(result: AutomlResult): string[] {
  const d = result.decision;
  if (!d) return [];
  return [
    `- decision threshold (${DECISION_FILE}): predict ${d.positive} when p(${d.positive}) > ${d.threshold} instead of 0.5, chosen for ${d.metric} on the ${d.rows} validation rows (${d.value.toFixed(4)} there against ${d.atHalf.toFixed(4)} at 0.5); \`kiln eval\` and \`kiln predict\` apply it, ROC-AUC and the loss do not depend on it`,
  ];
}

/** What the ensemble is, and how it compares with its best member on the validation rows. */
function ensembleLines(result: AutomlResult): string[] {
  const e = result.ensemble;
  if (!e) return [];
  const members = e.members
    .map(
      (m) =>
        `trial ${m.trial} (${m.dir === '.' ? 'this folder' : m.dir}, weight ${m.weight.toFixed(3)})`,
    )
    .join(', ');
  return [
    `- ensemble (${ENSEMBLE_FILE}): the mean of ${e.members.length} refit models' ${result.task === 'classification' ? 'class probabilities' : 'predictions'}, chosen greedily (Caruana et al., 2004) on the search's validation predictions: ${members}`,
    `- ensemble ${e.metric} on the validation rows ${e.value.toFixed(4)}, best trial alone ${e.single.toFixed(4)} (pooled over the same rows; the ensemble was chosen there, so its figure is optimistic, and the test rows below are the fair comparison)`,
  ];
}
