import type { View, Window2d } from '../backend.js';

/**
 * Sliding-window kernels (im2col, col2im, max pooling) over [N, C, H, W] views. Each loop runs
 * the output's innermost dim with the valid input range computed up front, so the inner loop has
 * no bounds test; the padding is written (or skipped) outside it.
 */

/** The j range [lo, hi) whose tap `j*s - p + t*d` lands inside [0, size). */
function validRange(t: number, s: number, p: number, d: number, size: number, n: number) {
  const first = p - t * d; // j*s >= first
  const lo = first <= 0 ? 0 : Math.ceil(first / s);
  const last = size - 1 + p - t * d; // j*s <= last
  const hi = last < 0 ? 0 : Math.min(n, Math.floor(last / s) + 1);
  return [Math.min(lo, n), Math.max(hi, Math.min(lo, n))] as const;
}

/** `Backend.im2col` on strided views. @example `im2col(x, window, out)` */
export function im2col(x: View, w: Window2d, out: View): void {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [oh, ow] = [out.shape[4]!, out.shape[5]!];
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [ph, pw] = w.padding;
  const [dh, dw] = w.dilation;
  const [xn, xc, xh, xw] = x.strides as [number, number, number, number];
  const src = x.storage;
  const dst = out.storage;
  let o = out.offset;
  for (let ci = 0; ci < c; ci++) {
    for (let a = 0; a < kh; a++) {
      const [ilo, ihi] = validRange(a, sh, ph, dh, h, oh);
      for (let b = 0; b < kw; b++) {
        const [jlo, jhi] = validRange(b, sw, pw, dw, wd, ow);
        const colOff = b * dw - pw;
        for (let ni = 0; ni < n; ni++) {
          const base = x.offset + ni * xn + ci * xc;
          for (let i = 0; i < oh; i++) {
            if (i < ilo || i >= ihi) {
              dst.fill(0, o, o + ow);
              o += ow;
              continue;
            }
            const row = base + (i * sh - ph + a * dh) * xh + colOff * xw;
            for (let j = 0; j < jlo; j++) dst[o + j] = 0;
            if (sw === 1 && xw === 1) {
              for (let j = jlo; j < jhi; j++) dst[o + j] = src[row + j]!;
            } else {
              const step = sw * xw;
              for (let j = jlo; j < jhi; j++) dst[o + j] = src[row + j * step]!;
            }
            for (let j = jhi; j < ow; j++) dst[o + j] = 0;
            o += ow;
          }
        }
      }
    }
  }
}

/** `Backend.col2im`: out is overwritten. @example `col2im(cols, window, out)` */
export function col2im(cols: View, w: Window2d, out: View): void {
  const [n, c, h, wd] = out.shape as [number, number, number, number];
  const [oh, ow] = [cols.shape[4]!, cols.shape[5]!];
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [ph, pw] = w.padding;
  const [dh, dw] = w.dilation;
  const cs = cols.strides as readonly number[];
  const src = cols.storage;
  const dst = out.storage;
  // out is contiguous (allocated by the op layer): clear it, then accumulate.
  dst.fill(0, out.offset, out.offset + n * c * h * wd);
  const [on, oc, ohs] = [c * h * wd, h * wd, wd];
  for (let ci = 0; ci < c; ci++) {
    for (let a = 0; a < kh; a++) {
      const [ilo, ihi] = validRange(a, sh, ph, dh, h, oh);
      for (let b = 0; b < kw; b++) {
        const [jlo, jhi] = validRange(b, sw, pw, dw, wd, ow);
        for (let ni = 0; ni < n; ni++) {
          const base = out.offset + ni * on + ci * oc;
          const colBase = cols.offset + ci * cs[0]! + a * cs[1]! + b * cs[2]! + ni * cs[3]!;
          for (let i = ilo; i < ihi; i++) {
            const row = base + (i * sh - ph + a * dh) * ohs + b * dw - pw;
            const at = colBase + i * cs[4]!;
            const js = cs[5]!;
            for (let j = jlo; j < jhi; j++) dst[row + j * sw] += src[at + j * js]!;
          }
        }
      }
    }
  }
}

/** `Backend.maxPool` with argmax indices. @example `maxPool(x, window, out, indices)` */
export function maxPool(x: View, w: Window2d, out: View, indices: View): void {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [oh, ow] = [out.shape[2]!, out.shape[3]!];
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [ph, pw] = w.padding;
  const [dh, dw] = w.dilation;
  const [xn, xc, xh, xw] = x.strides as [number, number, number, number];
  const src = x.storage;
  const dst = out.storage;
  const idx = indices.storage;
  // Per output row/column, the first and last valid tap, so the window loop has no bounds test.
  const rows = tapRanges(oh, kh, sh, ph, dh, h);
  const colsR = tapRanges(ow, kw, sw, pw, dw, wd);
  let o = out.offset;
  let io = indices.offset;
  for (let ni = 0; ni < n; ni++) {
    for (let ci = 0; ci < c; ci++) {
      const base = x.offset + ni * xn + ci * xc;
      for (let i = 0; i < oh; i++) {
        const a0 = rows[2 * i]!;
        const a1 = rows[2 * i + 1]!;
        const top = i * sh - ph;
        for (let j = 0; j < ow; j++) {
          const b0 = colsR[2 * j]!;
          const b1 = colsR[2 * j + 1]!;
          const left = j * sw - pw;
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = (top + a0 * dh) * wd + left + b0 * dw;
          for (let a = a0; a < a1; a++) {
            const r = top + a * dh;
            const rowAt = base + r * xh;
            for (let b = b0; b < b1; b++) {
              const col = left + b * dw;
              const v = src[rowAt + col * xw]!;
              // As PyTorch: a NaN always takes over, so NaN propagates.
              if (v > best || Number.isNaN(v)) {
                best = v;
                bestAt = r * wd + col;
              }
            }
          }
          dst[o++] = best;
          idx[io++] = bestAt;
        }
      }
    }
  }
}

/** `Backend.maxPoolBackward`: out is overwritten. @example `maxPoolBackward(g, indices, out)` */
export function maxPoolBackward(grad: View, indices: View, out: View): void {
  const [n, c, oh, ow] = grad.shape as [number, number, number, number];
  const plane = out.shape[2]! * out.shape[3]!;
  const [gn, gc, gh, gw] = grad.strides as [number, number, number, number];
  const [xn, xc, xh, xw] = indices.strides as [number, number, number, number];
  const g = grad.storage;
  const idx = indices.storage;
  const dst = out.storage;
  // out is contiguous (allocated by the op layer): clear it, then scatter.
  dst.fill(0, out.offset, out.offset + n * c * plane);
  let base = out.offset;
  for (let ni = 0; ni < n; ni++) {
    for (let ci = 0; ci < c; ci++) {
      for (let i = 0; i < oh; i++) {
        const gRow = grad.offset + ni * gn + ci * gc + i * gh;
        const xRow = indices.offset + ni * xn + ci * xc + i * xh;
        for (let j = 0; j < ow; j++) dst[base + idx[xRow + j * xw]!] += g[gRow + j * gw]!;
      }
      base += plane;
    }
  }
}

/** For each output position, the [first, last) kernel taps that land inside [0, size). */
function tapRanges(n: number, k: number, s: number, p: number, d: number, size: number) {
  const r = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const start = i * s - p;
    let t0 = 0;
    while (t0 < k && start + t0 * d < 0) t0++;
    let t1 = k;
    while (t1 > t0 && start + (t1 - 1) * d >= size) t1--;
    r[2 * i] = t0;
    r[2 * i + 1] = t1;
  }
  return r;
}
