import { ValueError } from '../tensor/errors.js';
import type { StudyDirection } from './frozen-trial.js';
import { checkKnown } from './samplers/random.js';
import { TPESampler } from './samplers/tpe/sampler.js';
import { InMemoryStorage, type StudyRecord, type TuneStorage } from './storage.js';
import { openStore } from './store.js';
import { Study } from './study.js';
import { NopPruner, type Pruner, type Sampler } from './view.js';

/** Options of createStudy, Optuna's in camelCase. @example `k.tune.createStudy({ name: 'mlp', direction: 'maximize' })` */
export interface CreateStudyOptions {
  /** Study name (default: a generated one); needed to reopen a study. */
  name?: string;
  direction?: StudyDirection;
  /** Default: TPESampler with a clock seed, as Optuna. */
  sampler?: Sampler;
  /** Default: no pruning. */
  pruner?: Pruner;
  /** Where trials live: a storage object, or a SQLite path / 'postgresql://...' URL; default in memory. */
  store?: TuneStorage | string;
  /** Reopen a study of the same name instead of failing (default false). */
  loadIfExists?: boolean;
}

/** Options of loadStudy. @example `k.tune.loadStudy({ name: 'mlp', store: 'runs/kiln.db' })` */
export interface LoadStudyOptions {
  name: string;
  store: TuneStorage | string;
  sampler?: Sampler;
  pruner?: Pruner;
}

let generated = 0;

async function resolveStore(store: TuneStorage | string | undefined): Promise<TuneStorage> {
  if (store === undefined) return new InMemoryStorage();
  if (typeof store === 'string') return openStore(store);
  return store;
}

/**
 * Creates a study (or reopens it with `loadIfExists`).
 *
 * @example
 * ```ts
 * const study = await k.tune.createStudy({ name: 'demo', direction: 'minimize', sampler: new k.tune.TPESampler({ seed: 0 }) });
 * await study.optimize((t) => t.suggestFloat('x', -1, 1) ** 2, { nTrials: 30 });
 * ```
 */
export async function createStudy(options: CreateStudyOptions = {}): Promise<Study> {
  checkKnown('createStudy', options, [
    'name',
    'direction',
    'sampler',
    'pruner',
    'store',
    'loadIfExists',
  ]);
  const direction = options.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') {
    throw new ValueError(
      `createStudy: direction must be 'minimize' or 'maximize', got '${direction}'`,
    );
  }
  const storage = await resolveStore(options.store);
  const name = options.name ?? `study-${Date.now().toString(36)}-${process.pid}-${generated++}`;
  let record = await storage.getStudy(name);
  if (record && !options.loadIfExists) {
    throw new ValueError(
      `createStudy: a study named '${name}' already exists (pass loadIfExists: true to reuse it)`,
    );
  }
  if (record && record.direction !== direction) {
    throw new ValueError(
      `createStudy: study '${name}' exists with direction '${record.direction}', not '${direction}'`,
    );
  }
  record ??= await storage.createStudy(name, direction);
  return openStudy(storage, record, options);
}

/**
 * Reopens an existing study from a storage.
 *
 * @example
 * ```ts
 * const study = await k.tune.loadStudy({ name: 'demo', store: 'runs/kiln.db' });
 * console.log(study.bestParams);
 * ```
 */
export async function loadStudy(options: LoadStudyOptions): Promise<Study> {
  checkKnown('loadStudy', options, ['name', 'store', 'sampler', 'pruner']);
  const storage = await resolveStore(options.store);
  const record = await storage.getStudy(options.name);
  if (!record) throw new ValueError(`loadStudy: no study named '${options.name}' in this store`);
  return openStudy(storage, record, options);
}

/** A study object over a stored study record, with the given (or default) sampler and pruner. */
async function openStudy(
  storage: TuneStorage,
  record: StudyRecord,
  options: { sampler?: Sampler; pruner?: Pruner },
): Promise<Study> {
  const study = new Study(
    storage,
    record.studyId,
    record.name,
    record.direction,
    options.sampler ?? new TPESampler(),
    options.pruner ?? new NopPruner(),
  );
  await study.refresh();
  return study;
}
