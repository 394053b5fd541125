import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ConfigError } from '../tensor/errors.js';
import type { TrainConfig } from './config.js';
import { RUN_FILES } from './run-dir.js';

/** One field whose value differs between a run's stored config and the resumed one. */
export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** A resume that changed the config: when, and what. */
export interface ResumeRecord {
  /** Epochs finished before the change (the change applies from epoch `epoch + 1`). */
  epoch: number;
  changes: ConfigChange[];
}

/** Fields that may change on resume; every other difference is refused. */
const CHANGEABLE = ['training.epochs', 'optimizer.lr'];
/** Fields that name the run rather than describe it. */
const IGNORED = ['name', 'output.dir'];

function leaves(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${key}` : key, out);
  } else if (value !== undefined) {
    out.set(prefix, value);
  }
}

/** The fields whose values differ between two configs (JSON leaves, arrays compared whole). */
export function configChanges(before: TrainConfig, after: TrainConfig): ConfigChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  leaves(before, '', a);
  leaves(after, '', b);
  const fields = [...new Set([...a.keys(), ...b.keys()])].filter((f) => !IGNORED.includes(f));
  return fields
    .filter((f) => JSON.stringify(a.get(f)) !== JSON.stringify(b.get(f)))
    .map((field) => ({ field, from: a.get(field) ?? null, to: b.get(field) ?? null }));
}

/**
 * Checks what a resume changes against the run's stored config: the number of epochs and the
 * learning rate may change (without a schedule, which sets the lr itself); anything else would
 * make the run folder describe a run that never happened, so it is refused.
 */
export function checkResumeChanges(changes: readonly ConfigChange[], config: TrainConfig): void {
  for (const c of changes) {
    const what = `${c.field} (${JSON.stringify(c.from)} in the run, ${JSON.stringify(c.to)} now)`;
    if (!CHANGEABLE.includes(c.field))
      throw new ConfigError(
        `--resume: cannot change ${what}; only ${CHANGEABLE.join(' and ')} can change when resuming (train without --resume for a new run)`,
      );
    if (c.field === 'optimizer.lr' && config.schedule)
      throw new ConfigError(
        `--resume: cannot change ${what}: schedule ${config.schedule.type} sets the learning rate every epoch`,
      );
  }
}

/** Sets a new learning rate on every param group after the optimizer state was restored. */
export function applyResumeChanges(changes: readonly ConfigChange[], optimizer: Optimizer): void {
  const lr = changes.find((c) => c.field === 'optimizer.lr')?.to;
  if (typeof lr !== 'number') return;
  for (const group of optimizer.paramGroups) {
    group.lr = lr;
    if (group.initialLr !== undefined) group.initialLr = lr;
  }
}

/** The run's stored config (config.json), as trained so far. */
export function storedConfig(runDir: string): TrainConfig | null {
  const path = join(runDir, RUN_FILES.config);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as TrainConfig;
}

/** The resumes recorded so far (resumes.json), oldest first. */
export function readResumes(runDir: string): ResumeRecord[] {
  const path = join(runDir, RUN_FILES.resumes);
  if (!existsSync(path)) return [];
  return JSON.parse(readFileSync(path, 'utf8')) as ResumeRecord[];
}

/** Appends a resume's changes to resumes.json, so the run folder says which values applied when. */
export async function recordResume(runDir: string, record: ResumeRecord): Promise<ResumeRecord[]> {
  const all = [...readResumes(runDir), record];
  await writeFileAtomic(join(runDir, RUN_FILES.resumes), `${JSON.stringify(all, null, 2)}\n`);
  return all;
}
