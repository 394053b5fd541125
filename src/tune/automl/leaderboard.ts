import type { EnsembleManifest } from '../../cli/ensemble.js';
import type { StudyDirection } from '../frozen-trial.js';
import type { Study } from '../study.js';

/**
 * One trial of an AutoML search, as the leaderboard lists it.
 *
 * @example
 * ```ts
 * const row: LeaderboardRow = { rank: 1, trial: 4, state: 'complete', value: 0.98, scores: { accuracy: 0.98 }, epochs: 37, seconds: 4.2, params: { layers: 2 }, note: '', weight: 0.6 };
 * ```
 */
export interface LeaderboardRow {
  /** Position among complete trials by the objective (null for pruned and failed ones). */
  rank: number | null;
  trial: number;
  state: string;
  /** The objective: the metric's mean over the folds (null unless complete). */
  value: number | null;
  /** Every validation metric's mean over the folds. */
  scores: Record<string, number>;
  /** Epochs the refit of this candidate would train (mean best epoch over the folds). */
  epochs: number | null;
  seconds: number | null;
  params: Record<string, string | number | boolean>;
  /** Why a trial was pruned or failed. */
  note: string;
  /** The trial's weight in the saved ensemble (0 when it is not a member). */
  weight: number;
}

/**
 * The leaderboard of a study: complete trials best first, then the pruned and failed ones, each
 * with its weight in the saved ensemble (if any).
 *
 * @example
 * ```ts
 * leaderboard(study)[0]; // the best complete trial
 * leaderboard(study, manifest).filter((r) => r.weight > 0); // the ensemble's members
 * ```
 */
export function leaderboard(
  study: Study,
  ensemble: EnsembleManifest | null = null,
): LeaderboardRow[] {
  const weights = new Map(ensemble?.members.map((m) => [m.trial, m.weight]) ?? []);
  const sign = study.direction === 'maximize' ? -1 : 1;
  // A start candidate enqueued but never run (the trial limit came first) stays 'waiting': it was
  // not tried, so it is not on the board.
  const tried = study.trials.filter((t) => t.state !== 'waiting');
  const rows: LeaderboardRow[] = tried.map((t) => {
    const scores = (t.userAttrs.scores ?? {}) as Record<string, number>;
    const complete = t.state === 'complete';
    return {
      rank: null,
      trial: t.number,
      state: t.state,
      value: complete ? t.value : null,
      scores,
      epochs: typeof t.userAttrs.epochs === 'number' ? t.userAttrs.epochs : null,
      seconds:
        t.datetimeStart !== null && t.datetimeComplete !== null
          ? (t.datetimeComplete - t.datetimeStart) / 1000
          : null,
      params: { ...t.params } as Record<string, string | number | boolean>,
      note: t.error ?? (typeof t.userAttrs.note === 'string' ? t.userAttrs.note : ''),
      weight: weights.get(t.number) ?? 0,
    };
  });
  const complete = rows
    .filter((r) => r.value !== null)
    .sort((a, b) => sign * (a.value! - b.value!) || a.trial - b.trial);
  complete.forEach((r, i) => {
    r.rank = i + 1;
  });
  const rest = rows.filter((r) => r.value === null).sort((a, b) => a.trial - b.trial);
  return [...complete, ...rest];
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? fmt(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

function columns(rows: readonly LeaderboardRow[]): { scores: string[]; params: string[] } {
  const scores = [...new Set(rows.flatMap((r) => Object.keys(r.scores)))];
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  return { scores, params };
}

/**
 * The leaderboard as CSV: one row per trial, every score and parameter a column.
 *
 * @example
 * ```ts
 * await writeFile('leaderboard.csv', leaderboardCsv(leaderboard(study), 'accuracy'));
 * ```
 */
export function leaderboardCsv(rows: readonly LeaderboardRow[], metric: string): string {
  const { scores, params } = columns(rows);
  const header = [
    'rank',
    'trial',
    'state',
    metric,
    ...scores.map((s) => `cv_${s}`),
    'ensemble_weight',
    'epochs',
  ];
  const lines = [[...header, 'seconds', ...params, 'note'].join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.rank,
        r.trial,
        r.state,
        r.value,
        ...scores.map((s) => r.scores[s]),
        r.weight,
        r.epochs,
        r.seconds,
        ...params.map((p) => r.params[p]),
        r.note,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The leaderboard as a markdown table (for report.md).
 *
 * @example
 * ```ts
 * lines.push(...leaderboardMarkdown(rows, 'rmse', 'minimize'));
 * ```
 */
export function leaderboardMarkdown(
  rows: readonly LeaderboardRow[],
  metric: string,
  direction: StudyDirection,
): string[] {
  const { params } = columns(rows);
  const better = direction === 'maximize' ? 'higher' : 'lower';
  const lines = [
    `| rank | trial | state | ${metric} (${better} is better) | ensemble weight | epochs | seconds | ${params.join(' | ')} |`,
    `| ---: | ---: | --- | ---: | ---: | ---: | ---: |${params.map(() => ' --- |').join('')}`,
  ];
  for (const r of rows) {
    const value = r.value === null ? (r.note ? r.note.slice(0, 60) : '-') : fmt(r.value);
    lines.push(
      `| ${r.rank ?? '-'} | ${r.trial} | ${r.state} | ${value} | ${r.weight ? fmt(r.weight) : '-'} | ${r.epochs ?? '-'} | ${r.seconds === null ? '-' : r.seconds.toFixed(1)} | ${params.map((p) => cell(r.params[p]) || '-').join(' | ')} |`,
    );
  }
  return lines;
}
