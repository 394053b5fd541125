// The direct float32 convolution (conv.h, kernels in conv_direct_avx2.cc): split by sample as
// the im2col path is, each sample read in place (or copied into a zero-bordered per-thread image
// when it is padded or strided), weights packed once per call. This unit holds the forward and
// the helpers the other direct units share (conv_direct_impl.h); the backward pass is in
// conv_direct_backward.cc, the fused training Conv2d + ReLU + MaxPool2d in conv_pool_train.cc.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv.h"
#include "conv_direct.h"
#include "conv_direct_impl.h"
#include "gemm.h"

namespace kiln {
namespace conv {
namespace direct {

// The AVX2 kernels where this machine runs them, unless the GEMM was forced to the generic
// kernels (KILN_GEMM_KERNEL=generic, for tests) or KILN_CONV_DIRECT=0.
const convd::Kernels* kernels() {
#if defined(__x86_64__)
  static const convd::Kernels* k = [] {
    const char* e = std::getenv("KILN_CONV_DIRECT");
    if (e && std::strcmp(e, "0") == 0) return static_cast<const convd::Kernels*>(nullptr);
    __builtin_cpu_init();
    const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok ? convd::kernels_avx2() : nullptr;
  }();
  return k && std::strcmp(kernel_name(), "generic") != 0 ? k : nullptr;
#else
  return nullptr;
#endif
}

bool applies(const Shape& s) {
  const win::Geom& g = s.g;
  return s.groups == 1 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ow >= 6 &&
         g.oh > 0 && g.n > 0;
}

long round_up(long v, long m) { return (v + m - 1) / m * m; }

// Per-thread buffers (grown on demand, kept for the next call).
float* buffer(int slot, long count) {
  thread_local std::vector<float> buf[6];
  std::vector<float>& b = buf[slot];
  if (static_cast<long>(b.size()) < count) b.resize(static_cast<size_t>(count));
  return b.data();
}

// Weights [o][ci][a][b] packed by 16 output channels: [block][ci][a][b][16], zero past o.
std::vector<float> pack(const float* w, long o, long c, long kh, long kw) {
  const long taps = c * kh * kw;
  std::vector<float> p(static_cast<size_t>(round_up(o, 16) * taps), 0.f);
  for (long u = 0; u < o; ++u)
    for (long t = 0; t < taps; ++t)
      p[static_cast<size_t>((u / 16 * taps + t) * 16 + u % 16)] = w[u * taps + t];
  return p;
}

// The same weights by 6 output channels for forward_few: [o / 6][tap][6], zero past o.
std::vector<float> pack6(const float* w, long o, long taps) {
  std::vector<float> p(static_cast<size_t>((o + 5) / 6 * 6 * taps), 0.f);
  for (long u = 0; u < o; ++u)
    for (long t = 0; t < taps; ++t)
      p[static_cast<size_t>((u / 6 * taps + t) * 6 + u % 6)] = w[u * taps + t];
  return p;
}

// The same weights for the input gradient: [block of 16 ci][a][b][o][16], zero past c.
std::vector<float> pack_dx(const float* w, long o, long c, long kh, long kw) {
  std::vector<float> p(static_cast<size_t>(round_up(c, 16) * kh * kw * o), 0.f);
  for (long u = 0; u < o; ++u)
    for (long ci = 0; ci < c; ++ci)
      for (long a = 0; a < kh; ++a)
        for (long b = 0; b < kw; ++b)
          p[static_cast<size_t>((((ci / 16 * kh + a) * kw + b) * o + u) * 16 + ci % 16)] =
              w[((u * c + ci) * kh + a) * kw + b];
  return p;
}

// Sample n of x as the direct kernels read it: in place when unpadded with unit column stride,
// else copied into `pad` ([c][oh+kh-1][ow+kw-1], borders zeroed by the caller once).
convd::Image image(const Shape& s, const float* x, const win::Strided& xv, long n, float* pad) {
  const win::Geom& g = s.g;
  const long hp = g.oh + g.kh - 1, wp = g.ow + g.kw - 1;
  const float* base = x + xv.off + n * xv.st[0];
  if (!pad) return convd::Image{base, xv.st[1], xv.st[2], g.c, hp, wp, g.kh, g.kw, g.oh, g.ow};
  for (long ci = 0; ci < g.c; ++ci)
    for (long i = 0; i < g.h && i + g.ph < hp; ++i) {
      const float* src = base + ci * xv.st[1] + i * xv.st[2];
      float* dst = pad + (ci * hp + i + g.ph) * wp + g.pw;
      for (long j = 0; j < g.w && j + g.pw < wp; ++j) dst[j] = src[j * xv.st[3]];
    }
  return convd::Image{pad, hp * wp, wp, g.c, hp, wp, g.kh, g.kw, g.oh, g.ow};
}

// Whether x needs the zero-bordered copy; its size when it does.
long pad_size(const Shape& s, const win::Strided& xv) {
  const win::Geom& g = s.g;
  if (g.ph == 0 && g.pw == 0 && xv.st[3] == 1) return 0;
  return g.c * (g.oh + g.kh - 1) * (g.ow + g.kw - 1);
}

// The forward kernel over one image, by row tiles, or, when that computes at least 10% fewer
// positions (output rows short against the tile), as one flat row of (oh - 1) * rs + ow
// positions into `flat` ([o][that length]; the positions past each row's end are discarded)
// and copied out row by row.
void run_forward(const convd::Kernels* k, const convd::Image& img, long o, const float* wpk,
                 const float* bias, bool relu, float* out) {
  const long by_rows = img.oh * ((img.ow + 5) / 6), len = (img.oh - 1) * img.rs + img.ow;
  if (img.oh == 1 || (len + 5) / 6 * 10 > by_rows * 9) {
    k->forward(img, o, wpk, bias, relu, out);
    return;
  }
  float* flat = buffer(4, o * len);
  convd::Image f = img;
  f.oh = 1;
  f.ow = len;
  k->forward(f, o, wpk, bias, relu, flat);
  for (long oc = 0; oc < o; ++oc)
    for (long i = 0; i < img.oh; ++i)
      std::memcpy(out + (oc * img.oh + i) * img.ow, flat + oc * len + i * img.rs,
                  sizeof(float) * img.ow);
}

}  // namespace direct

namespace {

using namespace direct;

// The forward over every sample; with `pool`, each sample's ReLU output goes to a per-thread
// buffer and only its 2x2 max pool to `out`.
bool forward_impl(const Shape& s, const float* x, const win::Strided& xv, const float* w,
                  const float* bias, bool relu, bool pool, float* out) {
  const convd::Kernels* k = kernels();
  if (!k || !applies(s)) return false;
  const win::Geom& g = s.g;
  const bool few = g.c * g.kh * g.kw <= 32 && g.ow >= 16;
  const std::vector<float> wpk =
      few ? pack6(w, s.o, g.c * g.kh * g.kw) : pack(w, s.o, g.c, g.kh, g.kw);
  std::vector<float> bp(static_cast<size_t>(round_up(s.o, 16)), 0.f);
  if (bias) std::memcpy(bp.data(), bias, sizeof(float) * s.o);
  const long plane = g.oh * g.ow, padded = pad_size(s, xv);
  const long per_sample = pool ? s.o * (g.oh / 2) * (g.ow / 2) : s.o * plane;
  auto body = [&](long s0, long s1, long) {
    float* pad = padded ? buffer(0, padded) : nullptr;
    if (pad) std::memset(pad, 0, sizeof(float) * padded);
    float* y = pool ? buffer(5, s.o * plane) : nullptr;
    for (long n = s0; n < s1; ++n) {
      float* dst = out + n * per_sample;
      if (few)
        k->forward_few(image(s, x, xv, n, pad), s.o, wpk.data(), bias, relu, pool ? y : dst);
      else
        run_forward(k, image(s, x, xv, n, pad), s.o, wpk.data(), bias ? bp.data() : nullptr,
                    relu, pool ? y : dst);
      if (pool) k->pool2(y, s.o, g.oh, g.ow, dst);
    }
  };
  detail::split(g.n, s.o * g.c * g.kh * g.kw * plane, body);
  return true;
}

}  // namespace

bool forward_direct(const Shape& s, const float* x, const win::Strided& xv, const float* w,
                    const float* bias, bool relu, float* out) {
  return forward_impl(s, x, xv, w, bias, relu, false, out);
}

bool forward_relu_pool(const Shape& s, const float* x, const win::Strided& xv, const float* w,
                       const float* bias, float* out) {
  return forward_impl(s, x, xv, w, bias, true, true, out);
}

}  // namespace conv
}  // namespace kiln
