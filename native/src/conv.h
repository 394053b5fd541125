// Fused 2-D convolution over [N, C, H, W] data: per sample (and group), im2col into a small
// per-thread column buffer that stays in L2, then one GEMM straight into the NCHW output (no
// batch-wide column buffer, no permute copy), with the bias (and optionally ReLU) applied while
// the output plane is still in cache. Samples are split across the pool. conv_addon.cc decodes
// and bounds-checks the views first.
#pragma once

#include <cstdlib>

#include "pool.h"
#include "window.h"

namespace kiln {
namespace conv {

// One convolution: the window geometry (g.c = all input channels), out channels and groups.
struct Shape {
  win::Geom g;
  long o, groups;
};

// out [n, o, oh, ow] (contiguous) = conv(x [n, c, h, w] strided, w [o, c/groups, kh, kw]
// contiguous) + bias [o] (may be null), then max(0, .) when relu.
template <class T>
void forward(const Shape& s, const T* x, const win::Strided& xv, const T* w, const T* bias,
             bool relu, T* out);

// The gradients of one convolution in a single pass over the samples, so each sample's dy is
// read once while it is in cache: dx [n, c, h, w], dw [o, c/groups, kh, kw] and db [o] (each
// contiguous and overwritten; null when not wanted) from dy [n, o, oh, ow] (contiguous), x
// (strided) and w. With y (the forward's output, contiguous) the forward applied ReLU: dy is
// first masked by y > 0.
template <class T>
struct Grads {
  const T* dy;
  const T* y;  // null: no ReLU
  const T* x;
  win::Strided xv;
  const T* w;
  T* dx;
  T* dw;
  T* db;
};
template <class T>
void backward(const Shape& s, const Grads<T>& a);


// The direct float32 path (conv_direct.cc: stride 1, dilation 1, one group, output rows of at
// least 6, AVX2 + FMA at run time). Each returns false, having done nothing, where it does not
// apply; the caller then runs im2col + GEMM.
bool forward_direct(const Shape& s, const float* x, const win::Strided& xv, const float* w,
                    const float* bias, bool relu, float* out);
bool backward_direct(const Shape& s, const Grads<float>& a);
// Inference: out [n, o, oh / 2, ow / 2] = 2x2 max pool (stride 2, floor) of the ReLU of the
// convolution, each sample's convolution kept in a per-thread buffer (never written out).
bool forward_relu_pool(const Shape& s, const float* x, const win::Strided& xv, const float* w,
                       const float* bias, float* out);
// The same by Winograd F(2x2, 3x3) (conv_winograd.cc: 3x3, stride 1, one group, at least 8
// input channels, AVX2 + FMA), or for at most 32 taps and 8 pooled columns pooled in registers;
// false, having done nothing, where neither applies.
bool forward_relu_pool_fast(const Shape& s, const float* x, const win::Strided& xv,
                                const float* w, const float* bias, float* out);

namespace detail {

// Multiply-adds per task below which a convolution stays on the calling thread: a fork/join
// costs tens of microseconds on a loaded machine (KILN_CONV_PAR_MIN overrides).
inline long par_min() {
  static const long v = [] {
    const char* e = std::getenv("KILN_CONV_PAR_MIN");
    return e && *e ? std::atol(e) : 1L << 20;
  }();
  return v;
}

// Runs body(s0, s1) over sample ranges: one task per thread when each gets enough work.
template <class Body>
inline long split(long n, long macs_per_sample, Body& body) {
  const long threads = pool_threads();
  long tasks = threads < n ? threads : n;
  if (tasks > 1 && (n / tasks) * macs_per_sample < par_min()) tasks = 1;
  if (tasks <= 1) {
    body(0L, n, 0L);
    return 1;
  }
  struct Ctx {
    Body* body;
    long n, tasks;
  } ctx{&body, n, tasks};
  pool_run(
      tasks,
      [](void* c, long t) {
        auto& x = *static_cast<Ctx*>(c);
        (*x.body)(t * x.n / x.tasks, (t + 1) * x.n / x.tasks, t);
      },
      &ctx);
  return tasks;
}

// The sum of n values in 8 interleaved partial sums (a vector register): a single running sum
// would chain every addition on the previous one, about 4 cycles each.
template <class T>
inline T sum_row(const T* v, long n) {
  T part[8] = {};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) part[j] += v[i + j];
  T sum = T(0);
  for (; i < n; ++i) sum += v[i];
  for (int j = 0; j < 8; ++j) sum += part[j];
  return sum;
}

// out = y > 0 ? d : 0. Both inputs are read unconditionally, so the loop vectorizes to a
// compare and an and (a conditional read of d compiles to a branch per element, mispredicted
// half the time on ReLU outputs).
template <class T>
inline void mask(const T* __restrict y, const T* __restrict d, T* __restrict out, long n) {
  for (long i = 0; i < n; ++i) {
    const T v = d[i];
    out[i] = y[i] > T(0) ? v : T(0);
  }
}

}  // namespace detail

}  // namespace conv
}  // namespace kiln
