/** Text formatting shared by the `kiln runs` subcommands: tables, numbers, times. */
import type { ParamValue, RunRecord } from '../../track/types.js';

/** A number in at most 6 significant digits, without trailing zeros; other values as text. */
export function formatValue(v: ParamValue | number | undefined): string {
  if (v === undefined) return '-';
  if (v === null) return 'null';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const s = Math.abs(v) >= 1e-4 && Math.abs(v) < 1e6 ? v.toPrecision(6) : v.toExponential(4);
    return s.includes('e') ? s.replace(/\.?0+e/, 'e') : s.replace(/\.?0+$/, '');
  }
  return String(v);
}

/** `2026-12-02 05:23:11` in local time. */
export function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A run's duration as `1h02m`, `3m05s` or `12.3s` (until now while it runs). */
export function formatDuration(run: RunRecord): string {
  const s = ((run.endTime ?? Date.now()) - run.startTime) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Rows as an aligned text table, numbers right-aligned. */
export function table(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.]+(e[-+]?\d+)?$|^-$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const head = header
    .map((h, i) => (numeric[i] ? h.padStart(widths[i]!) : h.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
  return [head, ...rows.map(line)].join('\n');
}
