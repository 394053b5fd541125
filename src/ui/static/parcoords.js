// Parallel coordinates on a canvas: one vertical axis per param (and the metric last), one line
// per run, colored from low (blue) to high (red) metric.
import { fmt, h, replace } from './dom.js';

function colorFor(t) {
  if (t === null || !Number.isFinite(t)) return 'rgba(120,120,120,0.6)';
  const r = Math.round(40 + 200 * t);
  const b = Math.round(240 - 200 * t);
  return `rgba(${r},70,${b},0.85)`;
}

/**
 * @param {HTMLElement} box
 * @param {{ name: string, values: (number|null)[], labels: string[]|null }[]} axes
 * @param {string[]} names run names (for the tooltip list)
 * @param {(number|null)[]} colorBy the metric that colors the lines
 */
export function parallelCoordinates(box, axes, names, colorBy) {
  const width = Math.max(400, box.clientWidth || 800);
  const height = 300;
  const ratio = window.devicePixelRatio || 1;
  const canvas = h('canvas', { width: String(width * ratio), height: String(height * ratio) });
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  replace(box, canvas);
  box.dataset.axes = String(axes.length);
  box.dataset.lines = String(names.length);
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  const top = 30;
  const bottom = height - 30;
  const left = 60;
  const step = axes.length > 1 ? (width - 2 * left) / (axes.length - 1) : 0;
  const scales = axes.map((a) => {
    const finite = a.values.filter((v) => v !== null && Number.isFinite(v));
    const lo = finite.length ? Math.min(...finite) : 0;
    const hi = finite.length ? Math.max(...finite) : 1;
    return (v) =>
      v === null || !Number.isFinite(v)
        ? null
        : hi === lo
          ? (top + bottom) / 2
          : bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  });
  const metric = colorBy.filter((v) => v !== null && Number.isFinite(v));
  const mLo = Math.min(...metric);
  const mHi = Math.max(...metric);
  ctx.lineWidth = 1.5;
  names.forEach((_, run) => {
    const c = colorBy[run];
    ctx.strokeStyle = colorFor(c === null ? null : mHi === mLo ? 0.5 : (c - mLo) / (mHi - mLo));
    ctx.beginPath();
    let pen = false;
    axes.forEach((a, i) => {
      const y = scales[i](a.values[run]);
      if (y === null) {
        pen = false;
        return;
      }
      if (pen) ctx.lineTo(left + i * step, y);
      else ctx.moveTo(left + i * step, y);
      pen = true;
    });
    ctx.stroke();
  });
  ctx.fillStyle = '#222';
  ctx.strokeStyle = '#444';
  ctx.lineWidth = 1;
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'center';
  axes.forEach((a, i) => {
    const x = left + i * step;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.stroke();
    ctx.fillText(a.name.length > 22 ? `${a.name.slice(0, 21)}…` : a.name, x, top - 16);
    const finite = a.values.filter((v) => v !== null && Number.isFinite(v));
    if (!finite.length) return;
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    ctx.fillText(a.labels ? a.labels[lo] : fmt(lo), x, bottom + 14);
    ctx.fillText(a.labels ? a.labels[hi] : fmt(hi), x, top - 3);
  });
}
