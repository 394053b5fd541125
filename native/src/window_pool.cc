// Max pooling and its backward; see window.h. Threads take [H, W] planes. Within a plane the
// js order is kept where it matters: taps in (a, b) order per window (first max wins, the last
// NaN wins), and the backward's repeated indices summed in (i, j) order, so both are
// bit-identical to src/backend/js/window.ts at any thread count.
#include <atomic>
#include <limits>
#include <vector>

#include "window.h"

namespace kiln {
namespace win {
namespace {

// For each output position, the [first, last) kernel taps inside [0, size) (js tapRanges).
std::vector<long> tap_ranges(long n, long k, long s, long p, long d, long size) {
  std::vector<long> r(2 * n);
  for (long i = 0; i < n; ++i) {
    const long start = i * s - p;
    long t0 = 0;
    while (t0 < k && start + t0 * d < 0) ++t0;
    long t1 = k;
    while (t1 > t0 && start + (t1 - 1) * d >= size) --t1;
    r[2 * i] = t0;
    r[2 * i + 1] = t1;
  }
  return r;
}

// One window's max: taps [a0, a1) x [b0, b1) from element index `at` of tap (0, 0), plane
// position `pos` of that tap. A NaN always takes over (so NaN propagates, as PyTorch); else the
// first maximum wins. Only windows clipped by the border take this scalar path.
template <class T>
inline void window_max(const T* x, long at, long pos, long a0, long a1, long b0, long b1,
                       long rs, long cs, long rp, long cp, T* out, int32_t* idx) {
  T best = -std::numeric_limits<T>::infinity();
  long best_at = pos + a0 * rp + b0 * cp;
  for (long a = a0; a < a1; ++a) {
    for (long b = b0; b < b1; ++b) {
      const T v = x[at + a * rs + b * cs];
      const bool take = (v > best) | (v != v);
      best = take ? v : best;
      best_at = take ? pos + a * rp + b * cp : best_at;
    }
  }
  *out = best;
  *idx = static_cast<int32_t>(best_at);
}

// One kernel tap over a run of n whole windows: the tap of window j is s[j * step], at plane
// position q0 + j * qs. Windows are the SIMD lanes and taps arrive in the js order, so each
// window still sees its taps first to last. S > 0 fixes the step at compile time so the loads
// vectorize as contiguous (1) or deinterleaved (2) vectors.
template <class T, long S>
inline void max_tap(const T* __restrict s, long step, int32_t q0, int32_t qs, long n,
                    T* __restrict best, int32_t* __restrict at) {
  const long st = S > 0 ? S : step;
  for (long j = 0; j < n; ++j) {
    const T v = s[j * st];
    const bool take = (v > best[j]) | (v != v);
    best[j] = take ? v : best[j];
    at[j] = take ? q0 + static_cast<int32_t>(j) * qs : at[j];
  }
}

// n whole windows of a KH x KW kernel along an output row, the taps unrolled and kept in
// registers (one pass instead of KH*KW over the row: MNIST rows are only 5-13 windows long).
// Window j's tap (a, b) is s[j*S + a*rs + b*cs], at plane position q0 + j*qs + a*rq + b*cq.
template <class T, int KH, int KW, long S>
void max_row(const T* __restrict s, long rs, long cs, int32_t q0, int32_t rq, int32_t cq,
             int32_t qs, long n, T* __restrict best, int32_t* __restrict at) {
  for (long j = 0; j < n; ++j) {
    const int32_t qj = q0 + static_cast<int32_t>(j) * qs;
    T m = -std::numeric_limits<T>::infinity();
    int32_t mi = qj;
    for (int a = 0; a < KH; ++a) {
      for (int b = 0; b < KW; ++b) {
        const T v = s[j * S + a * rs + b * cs];
        const bool take = (v > m) | (v != v);
        m = take ? v : m;
        mi = take ? qj + a * rq + b * cq : mi;
      }
    }
    best[j] = m;
    at[j] = mi;
  }
}

template <class T>
using RowFn = void (*)(const T*, long, long, int32_t, int32_t, int32_t, int32_t, long, T*,
                       int32_t*);

// The unrolled row kernel for the common pooling windows, or null.
template <class T>
RowFn<T> fixed_row(long kh, long kw, long step) {
  if (kh == 2 && kw == 2 && step == 2) return max_row<T, 2, 2, 2>;
  if (kh == 2 && kw == 2 && step == 1) return max_row<T, 2, 2, 1>;
  if (kh == 3 && kw == 3 && step == 2) return max_row<T, 3, 3, 2>;
  if (kh == 3 && kw == 3 && step == 1) return max_row<T, 3, 3, 1>;
  return nullptr;
}

template <class T>
void max_pool_t(const Geom& g, const T* __restrict x, const Strided& xv, T* __restrict out,
                int32_t* __restrict idx) {
  const std::vector<long> rows = tap_ranges(g.oh, g.kh, g.sh, g.ph, g.dh, g.h);
  const std::vector<long> colr = tap_ranges(g.ow, g.kw, g.sw, g.pw, g.dw, g.w);
  // The columns whose windows hold all kw taps: one interval [jf0, jf1), as windows move right.
  const auto whole = [&](long j) { return colr[2 * j] == 0 && colr[2 * j + 1] == g.kw; };
  long jf0 = 0;
  while (jf0 < g.ow && !whole(jf0)) ++jf0;
  long jf1 = jf0;
  while (jf1 < g.ow && whole(jf1)) ++jf1;
  const long xh = xv.st[2], xw = xv.st[3], step = g.sw * xw, nf = jf1 - jf0;
  const long rs = g.dh * xh, cs = g.dw * xw, rp = g.dh * g.w, cp = g.dw;
  const long oplane = g.oh * g.ow;
  const RowFn<T> row_fn = fixed_row<T>(g.kh, g.kw, step);
  const int32_t qs = static_cast<int32_t>(g.sw);
  auto body = [&](long p0, long p1) {
    for (long p = p0; p < p1; ++p) {
      const long base = xv.off + (p / g.c) * xv.st[0] + (p % g.c) * xv.st[1];
      for (long i = 0; i < g.oh; ++i) {
        const long a0 = rows[2 * i], a1 = rows[2 * i + 1], top = i * g.sh - g.ph;
        T* o = out + p * oplane + i * g.ow;
        int32_t* q = idx + p * oplane + i * g.ow;
        // Border windows (clipped by padding or ceil mode), one at a time.
        const auto border = [&](long j) {
          const long left = j * g.sw - g.pw;
          window_max(x, base + top * xh + left * xw, top * g.w + left, a0, a1, colr[2 * j],
                     colr[2 * j + 1], rs, cs, rp, cp, o + j, q + j);
        };
        for (long j = 0; j < jf0; ++j) border(j);
        for (long j = jf1; j < g.ow; ++j) border(j);
        if (nf <= 0) continue;
        T* bo = o + jf0;
        int32_t* bq = q + jf0;
        const long left0 = jf0 * g.sw - g.pw;
        if (row_fn && a0 == 0 && a1 == g.kh) {
          row_fn(x + (base + top * xh + left0 * xw), rs, cs,
                 static_cast<int32_t>(top * g.w + left0), static_cast<int32_t>(rp),
                 static_cast<int32_t>(cp), qs, nf, bo, bq);
          continue;
        }
        // Any other window: tap by tap over the row, the running maxima in out and idx.
        const int32_t first = static_cast<int32_t>((top + a0 * g.dh) * g.w + left0);
        for (long j = 0; j < nf; ++j) {
          bo[j] = -std::numeric_limits<T>::infinity();
          bq[j] = first + static_cast<int32_t>(j) * qs;
        }
        for (long a = a0; a < a1; ++a) {
          const long r = top + a * g.dh;
          for (long b = 0; b < g.kw; ++b) {
            const long col = left0 + b * g.dw;
            const T* s = x + (base + r * xh + col * xw);
            const int32_t q0 = static_cast<int32_t>(r * g.w + col);
            if (step == 1) max_tap<T, 1>(s, step, q0, qs, nf, bo, bq);
            else if (step == 2) max_tap<T, 2>(s, step, q0, qs, nf, bo, bq);
            else max_tap<T, 0>(s, step, q0, qs, nf, bo, bq);
          }
        }
      }
    }
  };
  for_units(g.n * g.c, oplane * g.kh * g.kw, body);
}

template <class T>
bool max_pool_backward_t(const Geom& g, const T* __restrict grad, const Strided& gv,
                         const int32_t* __restrict idx, const Strided& iv, T* __restrict out) {
  const long plane = g.h * g.w;
  std::atomic<bool> bad{false};
  auto body = [&](long p0, long p1) {
    for (long p = p0; p < p1; ++p) {
      const long ni = p / g.c, ci = p % g.c;
      T* o = out + p * plane;
      std::fill(o, o + plane, T(0));
      // Plane by plane in (i, j) order, as the js loop: repeated indices sum in that order.
      for (long i = 0; i < g.oh; ++i) {
        const long gr = gv.off + ni * gv.st[0] + ci * gv.st[1] + i * gv.st[2];
        const long ir = iv.off + ni * iv.st[0] + ci * iv.st[1] + i * iv.st[2];
        for (long j = 0; j < g.ow; ++j) {
          const int32_t k = idx[ir + j * iv.st[3]];
          if (static_cast<uint32_t>(k) >= static_cast<uint64_t>(plane)) {
            bad.store(true, std::memory_order_relaxed);
            return;
          }
          o[k] += grad[gr + j * gv.st[3]];
        }
      }
    }
  };
  for_units(g.n * g.c, plane + g.oh * g.ow, body);
  return !bad.load();
}

}  // namespace

bool max_pool(DT t, const Geom& g, const void* x, const Strided& xv, void* out, long out_off,
              int32_t* idx, long idx_off) {
  if (t == DT::F32)
    max_pool_t(g, static_cast<const float*>(x), xv, static_cast<float*>(out) + out_off,
                      idx + idx_off);
  else if (t == DT::F64)
    max_pool_t(g, static_cast<const double*>(x), xv, static_cast<double*>(out) + out_off,
                      idx + idx_off);
  else return false;
  return true;
}

bool max_pool_backward(DT t, const Geom& g, const void* grad, const Strided& gv,
                       const int32_t* idx, const Strided& iv, void* out, long out_off) {
  if (t == DT::F32)
    return max_pool_backward_t(g, static_cast<const float*>(grad), gv, idx, iv,
                               static_cast<float*>(out) + out_off);
  if (t == DT::F64)
    return max_pool_backward_t(g, static_cast<const double*>(grad), gv, idx, iv,
                               static_cast<double*>(out) + out_off);
  return false;
}

}  // namespace win
}  // namespace kiln
