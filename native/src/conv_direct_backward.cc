// The backward pass of the direct float32 convolution (conv.h): split by sample as the forward
// is. Per sample, the output gradient is first written into a per-thread [o][ldp] buffer (dy
// masked by the ReLU, or, for the fused Conv2d + ReLU + MaxPool2d, dy scattered from the pooled
// gradient: conv_pool_train.cc), then the input gradient runs as a scatter of 6 x 16 tiles into a
// zero-bordered channels-last image and the weight gradient on dy transposed to
// [position][channel]. Per-task partials of dw and db are summed in task order, so a result
// depends only on the task count.
#include <cstring>
#include <vector>

#include "conv.h"
#include "conv_direct.h"
#include "conv_direct_impl.h"
#include "pool.h"

namespace kiln {
namespace conv {
namespace direct {

bool backward_run(const Shape& s, const Grads<float>& a, FillFn fill, const void* ctx) {
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
      fill(ctx, n, dm, ldp);
      if (a.db)
        for (long oc = 0; oc < o; ++oc) db[oc] += detail::sum_row(dm + oc * ldp, plane);
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

}  // namespace direct

namespace {

struct DyCtx {
  const Shape* s;
  const Grads<float>* a;
};

// dm = dy of sample n (masked by y > 0 after a ReLU), rows padded to ldp.
void fill_dy(const void* ctx, long n, float* dm, long ldp) {
  const DyCtx& c = *static_cast<const DyCtx*>(ctx);
  const long o = c.s->o, plane = c.s->g.oh * c.s->g.ow;
  const Grads<float>& gr = *c.a;
  for (long oc = 0; oc < o; ++oc) {
    const long at = (n * o + oc) * plane;
    if (gr.y) detail::mask(gr.y + at, gr.dy + at, dm + oc * ldp, plane);
    else std::memcpy(dm + oc * ldp, gr.dy + at, sizeof(float) * plane);
  }
}

}  // namespace

bool backward_direct(const Shape& s, const Grads<float>& a) {
  const DyCtx ctx{&s, &a};
  return direct::backward_run(s, a, fill_dy, &ctx);
}

}  // namespace conv
}  // namespace kiln
