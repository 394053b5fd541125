// The fused training Conv2d + ReLU + MaxPool2d(2) (conv_pool_train.h). The unfused step writes
// the convolution's output (4x the pooled size), reads it back to pool it, and in the backward
// scatters the pooled gradient into a zeroed image of that size and masks it by the ReLU in two
// more passes: for the MNIST CNN's first layer each of those is a 5.5 MB pass over memory. Here
// each sample's convolution stays in a per-thread buffer in L2 and only the pooled output and
// its argmax indices are stored; the backward scatters one sample's gradient at a time.
#include "conv_pool_train.h"

#include <cstring>
#include <vector>

#include "conv_direct.h"
#include "conv_direct_impl.h"
#include "conv_pool_kernels.h"

namespace kiln {
namespace conv {
namespace {

// The pool kernels where the direct convolution's run (they need the same CPU features).
const convd::PoolKernels* pool_kernels() {
  return direct::kernels() ? convd::pool_kernels_avx2() : nullptr;
}

bool applies(const Shape& s) {
  return direct::applies(s) && s.g.oh >= 2 && s.g.ow >= 2 && pool_kernels() != nullptr;
}

}  // namespace

bool forward_relu_pool_train(const Shape& s, const float* x, const win::Strided& xv,
                             const float* w, const float* bias, float* out, int32_t* idx) {
  if (!applies(s)) return false;
  const convd::Kernels* k = direct::kernels();
  const convd::PoolKernels* pk = pool_kernels();
  const win::Geom& g = s.g;
  const bool few = g.c * g.kh * g.kw <= 32 && g.ow >= 16;
  const std::vector<float> wpk = few ? direct::pack6(w, s.o, g.c * g.kh * g.kw)
                                     : direct::pack(w, s.o, g.c, g.kh, g.kw);
  std::vector<float> bp(static_cast<size_t>(direct::round_up(s.o, 16)), 0.f);
  if (bias) std::memcpy(bp.data(), bias, sizeof(float) * s.o);
  const long plane = g.oh * g.ow, padded = direct::pad_size(s, xv);
  const long per_sample = s.o * (g.oh / 2) * (g.ow / 2);
  auto body = [&](long s0, long s1, long) {
    float* pad = padded ? direct::buffer(0, padded) : nullptr;
    if (pad) std::memset(pad, 0, sizeof(float) * padded);
    float* y = direct::buffer(5, s.o * plane);
    for (long n = s0; n < s1; ++n) {
      const convd::Image img = direct::image(s, x, xv, n, pad);
      if (few) k->forward_few(img, s.o, wpk.data(), bias, true, y);
      else direct::run_forward(k, img, s.o, wpk.data(), bias ? bp.data() : nullptr, true, y);
      pk->pool2_arg(y, s.o, g.oh, g.ow, out + n * per_sample, idx + n * per_sample);
    }
  };
  detail::split(g.n, s.o * g.c * g.kh * g.kw * plane, body);
  return true;
}

namespace {

struct PoolCtx {
  const Shape* s;
  const PoolGrads* a;
};

// dm = sample n's convolution gradient: zero but at each window's argmax, where it is g when
// the window's max is positive (the ReLU passed it). Positions outside the plane (not from
// forward_relu_pool_train) are skipped.
void fill_pooled(const void* ctx, long n, float* dm, long ldp) {
  const PoolCtx& c = *static_cast<const PoolCtx*>(ctx);
  const long o = c.s->o, plane = c.s->g.oh * c.s->g.ow;
  const long pooled = (c.s->g.oh / 2) * (c.s->g.ow / 2);
  for (long oc = 0; oc < o; ++oc) {
    float* row = dm + oc * ldp;
    std::memset(row, 0, sizeof(float) * plane);
    const long at = (n * o + oc) * pooled;
    const float* g = c.a->g + at;
    const float* m = c.a->out + at;
    const int32_t* q = c.a->idx + at;
    for (long i = 0; i < pooled; ++i) {
      const unsigned long p = static_cast<uint32_t>(q[i]);
      if (m[i] > 0.f && p < static_cast<unsigned long>(plane)) row[p] = g[i];
    }
  }
}

}  // namespace

bool backward_relu_pool(const Shape& s, const PoolGrads& a) {
  if (!applies(s)) return false;
  const Grads<float> grads{nullptr, nullptr, a.x, a.xv, a.w, a.dx, a.dw, a.db};
  const PoolCtx ctx{&s, &a};
  return direct::backward_run(s, grads, fill_pooled, &ctx);
}

}  // namespace conv
}  // namespace kiln
