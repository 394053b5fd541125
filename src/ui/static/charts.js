// Line charts on uPlot: several series over a shared x axis, drag to zoom (the caller refetches
// the visible range from the server), double-click to zoom out, log scale on y.
import uPlot from '/vendor/uPlot.esm.js';
import { COLORS, h } from './dom.js';

const HEIGHT = 240;

/**
 * A chart of named series. `setSeries([{ label, x, y }])` replaces the data (series may have
 * different x; they are joined). The container's data-points attribute says how many points are
 * drawn, for tests and for the curious.
 */
export class LineChart {
  /**
   * @param {HTMLElement} parent
   * @param {{ title: string, xMode?: 'step'|'time'|'relative', log?: boolean,
   *   onZoom?: (min: number|null, max: number|null) => void, points?: boolean }} options
   */
  constructor(parent, options) {
    this.options = options;
    this.box = h('div', { class: 'chart', data: { title: options.title, points: '0' } });
    this.plotEl = h('div', { class: 'plot' });
    this.box.append(h('div', { class: 'chart-title' }, options.title), this.plotEl);
    parent.append(this.box);
    this.series = [];
    this.range = null;
    this.plot = null;
    this.observer = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT });
    });
    this.observer.observe(this.box);
  }

  width() {
    return Math.max(240, this.box.clientWidth - 8);
  }

  /** Rebuilds the uPlot instance (needed when the series set, axis mode or scale type change). */
  build() {
    if (this.plot) this.plot.destroy();
    const { xMode = 'step', log = false, points = false } = this.options;
    const series = [{ label: this.options.xLabel ?? (xMode === 'step' ? 'step' : 'time') }];
    this.series.forEach((s, i) => {
      series.push({
        label: s.label,
        stroke: s.color ?? COLORS[i % COLORS.length],
        width: 1.5,
        ...(s.dash ? { dash: s.dash } : {}),
        spanGaps: false,
        ...(points && !s.line ? { paths: () => null, points: { show: true, size: 7 } } : {}),
      });
    });
    const zoomOut = () => {
      this.range = null;
      this.options.onZoom?.(null, null);
    };
    const opts = {
      width: this.width(),
      height: HEIGHT,
      series,
      scales: { x: { time: xMode === 'time' }, y: log ? { distr: 3 } : {} },
      axes: [
        {
          label:
            this.options.xLabel ??
            (xMode === 'step' ? 'step' : xMode === 'relative' ? 'seconds' : ''),
        },
        {},
      ],
      legend: { live: true },
      cursor: {
        drag: { x: true, y: false },
        bind: {
          dblclick: () => () => {
            zoomOut();
            return null;
          },
        },
      },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const min = u.posToVal(u.select.left, 'x');
            const max = u.posToVal(u.select.left + u.select.width, 'x');
            this.range = [min, max];
            this.options.onZoom?.(min, max);
          },
        ],
      },
    };
    this.plot = new uPlot(opts, this.table(), this.plotEl);
  }

  /** The series joined on x into uPlot's columnar table. */
  table() {
    if (this.series.length === 0) return [[]];
    if (this.series.length === 1) return [this.series[0].x, this.series[0].y];
    return uPlot.join(this.series.map((s) => [s.x, s.y]));
  }

  /** @param {{ label: string, x: number[], y: (number|null)[], color?: string }[]} series */
  setSeries(series) {
    const same =
      this.plot &&
      series.length === this.series.length &&
      series.every((s, i) => s.label === this.series[i].label);
    if (this.options.log)
      series = series.map((s) => ({ ...s, y: s.y.map((v) => (v !== null && v > 0 ? v : null)) }));
    this.series = series;
    let drawn = 0;
    for (const s of series) for (const v of s.y) if (v !== null) drawn++;
    this.box.dataset.points = String(drawn);
    this.box.dataset.x = this.options.xMode ?? 'step';
    this.box.dataset.xMax = String(
      Math.max(...series.map((s) => s.x[s.x.length - 1] ?? -Infinity)),
    );
    this.box.dataset.series = String(series.length);
    if (!same) this.build();
    else this.plot.setData(this.table(), this.range === null);
    if (this.range) this.plot.setScale('x', { min: this.range[0], max: this.range[1] });
  }

  /** Changes axis mode or log scale; the caller refetches data for a new axis. */
  configure(changes) {
    Object.assign(this.options, changes);
    this.range = null;
    if (this.series.length) this.build();
  }

  destroy() {
    this.observer.disconnect();
    this.plot?.destroy();
    this.box.remove();
  }
}
