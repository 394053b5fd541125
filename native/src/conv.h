// Fused 2-D convolution over [N, C, H, W] data: per sample (and group), im2col into a small
// per-thread column buffer that stays in L2, then one GEMM straight into the NCHW output (no
// batch-wide column buffer, no permute copy), with the bias (and optionally ReLU) applied while
// the output plane is still in cache. Samples are split across the pool. conv_addon.cc decodes
// and bounds-checks the views first.
#pragma once

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

}  // namespace conv
}  // namespace kiln
