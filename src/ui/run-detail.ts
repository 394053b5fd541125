/** The run page's data: the store's record of a run plus what its folder holds. */
import { existsSync } from 'node:fs';
import { stringify } from 'yaml';
import { isImage, listRunFiles, type RunFile } from './files.js';
import type { DashboardSource, UiRunDetail } from './source.js';

/** A run as the run page receives it. */
export interface RunPage extends UiRunDetail {
  /** The resolved config as YAML (what `kiln train` would read back). */
  configYaml: string | null;
  /** Files of the run folder, and which of them are images. */
  files: RunFile[];
  images: string[];
}

/**
 * Reads a run with its folder's files and its config as YAML; undefined when there is no such
 * run.
 *
 * @example
 * ```ts
 * const page = await runPage(source, '42'); // page.images: ['plots/loss.svg', ...]
 * ```
 */
export async function runPage(source: DashboardSource, id: string): Promise<RunPage | undefined> {
  const run = await source.run(id);
  if (!run) return undefined;
  const files = run.runDir && existsSync(run.runDir) ? await listRunFiles(run.runDir) : [];
  const configYaml = run.config === null || run.config === undefined ? null : stringify(run.config);
  return { ...run, configYaml, files, images: files.map((f) => f.path).filter(isImage) };
}
