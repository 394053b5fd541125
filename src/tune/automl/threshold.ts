import { join } from 'node:path';
import { DECISION_FILE, type DecisionRule } from '../../cli/decision.js';
import { writeFileAtomic } from '../../io/atomic.js';

/**
 * Metrics whose binary decision threshold AutoML tunes: F1 of the positive class depends on it
 * (the default 0.5 suits accuracy on calibrated probabilities, not F1 on a rare class).
 *
 * @example
 * ```ts
 * TUNED_THRESHOLD_METRICS.includes('f1'); // true
 * ```
 */
export const TUNED_THRESHOLD_METRICS: readonly string[] = ['f1'];

/** Thresholds tried: 0.05, 0.06, ..., 0.95. */
const GRID = Array.from({ length: 91 }, (_, i) => Math.round(5 + i) / 100);
/** Grid steps on either side averaged, so that one lucky row does not pick the threshold. */
const SMOOTH = 2;

function f1At(p1: ArrayLike<number>, truth: ArrayLike<number>, t: number): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const yes = p1[i]! > t;
    if (yes && truth[i] === 1) tp++;
    else if (yes) fp++;
    else if (truth[i] === 1) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * The decision threshold on the positive class's probability (class 1) that maximizes F1 on
 * validation predictions: each threshold of a 0.01 grid from 0.05 to 0.95 is scored by the mean
 * F1 of itself and its two neighbours on either side (the validation rows are few, and the
 * raw maximum would chase single rows), ties going to the one closest to 0.5. Returns the chosen
 * threshold with the (unsmoothed) F1 there and at 0.5.
 *
 * @example
 * ```ts
 * const { threshold, value, atHalf } = chooseThreshold(p1, labels); // 0.37, 0.81, 0.79
 * ```
 */
export function chooseThreshold(
  p1: ArrayLike<number>,
  truth: ArrayLike<number>,
): { threshold: number; value: number; atHalf: number } {
  if (p1.length !== truth.length || p1.length === 0)
    throw new Error(
      `chooseThreshold: ${p1.length} probabilities for ${truth.length} labels (need as many, at least one)`,
    );
  const raw = GRID.map((t) => f1At(p1, truth, t));
  let best = -1;
  let bestScore = -Infinity;
  GRID.forEach((t, i) => {
    const window = raw.slice(Math.max(0, i - SMOOTH), i + SMOOTH + 1);
    const score = window.reduce((s, v) => s + v, 0) / window.length;
    const closer = best >= 0 && Math.abs(t - 0.5) < Math.abs(GRID[best]! - 0.5);
    if (score > bestScore + 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && closer)) {
      best = i;
      bestScore = score;
    }
  });
  return { threshold: GRID[best]!, value: raw[best]!, atHalf: f1At(p1, truth, 0.5) };
}

/**
 * The positive class's probabilities of the saved model on the search's validation rows: the
 * weighted mean of the members' class probabilities (`[rows, 2]` each), as `kiln predict`
 * combines them.
 *
 * @example
 * ```ts
 * const p1 = positiveProbabilities([{ pred: probs, weight: 1 }]);
 * ```
 */
export function positiveProbabilities(
  members: readonly { pred: Float32Array; weight: number }[],
): Float64Array {
  const rows = members[0]!.pred.length / 2;
  const total = members.reduce((s, m) => s + m.weight, 0);
  const p1 = new Float64Array(rows);
  for (const m of members)
    for (let r = 0; r < rows; r++) p1[r]! += (m.weight / total) * m.pred[2 * r + 1]!;
  return p1;
}

/**
 * Chooses the saved model's decision threshold on its validation predictions and, when it
 * differs from 0.5 and scores better there than 0.5 (smoothed and as is), writes `decision.json` into the run folder (atomically), which `kiln eval`
 * and `kiln predict` then apply. Returns the rule, or null when 0.5 stays.
 *
 * @example
 * ```ts
 * const rule = await saveThreshold(runDir, members, labels, { metric: 'f1', positive: 'yes' });
 * ```
 */
export async function saveThreshold(
  runDir: string,
  members: readonly { pred: Float32Array; weight: number }[],
  truth: ArrayLike<number>,
  info: { metric: string; positive: string },
): Promise<DecisionRule | null> {
  const chosen = chooseThreshold(positiveProbabilities(members), truth);
  // Ensemble selection maximized the metric at 0.5 on these very rows, which can leave a spike
  // there that smoothing flattens: keep 0.5 unless the threshold also beats it unsmoothed.
  if (chosen.threshold === 0.5 || !(chosen.value > chosen.atHalf)) return null;
  const rule: DecisionRule = {
    type: 'decision',
    version: 1,
    threshold: chosen.threshold,
    positive: info.positive,
    metric: info.metric,
    value: chosen.value,
    atHalf: chosen.atHalf,
    rows: truth.length,
  };
  await writeFileAtomic(join(runDir, DECISION_FILE), `${JSON.stringify(rule, null, 2)}\n`);
  return rule;
}
