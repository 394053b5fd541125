// The fused convolution (conv.h). Work is split by sample: each task im2cols one sample's group
// at a time into its thread's column buffer ([C/groups*kh*kw, oh*ow], about 140 KB for the MNIST
// CNN's second layer) and runs a single-thread GEMM on it, so columns are written and read while
// they are in L2, and the GEMM writes each sample's output rows where NCHW puts them. The weight
// gradient sums per-task partials in task order, so a result depends only on the task count.
// float32 convolutions the direct kernels take (conv_direct.cc) skip this path.
#include "conv.h"

#include <type_traits>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace kiln {
namespace conv {
namespace {

// Per-thread column buffer (grown on demand, kept for the next call).
template <class T>
T* columns(long count) {
  thread_local std::vector<T> buf;
  if (static_cast<long>(buf.size()) < count) buf.resize(static_cast<size_t>(count));
  return buf.data();
}

// The geometry of one sample's group of channels, for im2col/col2im on [1, C/groups, H, W].
win::Geom one(const Shape& s) {
  win::Geom g = s.g;
  g.n = 1;
  g.c = s.g.c / s.groups;
  return g;
}

}  // namespace

template <class T>
void forward(const Shape& s, const T* x, const win::Strided& xv, const T* w, const T* bias,
             bool relu, T* out) {
  if constexpr (std::is_same<T, float>::value) {
    if (forward_direct(s, x, xv, w, bias, relu, out)) return;
  }
  const win::Geom g1 = one(s);
  const long p = s.g.oh * s.g.ow, og = s.o / s.groups, kg = g1.c * g1.kh * g1.kw;
  auto body = [&](long s0, long s1, long) {
    T* cols = columns<T>(kg * p);
    for (long n = s0; n < s1; ++n) {
      for (long grp = 0; grp < s.groups; ++grp) {
        win::Strided v = xv;
        v.off += n * xv.st[0] + grp * g1.c * xv.st[1];
        win::im2col_serial(g1, x, v, cols);
        T* y = out + (n * s.o + grp * og) * p;
        gemm_serial(Gemm<T>{w + grp * og * kg, cols, y, og, p, kg, kg, 1, p, 1, p, false});
      }
      if (!bias && !relu) continue;
      for (long o = 0; o < s.o; ++o) {
        T* y = out + (n * s.o + o) * p;
        const T b = bias ? bias[o] : T(0);
        if (relu)
          for (long i = 0; i < p; ++i) {
            const T v = y[i] + b;
            y[i] = v > T(0) || v != v ? v : T(0);  // NaN passes, as relu
          }
        else
          for (long i = 0; i < p; ++i) y[i] += b;
      }
    }
  };
  detail::split(s.g.n, s.o * kg * p, body);
}

template <class T>
void backward(const Shape& s, const Grads<T>& a) {
  if constexpr (std::is_same<T, float>::value) {
    if (backward_direct(s, a)) return;
  }
  const win::Geom g1 = one(s);
  const long p = s.g.oh * s.g.ow, og = s.o / s.groups, kg = g1.c * g1.kh * g1.kw;
  const long plane = s.g.h * s.g.w;
  const long wsize = s.o * kg;
  // Columns [C/groups, kh, kw, 1, oh, ow], contiguous, for col2im.
  const win::Strided cv{0, {g1.kh * g1.kw * p, g1.kw * p, p, p, g1.ow, 1}};
  // Task t > 0 sums dw and db into its own partial; they are added in task order at the end.
  const long threads = pool_threads();
  const long part = (a.dw ? wsize : 0) + (a.db ? s.o : 0);
  std::vector<T> partials(static_cast<size_t>(threads > 1 ? (threads - 1) * part : 0));
  auto body = [&](long s0, long s1, long t) {
    T* dw = a.dw && t == 0 ? a.dw : partials.data() + (t > 0 ? (t - 1) * part : 0);
    T* db = a.db && t == 0 ? a.db : partials.data() + (t > 0 ? (t - 1) * part : 0) + (a.dw ? wsize : 0);
    if (a.db)
      for (long o = 0; o < s.o; ++o) db[o] = T(0);
    if (a.dw && s0 >= s1)
      for (long i = 0; i < wsize; ++i) dw[i] = T(0);
    T* cols = columns<T>(kg * p + (a.y ? s.o * p : 0));
    T* masked = cols + kg * p;
    for (long n = s0; n < s1; ++n) {
      const T* d = a.dy + n * s.o * p;
      if (a.y) {
        detail::mask(a.y + n * s.o * p, d, masked, s.o * p);
        d = masked;
      }
      if (a.db)
        for (long o = 0; o < s.o; ++o) db[o] += detail::sum_row(d + o * p, p);
      for (long grp = 0; grp < s.groups; ++grp) {
        const T* dg = d + grp * og * p;
        if (a.dw) {
          win::Strided v = a.xv;
          v.off += n * a.xv.st[0] + grp * g1.c * a.xv.st[1];
          win::im2col_serial(g1, a.x, v, cols);
          // dw_grp [og, kg] (+)= dy_n,grp [og, p] @ cols^T [p, kg]
          gemm_serial(Gemm<T>{dg, cols, dw + grp * og * kg, og, kg, p, p, 1, 1, p, kg, n > s0});
        }
        if (a.dx) {
          // cols [kg, p] = W_grp^T [kg, og] @ dy_n,grp [og, p], then summed into the image.
          gemm_serial(Gemm<T>{a.w + grp * og * kg, dg, cols, kg, p, og, 1, kg, p, 1, p, false});
          win::col2im_serial(g1, cols, cv, a.dx + (n * s.g.c + grp * g1.c) * plane);
        }
      }
    }
  };
  const long tasks = detail::split(s.g.n, s.o * kg * p * ((a.dx ? 1 : 0) + (a.dw ? 1 : 0)), body);
  for (long t = 1; t < tasks; ++t) {
    const T* pt = partials.data() + (t - 1) * part;
    if (a.dw)
      for (long i = 0; i < wsize; ++i) a.dw[i] += pt[i];
    if (a.db)
      for (long o = 0; o < s.o; ++o) a.db[o] += pt[(a.dw ? wsize : 0) + o];
  }
}

template void forward(const Shape&, const float*, const win::Strided&, const float*,
                      const float*, bool, float*);
template void forward(const Shape&, const double*, const win::Strided&, const double*,
                      const double*, bool, double*);
template void backward(const Shape&, const Grads<float>&);
template void backward(const Shape&, const Grads<double>&);

}  // namespace conv
}  // namespace kiln
