// Sliding-window kernels (im2col, col2im, max pooling and its backward) over [N, C, H, W] data,
// called by window_addon.cc after it has decoded and bounds-checked the views. They mirror the
// js kernels in src/backend/js/window.ts loop for loop where the order matters (col2im sums,
// max ties, NaN), so results are bit-identical; each returns false for a dtype it does not take.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ew.h"
#include "pool.h"

namespace kiln {
namespace win {

using ew::DT;

// The window and sizes of one call: input image [n, c, h, w], output positions [oh, ow].
struct Geom {
  long n, c, h, w, oh, ow;
  long kh, kw, sh, sw, ph, pw, dh, dw;
};

// A strided view: element offsets in its typed array.
struct Strided {
  long off;
  long st[6];
};

// Runs body(u0, u1) over units [0, units), split across the pool when units * work (elements
// touched) reaches the elementwise threshold (KILN_EW_PAR_MIN, default 2^16). Below it a
// fork/join costs more than it saves: these kernels move memory at several GB/s per thread.
template <class Body>
inline void for_units(long units, long work, Body& body) {
  const int threads = pool_threads();
  if (threads <= 1 || units < 2 || units * work < ew::par_min()) {
    body(0L, units);
    return;
  }
  struct Ctx {
    Body* body;
    long units, ntasks;
  } ctx{&body, units, std::min(units, 4L * threads)};
  // A few tasks per thread: tasks are claimed dynamically, so a worker that wakes late (or a
  // unit that costs more, as planes at the padded border) does not hold the others back.
  pool_run(
      ctx.ntasks,
      [](void* c, long t) {
        auto& x = *static_cast<Ctx*>(c);
        (*x.body)(t * x.units / x.ntasks, (t + 1) * x.units / x.ntasks);
      },
      &ctx);
}

// x [n, c, h, w] (strided) -> out [c, kh, kw, n, oh, ow] contiguous from out_off.
bool im2col(DT t, const Geom& g, const void* x, const Strided& xv, void* out, long out_off);
// cols [c, kh, kw, n, oh, ow] (strided) -> out [n, c, h, w] contiguous, overwritten.
bool col2im(DT t, const Geom& g, const void* cols, const Strided& cv, void* out, long out_off);
// The same two kernels on the calling thread only (for callers that split work themselves, as
// the fused convolution in conv.cc splits it by sample).
void im2col_serial(const Geom& g, const float* x, const Strided& xv, float* out);
void im2col_serial(const Geom& g, const double* x, const Strided& xv, double* out);
void col2im_serial(const Geom& g, const float* cols, const Strided& cv, float* out);
void col2im_serial(const Geom& g, const double* cols, const Strided& cv, double* out);
// x [n, c, h, w] (strided) -> out and idx [n, c, oh, ow] contiguous.
bool max_pool(DT t, const Geom& g, const void* x, const Strided& xv, void* out, long out_off,
              int32_t* idx, long idx_off);
// grad and idx [n, c, oh, ow] (strided) -> out [n, c, h, w] contiguous, overwritten. Returns
// false (out partly written) when an index falls outside its [h, w] plane; the js kernel then
// redoes the call, which overwrites out.
bool max_pool_backward(DT t, const Geom& g, const void* grad, const Strided& gv,
                       const int32_t* idx, const Strided& iv, void* out, long out_off);

}  // namespace win
}  // namespace kiln
