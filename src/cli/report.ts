import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Logs } from '../train/callback.js';
import type { TrainConfig } from './config.js';
import { confusionMatrixSvg, lineChart, type Marker } from './plots/svg.js';
import type { ResumeRecord } from './resume.js';
import { RUN_FILES } from './run-dir.js';

/** One epoch of the whole run: its number (from 1) and the values logged for it. */
export interface EpochRow {
  epoch: number;
  logs: Logs;
}

/** How early stopping ended the run, for the report and the curves. */
export interface EarlyStopEvent {
  line: string;
  /** The best epoch (from 1). */
  bestEpoch: number;
  restored: boolean;
}

/** What the run report summarizes. */
export interface ReportData {
  config: TrainConfig;
  /** Every epoch of the run, across resumes (read with {@link readEpochRows}). */
  epochs: EpochRow[];
  test: Logs | null;
  parameters: number;
  /** Every resume of the run, oldest first, with the values it changed. */
  resumes: ResumeRecord[];
  earlyStop: EarlyStopEvent | null;
  /** Test-split confusion matrix of a classification run, with class names. */
  confusion: { matrix: number[][]; classes: string[] } | null;
}

/** Folder of a run's SVG plots. */
export const PLOTS_DIR = 'plots';
const NOT_PLOTTED = new Set(['epoch', 'seconds', 'lr']);

/**
 * The per-epoch rows of a run's metrics.csv: the whole run, resumed parts included (the CSV
 * logger appends on resume and keeps one row per epoch).
 */
export function readEpochRows(runDir: string): EpochRow[] {
  const path = join(runDir, RUN_FILES.metrics);
  if (!existsSync(path)) return [];
  const [header, ...rows] = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  if (!header) return [];
  const columns = header.split(',');
  return rows.map((row) => {
    const cells = row.split(',');
    const logs: Logs = {};
    columns.forEach((c, i) => {
      if (c !== 'epoch' && cells[i] !== undefined && cells[i] !== '') logs[c] = Number(cells[i]);
    });
    return { epoch: Number(cells[0]), logs };
  });
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

function series(epochs: EpochRow[], key: string): [number, number][] {
  return epochs.filter((e) => e.logs[key] !== undefined).map((e) => [e.epoch, e.logs[key]!]);
}

/** The SVG files of a run: loss, each metric (train and validation), the lr, the confusion matrix. */
export function runPlots(data: ReportData): { file: string; title: string; svg: string }[] {
  const { epochs } = data;
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e.logs)))];
  const markers: Marker[] = data.resumes.map((r) => ({ x: r.epoch + 0.5, label: 'resumed' }));
  if (data.earlyStop) markers.push({ x: data.earlyStop.bestEpoch, label: 'best' });
  const plots: { file: string; title: string; svg: string }[] = [];
  const bases = keys.filter((k) => !k.startsWith('val_') && !NOT_PLOTTED.has(k));
  for (const key of keys.filter((k) => k.startsWith('val_'))) {
    if (!bases.includes(key.slice(4))) bases.push(key.slice(4));
  }
  for (const base of bases) {
    const lines = [
      { name: `train ${base}`, points: series(epochs, base) },
      { name: `validation ${base}`, points: series(epochs, `val_${base}`), dashed: true },
    ].filter((s) => s.points.length > 0);
    const svg = lineChart({ title: base, xLabel: 'epoch', yLabel: base, series: lines, markers });
    plots.push({ file: `${base.replace(/[^A-Za-z0-9_-]/g, '_')}.svg`, title: base, svg });
  }
  const lr = series(epochs, 'lr');
  if (lr.length > 0) {
    const ys = lr.map(([, y]) => y);
    const logY = Math.min(...ys) > 0 && Math.max(...ys) / Math.min(...ys) > 10;
    plots.push({
      file: 'lr.svg',
      title: 'learning rate',
      svg: lineChart({
        title: 'learning rate',
        xLabel: 'epoch',
        yLabel: 'lr',
        series: [{ name: 'lr', points: lr }],
        markers,
        logY,
      }),
    });
  }
  if (data.confusion) {
    plots.push({
      file: 'confusion-matrix.svg',
      title: 'confusion matrix (test)',
      svg: confusionMatrixSvg(data.confusion.matrix, data.confusion.classes),
    });
  }
  return plots;
}

/**
 * Writes `report.md` and its SVG plots (`plots/`): the setup, the curves, the events of the run
 * (resumes and what they changed, early stopping, restored weights), one row per epoch of the
 * whole run, and the test results with the confusion matrix.
 */
export async function writeReport(runDir: string, data: ReportData): Promise<void> {
  const { config, epochs, test } = data;
  const plots = runPlots(data);
  await mkdir(join(runDir, PLOTS_DIR), { recursive: true });
  for (const p of plots) await writeFileAtomic(join(runDir, PLOTS_DIR, p.file), p.svg);
  const columns = [...new Set(epochs.flatMap((e) => Object.keys(e.logs)))];
  const optimizer = Object.fromEntries(
    Object.entries(config.optimizer).filter(([k]) => k !== 'type'),
  );
  const lines = [
    `# ${config.name}`,
    '',
    `- data: ${config.data.format} ${config.data.path ?? config.data.train ?? ''}`,
    `- model: ${config.model.map((l) => l.type).join(' -> ')} (${data.parameters} parameters)`,
    `- optimizer: ${config.optimizer.type} ${JSON.stringify(optimizer)}`,
    `- loss: ${typeof config.loss === 'string' ? config.loss : config.loss.type}; batch ${config.training.batchSize}, seed ${config.seed}`,
    `- epochs trained: ${epochs.length} of ${config.training.epochs}`,
    '',
  ];
  const curves = plots.filter((p) => p.file !== 'confusion-matrix.svg');
  if (curves.length) {
    lines.push('## Curves', '', ...curves.map((p) => `![${p.title}](${PLOTS_DIR}/${p.file})`), '');
  }
  const events: string[] = [];
  for (const r of data.resumes) {
    events.push(`resumed after epoch ${r.epoch} (continuing from epoch ${r.epoch + 1})`);
    for (const c of r.changes)
      events.push(
        `changed on resume: ${c.field} ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)} from epoch ${r.epoch + 1}`,
      );
  }
  if (data.earlyStop) events.push(data.earlyStop.line);
  if (events.length) lines.push('## Events', '', ...events.map((e) => `- ${e}`), '');
  lines.push(
    '## Epochs',
    '',
    `| epoch | ${columns.join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...epochs.map((e) => `| ${e.epoch} | ${columns.map((c) => fmt(e.logs[c])).join(' | ')} |`),
    '',
  );
  if (test) {
    lines.push('## Test', '', ...Object.entries(test).map(([k, v]) => `- ${k}: ${fmt(v)}`), '');
    if (data.confusion) lines.push(`![confusion matrix](${PLOTS_DIR}/confusion-matrix.svg)`, '');
  }
  await writeFileAtomic(join(runDir, RUN_FILES.report), `${lines.join('\n')}\n`);
}
