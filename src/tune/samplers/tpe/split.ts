import type { FrozenTrial, StudyDirection } from '../../frozen-trial.js';
import { lastStep } from '../../frozen-trial.js';

/**
 * Splits trials into the `nBelow` best and the rest, as Optuna's TPE: complete trials by value,
 * then pruned trials by how far they got (later last step first) and their value there; running
 * trials (constant liar) always go above. Both halves are returned ordered by trial number, so
 * that observation weights ramp with age.
 * @internal
 */
export function splitTrials(
  trials: readonly FrozenTrial[],
  nBelow: number,
  direction: StudyDirection,
): [FrozenTrial[], FrozenTrial[]] {
  const sign = direction === 'minimize' ? 1 : -1;
  const complete: FrozenTrial[] = [];
  const pruned: FrozenTrial[] = [];
  const running: FrozenTrial[] = [];
  for (const t of trials) {
    if (t.state === 'complete') complete.push(t);
    else if (t.state === 'pruned') pruned.push(t);
    else if (t.state === 'running') running.push(t);
  }
  complete.sort(
    (a, b) => sign * ((a.value as number) - (b.value as number)) || a.number - b.number,
  );
  const below = complete.slice(0, Math.max(0, nBelow));
  const above = complete.slice(Math.max(0, nBelow));
  const rest = Math.max(0, nBelow - below.length);
  const scored = pruned.map((t) => ({ t, key: prunedScore(t, sign) }));
  scored.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.t.number - b.t.number);
  below.push(...scored.slice(0, rest).map((s) => s.t));
  above.push(...scored.slice(rest).map((s) => s.t), ...running);
  below.sort((a, b) => a.number - b.number);
  above.sort((a, b) => a.number - b.number);
  return [below, above];
}

function prunedScore(t: FrozenTrial, sign: number): [number, number] {
  const step = lastStep(t);
  if (step === null) return [1, 0];
  const v = t.intermediateValues.get(step) as number;
  if (Number.isNaN(v)) return [-step, Infinity];
  return [-step, sign * v];
}
