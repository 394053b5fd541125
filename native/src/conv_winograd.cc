// Inference-only Conv2d (3x3, stride 1) + ReLU + MaxPool2d(2) by Winograd F(2x2, 3x3), kernels
// in conv_winograd_avx2.cc (which also pools a convolution of few taps directly, see
// relu_pool_few). Per sample: the input goes channels last into a per-thread image
// (8x8 transposes; zero padding and zero channels up to a multiple of 8), then the input
// transform, one GEMM per transform position against the transformed filters (cached by content),
// and the output transform with the pool, bias and ReLU; the pooled [tile][channel] result is
// transposed into NCHW. Samples are split across the pool as the direct path does.
// KILN_CONV_WINOGRAD=0 (read per call, so an A/B bench can toggle it) turns both off: the
// direct kernels then run.
#include "conv_winograd.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "conv.h"
#include "conv_direct.h"
#include "gemm.h"

namespace kiln {
namespace conv {
namespace {

long round_up(long v, long m) { return (v + m - 1) / m * m; }

// The kernels when this machine runs AVX2 + FMA and nothing turned them off (KILN_CONV_WINOGRAD=0,
// or the GEMM forced to its generic kernels for tests).
const convw::Kernels* winograd_kernels() {
#if defined(__x86_64__)
  static const bool cpu_ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           convw::kernels_avx2() != nullptr && convd::kernels_avx2() != nullptr;
  }();
  if (!cpu_ok || std::strcmp(kernel_name(), "generic") == 0) return nullptr;
  const char* e = std::getenv("KILN_CONV_WINOGRAD");
  if (e && std::strcmp(e, "0") == 0) return nullptr;
  return convw::kernels_avx2();
#else
  return nullptr;
#endif
}

// Per-thread buffers (grown on demand, kept for the next call).
float* buffer(int slot, long count) {
  thread_local std::vector<float> buf[4];
  std::vector<float>& b = buf[slot];
  if (static_cast<long>(b.size()) < count) b.resize(static_cast<size_t>(count));
  return b.data();
}

// The filters G g G^T, [16][cp][op] (zero past c and o), for w [o][c][3][3].
void transform_filters(const float* w, long o, long c, long cp, long op, float* u) {
  std::memset(u, 0, sizeof(float) * 16 * cp * op);
  for (long oc = 0; oc < o; ++oc) {
    for (long ci = 0; ci < c; ++ci) {
      const float* g = w + (oc * c + ci) * 9;
      float t[4][3];  // G g
      for (int b = 0; b < 3; ++b) {
        t[0][b] = g[b];
        t[1][b] = 0.5f * (g[b] + g[3 + b] + g[6 + b]);
        t[2][b] = 0.5f * (g[b] - g[3 + b] + g[6 + b]);
        t[3][b] = g[6 + b];
      }
      for (int k = 0; k < 4; ++k) {
        const float r[4] = {t[k][0], 0.5f * (t[k][0] + t[k][1] + t[k][2]),
                            0.5f * (t[k][0] - t[k][1] + t[k][2]), t[k][2]};
        for (int l = 0; l < 4; ++l) u[((4 * k + l) * cp + ci) * op + oc] = r[l];
      }
    }
  }
}

// Whether any of `len` floats from p (step st) is an inf or a NaN (all exponent bits set). An
// integer OR over the lanes, so the unit-step loop vectorizes (a strided bool loop ran scalar
// and took 15% of the MNIST CNN's second convolution at batch 64).
bool any_non_finite(const float* p, long len, long st) {
  constexpr uint32_t kExp = 0x7f800000u;
  uint32_t any = 0;
  if (st == 1) {
    for (long j = 0; j < len; ++j) {
      uint32_t b;
      std::memcpy(&b, p + j, sizeof b);
      any |= uint32_t((b & kExp) == kExp);
    }
  } else {
    for (long j = 0; j < len; ++j) {
      uint32_t b;
      std::memcpy(&b, p + j * st, sizeof b);
      any |= uint32_t((b & kExp) == kExp);
    }
  }
  return any != 0;
}

// The transformed filters of the last few weights this thread saw, recognised by content (a
// compare of the 3x3 weights costs far less than transforming them again, which dominated a
// batch of one; weights updated in place simply miss). `*finite`: whether the weights hold no
// inf or NaN, found once per entry (the scan took 7% of a batch-1 MNIST CNN forward).
const float* cached_filters(const float* w, long o, long c, long cp, long op, bool* finite) {
  struct Entry {
    std::vector<float> w, u;
    long o = 0, c = 0;
    bool finite = true;
  };
  constexpr int kEntries = 4;
  thread_local Entry cache[kEntries];
  thread_local int next = 0;
  const size_t nw = static_cast<size_t>(o * c * 9);
  for (Entry& e : cache)
    if (e.o == o && e.c == c && std::memcmp(e.w.data(), w, sizeof(float) * nw) == 0) {
      *finite = e.finite;
      return e.u.data();
    }
  Entry& e = cache[next];
  next = (next + 1) % kEntries;
  e.w.assign(w, w + nw);
  e.u.resize(static_cast<size_t>(16 * cp * op));
  e.o = o;
  e.c = c;
  e.finite = !any_non_finite(w, static_cast<long>(nw), 1);
  *finite = e.finite;
  transform_filters(w, o, c, cp, op, e.u.data());
  return e.u.data();
}

// The pooled kernel for few taps (a first layer): each sample read in place, or copied into a
// zero-bordered per-thread image when padded or strided.
bool relu_pool_few(const convw::Kernels* k, const Shape& s, const float* x,
                   const win::Strided& xv, const float* w, const float* bias, float* out) {
  const win::Geom& g = s.g;
  const long th = g.oh / 2, tw = g.ow / 2, taps = g.c * g.kh * g.kw, o = s.o;
  std::vector<float> w3(static_cast<size_t>(round_up(o, 3) * taps), 0.f);
  for (long u = 0; u < o; ++u)
    for (long t = 0; t < taps; ++t)
      w3[static_cast<size_t>((u / 3 * taps + t) * 3 + u % 3)] = w[u * taps + t];
  const long hp = g.oh + g.kh - 1, wp = g.ow + g.kw - 1;
  const bool in_place = g.ph == 0 && g.pw == 0 && xv.st[3] == 1;
  auto body = [&](long s0, long s1, long) {
    float* pad = in_place ? nullptr : buffer(0, g.c * hp * wp);
    if (pad) std::memset(pad, 0, sizeof(float) * g.c * hp * wp);
    for (long n = s0; n < s1; ++n) {
      const float* xs = x + xv.off + n * xv.st[0];
      if (pad)
        for (long ci = 0; ci < g.c; ++ci)
          for (long i = 0; i < g.h && i + g.ph < hp; ++i)
            for (long j = 0; j < g.w && j + g.pw < wp; ++j)
              pad[(ci * hp + i + g.ph) * wp + j + g.pw] =
                  xs[ci * xv.st[1] + i * xv.st[2] + j * xv.st[3]];
      const float* img = pad ? pad : xs;
      k->pool_few(img, pad ? hp * wp : xv.st[1], pad ? wp : xv.st[2], g.c, g.kh, g.kw, th, tw, o,
                  w3.data(), bias, out + n * o * th * tw);
    }
  };
  detail::split(g.n, o * taps * g.oh * g.ow, body);
  return true;
}

// Whether the n samples of x (view xv, [c][h][w] each) hold an inf or NaN: the Winograd
// transforms mix a tile's inputs (inf - inf, inf * 0), so their output would not be the
// convolution's there; the direct kernels then run (so too for such weights, see
// cached_filters). One pass over the input, a small fraction of the convolution's work.
bool non_finite(const float* x, const win::Strided& xv, long n, long c, long h, long w) {
  // Contiguous planes are one run each.
  const bool planes = xv.st[3] == 1 && xv.st[2] == w;
  for (long s = 0; s < n; ++s)
    for (long ci = 0; ci < c; ++ci) {
      const float* plane = x + xv.off + s * xv.st[0] + ci * xv.st[1];
      if (planes) {
        if (any_non_finite(plane, h * w, 1)) return true;
        continue;
      }
      for (long i = 0; i < h; ++i)
        if (any_non_finite(plane + i * xv.st[2], w, xv.st[3])) return true;
    }
  return false;
}

}  // namespace

bool forward_relu_pool_fast(const Shape& s, const float* x, const win::Strided& xv,
                                const float* w, const float* bias, float* out) {
  const win::Geom& g = s.g;
  const long th = g.oh / 2, tw = g.ow / 2;
  if (s.groups != 1 || g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1 || g.n <= 0 ||
      th <= 0 || tw <= 0)
    return false;
  const convw::Kernels* k = winograd_kernels();
  if (!k) return false;
  if (g.c * g.kh * g.kw <= 32 && tw >= 8) return relu_pool_few(k, s, x, xv, w, bias, out);
  if (g.kh != 3 || g.kw != 3 || g.c < 8) return false;
  const convd::Kernels* kd = convd::kernels_avx2();
  const long c = g.c, o = s.o, cp = round_up(c, 8), op = round_up(o, 16);
  const long tiles = th * tw, tp = round_up(tiles, 5), hp = 2 * th + 2, wp = 2 * tw + 2;
  bool w_finite = true;
  const float* u = cached_filters(w, o, c, cp, op, &w_finite);
  if (!w_finite || non_finite(x, xv, g.n, g.c, g.h, g.w)) return false;
  std::vector<float> bp(static_cast<size_t>(op), 0.f);
  if (bias) std::memcpy(bp.data(), bias, sizeof(float) * o);
  // Unpadded samples with contiguous planes go channels last in one transpose of the plane (the
  // image rows are then the input's); otherwise row by row into a zero-bordered image.
  const bool whole = g.ph == 0 && g.pw == 0 && xv.st[3] == 1 && xv.st[2] == g.w;
  const long iw = whole ? g.w : wp, ih = whole ? g.h : hp;
  // The image rows and columns inside the input (the rest is padding, left zero).
  const long r0 = g.ph, r1 = std::min(hp, g.h + g.ph), q0 = g.pw, q1 = std::min(wp, g.w + g.pw);
  auto body = [&](long s0, long s1, long) {
    float* img = buffer(0, ih * iw * cp);
    float* v = buffer(1, 16 * tp * cp);
    float* m = buffer(2, 16 * tp * op);
    float* p = buffer(3, tp * op);
    std::memset(img, 0, sizeof(float) * ih * iw * cp);
    std::memset(v, 0, sizeof(float) * 16 * tp * cp);
    for (long n = s0; n < s1; ++n) {
      const float* xs = x + xv.off + n * xv.st[0];
      if (whole) kd->transpose(xs, c, g.h * g.w, xv.st[1], img, cp);
      for (long r = r0; r < r1 && !whole; ++r) {
        const float* src = xs + (r - g.ph) * xv.st[2] + (q0 - g.pw) * xv.st[3];
        float* dst = img + (r * wp + q0) * cp;
        if (xv.st[3] == 1) {
          kd->transpose(src, c, q1 - q0, xv.st[1], dst, cp);
        } else {
          for (long ci = 0; ci < c; ++ci)
            for (long q = 0; q < q1 - q0; ++q) dst[q * cp + ci] = src[ci * xv.st[1] + q * xv.st[3]];
        }
      }
      k->input(img, iw, th, tw, cp, v, tp);
      k->gemm(v, u, tp, cp, op, m);
      k->output(m, tp, tiles, op, bp.data(), p);
      kd->transpose(p, tiles, o, op, out + n * o * tiles, tiles);
    }
  };
  detail::split(g.n, 16 * tp * cp * op, body);
  return true;
}

}  // namespace conv
}  // namespace kiln
