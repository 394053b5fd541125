import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
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
    '',
  ].join('\n');
  await writeFileAtomic(join(runDir, AUTOML_FILES.config), `${header}${stringify(raw)}`);
  await writeFileAtomic(
    join(runDir, AUTOML_FILES.leaderboard),
    leaderboardCsv(result.leaderboard, result.metric),
  );
  const total = trials.complete + trials.pruned + trials.failed;
  const test = result.test
    ? Object.entries(result.test)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')
    : 'none';
  const lines = [
    '## AutoML',
    '',
    `- data: ${info.data}, target ${String((raw.data as { target: string }).target)}, task ${result.task}`,
    `- budget: ${info.budget}s; search ${result.searchSeconds.toFixed(1)}s, search and refit ${result.seconds.toFixed(1)}s`,
    `- trials: ${total} (${trials.complete} complete, ${trials.pruned} pruned, ${trials.failed} failed); sampler TPE, median pruning after each ${result.scheme.startsWith('one') ? 'epoch' : 'fold'}`,
    `- scoring: ${result.metric} by ${result.scheme}; the test rows were never seen by the search`,
    `- best: trial ${result.bestTrial}, ${result.metric} ${result.bestValue.toFixed(4)}; refit as ${AUTOML_FILES.config}`,
    `- test (refit model, held-out rows): ${test}`,
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
