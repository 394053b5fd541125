// The direct float32 convolution (conv.h, kernels in conv_direct_avx2.cc): split by sample as
// the im2col path is, each sample read in place (or copied into a zero-bordered per-thread image
// when it is padded or strided), weights packed once per call. The backward pass runs the input
// gradient as the forward kernel on the zero-bordered dy with the flipped, transposed weights
// (a "full" correlation), and the weight gradient on dy transposed to [position][channel].
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv.h"
#include "conv_direct.h"
#include "gemm.h"

namespace kiln {
namespace conv {
namespace {

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

}  // namespace

namespace {

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

bool backward_direct(const Shape& s, const Grads<float>& a) {
  const convd::Kernels* k = kernels();
  const win::Geom& g = s.g;
  if (!k || !applies(s) || (a.dw && g.kw != 3)) return false;
  const long o = s.o, c = g.c, kh = g.kh, kw = g.kw, plane = g.oh * g.ow, taps = c * kh * kw;
  const long ldo = round_up(o, 32), part = taps * ldo + ldo, ldp = round_up(plane, 6);
  // dx gathers on the zero-bordered input grid [hp][wp], channels last ([.][ldc]).
  const long hp = g.oh + kh - 1, wp = g.ow + kw - 1, cblocks = (c + 15) / 16, ldc = cblocks * 16;
  const std::vector<float> wt = a.dx ? pack_dx(a.w, o, c, kh, kw) : std::vector<float>();
  const long padded = a.dw ? pad_size(s, a.xv) : 0;
  std::vector<float> partials(static_cast<size_t>(pool_threads() * part));
  auto body = [&](long s0, long s1, long t) {
    float* dwt = partials.data() + t * part;
    float* db = dwt + taps * ldo;
    std::memset(dwt, 0, sizeof(float) * part);
    float* dyt = a.dw ? buffer(0, plane * ldo) : nullptr;
    if (dyt && ldo > o) std::memset(dyt, 0, sizeof(float) * plane * ldo);
    float* dxt = a.dx ? buffer(1, hp * wp * ldc) : nullptr;
    float* pad = padded ? buffer(2, padded) : nullptr;
    if (pad) std::memset(pad, 0, sizeof(float) * padded);
    float* dm = buffer(3, o * ldp);
    for (long n = s0; n < s1; ++n) {
      // dy (masked by y > 0 after a ReLU) with rows padded to ldp.
      for (long oc = 0; oc < o; ++oc) {
        const long at = (n * o + oc) * plane;
        if (a.y) detail::mask(a.y + at, a.dy + at, dm + oc * ldp, plane);
        else std::memcpy(dm + oc * ldp, a.dy + at, sizeof(float) * plane);
        if (a.db) db[oc] += detail::sum_row(dm + oc * ldp, plane);
      }
      if (a.dw) {
        k->transpose(dm, o, plane, ldp, dyt, ldo);
        k->wgrad3(image(s, a.x, a.xv, n, pad), dyt, ldo, dwt);
      }
      if (a.dx) {
        std::memset(dxt, 0, sizeof(float) * hp * wp * ldc);
        k->input_grad(dm, o, ldp, g.oh, g.ow, kh, kw, wt.data(), cblocks, dxt, wp, ldc);
        float* out = a.dx + n * c * g.h * g.w;
        if (g.ph == 0 && g.pw == 0 && hp == g.h && wp == g.w)
          k->transpose(dxt, g.h * g.w, c, ldc, out, g.h * g.w);
        else
          for (long i = 0; i < g.h; ++i)
            k->transpose(dxt + ((i + g.ph) * wp + g.pw) * ldc, g.w, c, ldc, out + i * g.w,
                         g.h * g.w);
      }
    }
  };
  const long tasks = detail::split(g.n, o * taps * plane * ((a.dx ? 1 : 0) + (a.dw ? 1 : 0)), body);
  // Per-task partials summed in task order, dw transposed back to [o][ci][a][b].
  for (long t = 0; t < tasks; ++t) {
    const float* pt = partials.data() + t * part;
    if (a.dw)
      for (long oc = 0; oc < o; ++oc)
        for (long q = 0; q < taps; ++q) {
          const float v = pt[q * ldo + oc];
          a.dw[oc * taps + q] = t ? a.dw[oc * taps + q] + v : v;
        }
    if (a.db)
      for (long oc = 0; oc < o; ++oc) {
        const float v = pt[taps * ldo + oc];
        a.db[oc] = t ? a.db[oc] + v : v;
      }
  }
  return true;
}

}  // namespace conv
}  // namespace kiln
