import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Logs } from '../train/callback.js';
import type { TrainConfig } from './config.js';
import { RUN_FILES } from './run-dir.js';

/** What the short run report summarizes. */
export interface ReportData {
  config: TrainConfig;
  history: Logs[];
  test: Logs | null;
  secondsPerEpoch: number[];
  parameters: number;
  /** Events worth a line: early stopping, values changed on resume. */
  notes?: string[];
}

function fmt(v: number | undefined): string {
  return v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toFixed(4);
}

/** Writes `report.md`: the setup, one row per epoch, and the test results. */
export async function writeReport(runDir: string, data: ReportData): Promise<void> {
  const { config, history, test } = data;
  const columns = [...new Set(history.flatMap((h) => Object.keys(h)))];
  const lines = [
    `# ${config.name}`,
    '',
    `- data: ${config.data.format} ${config.data.path ?? config.data.train ?? ''}`,
    `- model: ${config.model.map((l) => l.type).join(' -> ')} (${data.parameters} parameters)`,
    `- optimizer: ${config.optimizer.type} ${JSON.stringify({ ...config.optimizer, type: undefined })}`,
    `- loss: ${typeof config.loss === 'string' ? config.loss : config.loss.type}; epochs ${config.training.epochs}, batch ${config.training.batchSize}, seed ${config.seed}`,
    '',
    '## Epochs',
    '',
    `| epoch | ${columns.join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...history.map((h, i) => `| ${i + 1} | ${columns.map((c) => fmt(h[c])).join(' | ')} |`),
    '',
  ];
  if (data.notes?.length) lines.push('## Notes', '', ...data.notes.map((n) => `- ${n}`), '');
  if (test) {
    lines.push('## Test', '', ...Object.entries(test).map(([k, v]) => `- ${k}: ${fmt(v)}`), '');
  }
  await writeFileAtomic(join(runDir, RUN_FILES.report), `${lines.join('\n')}\n`);
}
