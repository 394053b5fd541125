// im2col and col2im; see window.h. The loops follow src/backend/js/window.ts: each row of output
// positions runs over the valid range computed up front, so the inner loops are plain copies
// or adds without bounds tests. Threads take (c, a, b, n) blocks of im2col's output and [H, W]
// planes of col2im's; inside a plane the additions keep the js order, so col2im is
// bit-identical at any thread count.
#include "window.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kiln {
namespace win {
namespace {

// The j range [lo, hi) whose tap `j*s - p + t*d` lands inside [0, size), as js validRange.
struct Range {
  long lo, hi;
};
inline Range valid_range(long t, long s, long p, long d, long size, long n) {
  const long first = p - t * d;  // j*s >= first
  long lo = first <= 0 ? 0 : (first + s - 1) / s;
  const long last = size - 1 + p - t * d;  // j*s <= last
  const long hi = last < 0 ? 0 : std::min(n, last / s + 1);
  lo = std::min(lo, n);
  return {lo, std::max(hi, lo)};
}

// Copies n elements of a row (MNIST rows are 5-30 long) with at most four overlapping 16-byte
// moves and no loop: compilers turn a copy loop (even of intrinsics) into a memmove call, which
// costs more than the copy itself at these lengths. Longer rows go to memcpy.
template <class T>
inline void copy_row(T* __restrict d, const T* __restrict s, long n) {
  constexpr long V = 16 / sizeof(T);
#if defined(__SSE2__)
  const auto move = [&](long j) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + j),
                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + j)));
  };
  if (n >= V && n <= 4 * V) {
    move(0);
    move(n - V);
    if (n > 2 * V) {  // [0, 2V) and [n - 2V, n) cover the row
      move(V);
      move(n - 2 * V);
    }
    return;
  }
#endif
  if (n >= V) std::memcpy(d, s, sizeof(T) * n);
  else
    for (long j = 0; j < n; ++j) d[j] = s[j];
}

// Units [u0, u1) of im2col on the calling thread.
template <class T>
void im2col_units(const Geom g, const T* __restrict x, const Strided& xv, T* __restrict out,
                  long u0, long u1) {
  {
    if (u0 >= u1) return;  // also an empty batch: n == 0 must not divide below
    // g is copied: the compiler then keeps its fields in registers across the stores to out.
    const long plane = g.oh * g.ow, ow = g.ow;
    const long xn = xv.st[0], xc = xv.st[1], xh = xv.st[2], xw = xv.st[3];
    const long rstep = g.sh * xh, step = g.sw * xw;
    // Unit u = ((ci*kh + a)*kw + b)*n + ni, the js order, so block u starts at u * plane. It is
    // decomposed once, then the indices count up with carries (no division per unit).
    long ni = u0 % g.n, r = u0 / g.n;
    long b = r % g.kw, a = (r / g.kw) % g.kh, ci = r / g.kw / g.kh;
    Range ri = valid_range(a, g.sh, g.ph, g.dh, g.h, g.oh);
    Range rj = valid_range(b, g.sw, g.pw, g.dw, g.w, g.ow);
    for (long u = u0; u < u1; ++u) {
      const long lo = rj.lo, hi = rj.hi;
      T* o = out + u * plane;
      if (ri.lo >= ri.hi || lo >= hi) {
        std::fill(o, o + plane, T(0));  // every tap of this block falls in the padding
      } else {
        std::fill(o, o + ri.lo * ow, T(0));
        std::fill(o + ri.hi * ow, o + plane, T(0));
        // The first valid tap of row ri.lo; each later row is rstep further on.
        const T* s = x + (xv.off + ni * xn + ci * xc + (ri.lo * g.sh + a * g.dh - g.ph) * xh +
                          (lo * g.sw + b * g.dw - g.pw) * xw);
        T* d = o + ri.lo * ow;
        for (long i = ri.lo; i < ri.hi; ++i, d += ow, s += rstep) {
          for (long j = 0; j < lo; ++j) d[j] = T(0);
          // The common case (stride 1, contiguous rows) is a straight copy.
          if (step == 1) copy_row(d + lo, s, hi - lo);
          else
            for (long j = 0; j < hi - lo; ++j) d[lo + j] = s[j * step];
          for (long j = hi; j < ow; ++j) d[j] = T(0);
        }
      }
      if (++ni < g.n) continue;
      ni = 0;
      if (++b == g.kw) {
        b = 0;
        if (++a == g.kh) a = 0, ++ci;
        ri = valid_range(a, g.sh, g.ph, g.dh, g.h, g.oh);
      }
      rj = valid_range(b, g.sw, g.pw, g.dw, g.w, g.ow);
    }
  }
}

