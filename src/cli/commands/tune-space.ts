/**
 * `kiln tune` and a study's search space: the `search:` section a study was created with is kept
 * in its attributes, and a rerun whose section differs is refused (or, with
 * `--allow-search-change`, continued and recorded), since trials drawn from another space mislead
 * the sampler (TPE models the new ranges with the old points).
 */
import { ConfigError } from '../../tensor/errors.js';
import type { StudyRecord, TrackStore } from '../../track/types.js';
import type { ConfigSearchSpace } from '../../tune/config-search.js';
import {
  type Distribution,
  describeDistribution,
  sameDistribution,
} from '../../tune/distributions.js';

/** The study attribute holding the search space. */
export const SEARCH_ATTR = 'search';

/**
 * How `current` differs from `previous`, one line per path: changed ranges (old -> new), added and
 * removed paths, sorted by path.
 *
 * @example
 * ```ts
 * spaceChanges({ lr: a }, { lr: b, wd: c }); // ['lr: float(0.001, 0.1, log) -> float(0.0001, 0.1, log)', 'wd: added']
 * ```
 */
export function spaceChanges(
  previous: Readonly<Record<string, Distribution>>,
  current: ConfigSearchSpace,
): string[] {
  const out: string[] = [];
  const paths = [...new Set([...Object.keys(previous), ...Object.keys(current)])].sort();
  for (const path of paths) {
    const was = previous[path];
    const now = current[path];
    if (!was) out.push(`${path}: added`);
    else if (!now) out.push(`${path}: removed`);
    else if (!sameDistribution(was, now))
      out.push(`${path}: ${describeDistribution(was)} -> ${describeDistribution(now)}`);
  }
  return out;
}

/** The space the study's trials were drawn from, for studies created before it was recorded. */
async function spaceOfTrials(
  store: TrackStore,
  study: StudyRecord,
): Promise<Record<string, Distribution> | null> {
  const trials = await store.listTrials(study.id);
  if (trials.length === 0) return null;
  const space: Record<string, Distribution> = {};
  for (const t of trials) Object.assign(space, t.distributions as Record<string, Distribution>);
  return space;
}

/**
 * Opens (or creates, recording `space`) the study `name` in the store and checks that it was run
 * with the same search space. A different space throws a ConfigError naming each changed path,
 * unless `allowChange`; then the new space is recorded (and the change logged) and the study goes
 * on with it.
 */
export async function openStudyWithSpace(
  store: TrackStore,
  options: {
    name: string;
    direction: StudyRecord['direction'];
    space: ConfigSearchSpace;
    file: string;
    allowChange: boolean;
    log: (line: string) => void;
  },
): Promise<void> {
  const { name, space } = options;
  const study = await store.createStudy(
    { name, direction: options.direction, attrs: { [SEARCH_ATTR]: space } },
    { loadIfExists: true },
  );
  const recorded = study.attrs[SEARCH_ATTR] as Record<string, Distribution> | undefined;
  const previous = recorded ?? (await spaceOfTrials(store, study));
  const changes = previous ? spaceChanges(previous, space) : [];
  if (changes.length > 0 && !options.allowChange) {
    throw new ConfigError(
      `${options.file}: search: study '${name}' in ${store.location} was run with another search space (${changes.join('; ')}); its trials would mislead the sampler. Give the new space a new study (tune.study or --study NAME), or pass --allow-search-change to continue this one with it`,
    );
  }
  if (changes.length > 0) {
    options.log(
      `note: study ${name}: search space changed (${changes.join('; ')}); continuing as --allow-search-change asks`,
    );
  }
  if (changes.length > 0 || recorded === undefined) {
    await store.setStudyAttrs(study.id, { [SEARCH_ATTR]: space });
  }
}
