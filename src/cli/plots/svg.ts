/**
 * Small, dependency-free SVG charts for run folders: line charts of per-epoch values and a
 * confusion-matrix heatmap. Plain SVG 1.1 with no scripts or external references, so a report
 * renders the same in a browser, a Markdown viewer or the dashboard (whose CSP forbids inline
 * script, not SVG images).
 */

/** One line of a chart: its name in the legend and its (x, y) points in order of x. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
}

/** A vertical marker line at `x` with a short label (a resume point, the best epoch). */
export interface Marker {
  x: number;
  label: string;
}

/** What {@link lineChart} draws. */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** Logarithmic y axis; used only when every plotted y is positive. */
  logY?: boolean;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
const FONT = 'font-family="sans-serif"';

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return ticks;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/**
 * A line chart as an SVG document. Non-finite points are left out (a gap, not a spike), so a
 * diverged epoch cannot flatten the rest of the curve.
 *
 * @example
 * ```ts
 * const svg = lineChart({ title: 'loss', xLabel: 'epoch', yLabel: 'loss',
 *   series: [{ name: 'train', points: [[1, 0.9], [2, 0.5]] }] });
 * ```
 */
export function lineChart(spec: LineChartSpec): string {
  const finite = spec.series.map((s) => ({
    ...s,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const all = finite.flatMap((s) => s.points);
  const log = spec.logY === true && all.length > 0 && all.every(([, y]) => y > 0);
  const fy = (y: number) => (log ? Math.log10(y) : y);
  const xs = all.map(([x]) => x).concat((spec.markers ?? []).map((m) => m.x));
  const ys = all.map(([, y]) => fy(y));
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - (fy(y) - y0) / (y1 - y0)) * plotH;
  const pyRaw = (v: number) => MARGIN.top + (1 - (v - y0) / (y1 - y0)) * plotH;
  const r = (v: number) => v.toFixed(1);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" ${FONT}>${escapeXml(spec.title)}</text>`,
  ];
  // Grid and tick labels.
  const xTicks = niceTicks(x0, x1, 8).filter((t) => Number.isInteger(t) || x1 - x0 < 8);
  for (const t of xTicks) {
    out.push(
      `<line x1="${r(px(t))}" y1="${MARGIN.top}" x2="${r(px(t))}" y2="${MARGIN.top + plotH}" stroke="#eeeeee"/>`,
      `<text x="${r(px(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle" font-size="11" ${FONT}>${formatTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(y0, y1, 6)) {
    const label = log ? formatTick(10 ** t) : formatTick(t);
    out.push(
      `<line x1="${MARGIN.left}" y1="${r(pyRaw(t))}" x2="${MARGIN.left + plotW}" y2="${r(pyRaw(t))}" stroke="#eeeeee"/>`,
      `<text x="${MARGIN.left - 6}" y="${r(pyRaw(t) + 4)}" text-anchor="end" font-size="11" ${FONT}>${label}</text>`,
    );
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle" font-size="12" ${FONT}>${escapeXml(spec.xLabel)}</text>`,
    `<text x="14" y="${MARGIN.top + plotH / 2}" text-anchor="middle" font-size="12" ${FONT} transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${escapeXml(spec.yLabel)}${log ? ' (log)' : ''}</text>`,
  );
  for (const m of spec.markers ?? []) {
    out.push(
      `<line x1="${r(px(m.x))}" y1="${MARGIN.top}" x2="${r(px(m.x))}" y2="${MARGIN.top + plotH}" stroke="#555555" stroke-dasharray="2 3"/>`,
      `<text x="${r(px(m.x) + 3)}" y="${MARGIN.top + 12}" font-size="10" fill="#555555" ${FONT}>${escapeXml(m.label)}</text>`,
    );
  }
  finite.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (s.points.length > 1) {
      const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${r(px(x))},${r(py(y))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    for (const [x, y] of s.points.length <= 60 ? s.points : []) {
      out.push(`<circle cx="${r(px(x))}" cy="${r(py(y))}" r="2.5" fill="${color}"/>`);
    }
    const ly = MARGIN.top + 14 + i * 16;
    const lx = MARGIN.left + plotW - 130;
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 26}" y="${ly}" font-size="11" ${FONT}>${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * A confusion matrix as an SVG heatmap: rows are true classes, columns predicted ones, each cell
 * shaded by its share of the row (recall) and labelled with its count.
 *
 * @example
 * ```ts
 * const svg = confusionMatrixSvg([[5, 1], [0, 7]], ['no', 'yes']);
 * ```
 */
export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  classes: readonly string[],
): string {
  const n = matrix.length;
  const cell = Math.max(28, Math.min(64, Math.floor(480 / Math.max(n, 1))));
  const labelW = Math.min(140, 12 + 7 * Math.max(4, ...classes.map((c) => c.length)));
  const left = labelW + 24;
  const top = labelW + 40;
  const width = Math.max(left + n * cell + 16, 380);
  const height = top + n * cell + 16;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="15" ${FONT}>confusion matrix</text>`,
    `<text x="8" y="36" font-size="11" fill="#555555" ${FONT}>rows: true class, columns: predicted class</text>`,
  ];
  const name = (i: number) => escapeXml((classes[i] ?? String(i)).slice(0, 18));
  for (let i = 0; i < n; i++) {
    const row = matrix[i] ?? [];
    const total = row.reduce((a, b) => a + b, 0);
    out.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11" ${FONT}>${name(i)}</text>`,
    );
    for (let j = 0; j < n; j++) {
      const count = row[j] ?? 0;
      const share = total > 0 ? count / total : 0;
      const shade = Math.round(255 - share * 200);
      const fill =
        i === j
          ? `rgb(${shade},${Math.round(255 - share * 120)},${shade})`
          : `rgb(255,${shade},${shade})`;
      const x = left + j * cell;
      const y = top + i * cell;
      out.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell < 36 ? 9 : 12}" ${FONT}>${count}</text>`,
      );
    }
  }
  for (let j = 0; j < n; j++) {
    const x = left + j * cell + cell / 2;
    out.push(
      `<text x="${x}" y="${top - 6}" font-size="11" ${FONT} transform="rotate(-60 ${x} ${top - 6})">${name(j)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