template <class T>
void im2col_t(const Geom& g, const T* __restrict x, const Strided& xv, T* __restrict out) {
  auto body = [&](long u0, long u1) { im2col_units(g, x, xv, out, u0, u1); };
  for_units(g.c * g.kh * g.kw * g.n, g.oh * g.ow, body);
}

// Planes [p0, p1) of col2im on the calling thread.
template <class T>
void col2im_planes(const Geom g, const T* __restrict cols, const Strided& cv, T* __restrict out,
                   long p0, long p1) {
  {
    // g is copied so that its fields stay in registers across the stores to out.
    const long plane = g.h * g.w;
    const long* cs = cv.st;
    const bool unit = g.sw == 1 && cs[5] == 1;
    for (long p = p0; p < p1; ++p) {
      const long ni = p / g.c, ci = p % g.c;
      T* o = out + p * plane;
      std::fill(o, o + plane, T(0));
      // Per output element the contributions arrive in (a, b) order, as in the js loop nest
      // (ci, a, b, ni, i, j), starting from +0: the sums are bit-identical.
      for (long a = 0; a < g.kh; ++a) {
        const Range ri = valid_range(a, g.sh, g.ph, g.dh, g.h, g.oh);
        for (long b = 0; b < g.kw; ++b) {
          const Range rj = valid_range(b, g.sw, g.pw, g.dw, g.w, g.ow);
          const long lo = rj.lo, n = rj.hi - rj.lo;
          if (ri.lo >= ri.hi || n <= 0) continue;
          // The first valid entry of row ri.lo and the image element it adds to.
          const T* s = cols + (cv.off + ci * cs[0] + a * cs[1] + b * cs[2] + ni * cs[3] +
                               ri.lo * cs[4] + lo * cs[5]);
          T* d = o + ((ri.lo * g.sh - g.ph + a * g.dh) * g.w + lo * g.sw + b * g.dw - g.pw);
          const long drow = g.sh * g.w;
          for (long i = ri.lo; i < ri.hi; ++i, s += cs[4], d += drow) {
            if (unit)
              for (long j = 0; j < n; ++j) d[j] += s[j];
            else
              for (long j = 0; j < n; ++j) d[j * g.sw] += s[j * cs[5]];
          }
        }
      }
    }
  }
}

template <class T>
void col2im_t(const Geom& g, const T* __restrict cols, const Strided& cv, T* __restrict out) {
  auto body = [&](long p0, long p1) { col2im_planes(g, cols, cv, out, p0, p1); };
  for_units(g.n * g.c, g.kh * g.kw * g.oh * g.ow + g.h * g.w, body);
}

}  // namespace

void im2col_serial(const Geom& g, const float* x, const Strided& xv, float* out) {
  im2col_units(g, x, xv, out, 0, g.c * g.kh * g.kw * g.n);
}
void im2col_serial(const Geom& g, const double* x, const Strided& xv, double* out) {
  im2col_units(g, x, xv, out, 0, g.c * g.kh * g.kw * g.n);
}
void col2im_serial(const Geom& g, const float* cols, const Strided& cv, float* out) {
  col2im_planes(g, cols, cv, out, 0, g.n * g.c);
}
void col2im_serial(const Geom& g, const double* cols, const Strided& cv, double* out) {
  col2im_planes(g, cols, cv, out, 0, g.n * g.c);
}

bool im2col(DT t, const Geom& g, const void* x, const Strided& xv, void* out, long out_off) {
  if (t == DT::F32)
    im2col_t(g, static_cast<const float*>(x), xv, static_cast<float*>(out) + out_off);
  else if (t == DT::F64)
    im2col_t(g, static_cast<const double*>(x), xv, static_cast<double*>(out) + out_off);
  else return false;
  return true;
}

bool col2im(DT t, const Geom& g, const void* cols, const Strided& cv, void* out, long out_off) {
  if (t == DT::F32)
    col2im_t(g, static_cast<const float*>(cols), cv, static_cast<float*>(out) + out_off);
  else if (t == DT::F64)
    col2im_t(g, static_cast<const double*>(cols), cv, static_cast<double*>(out) + out_off);
  else return false;
  return true;
}

}  // namespace win
}  // namespace kiln
