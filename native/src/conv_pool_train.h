// The fused Conv2d + ReLU + MaxPool2d(2) for training (conv_pool_train.cc): the forward writes
// the pooled output and each window's argmax, never the convolution's output; the backward
// rebuilds each sample's convolution gradient from the pooled one in a per-thread buffer and
// runs the direct backward kernels on it. float32, one group, stride 1, dilation 1, output rows
// of at least 6, AVX2 + FMA at run time; each returns false, having done nothing, elsewhere.
#pragma once

#include <cstdint>

#include "conv.h"

namespace kiln {
namespace conv {

// out [n, o, oh / 2, ow / 2] = 2x2 max pool (stride 2, floor) of max(0, conv(x, w) + bias) of
// size [oh, ow] (the Shape's), idx (same layout) the position in the [oh, ow] plane of each
// window's first maximum (maxPool's indices).
bool forward_relu_pool_train(const Shape& s, const float* x, const win::Strided& xv,
                             const float* w, const float* bias, float* out, int32_t* idx);

// The gradients of forward_relu_pool_train given g, the gradient of its output: the
// convolution's output gradient is g at each window's argmax where the window's max (out) is
// positive, zero elsewhere. dx, dw and db as in Grads (null when not wanted).
struct PoolGrads {
  const float* g;
  const float* out;
  const int32_t* idx;
  const float* x;
  win::Strided xv;
  const float* w;
  float* dx;
  float* dw;
  float* db;
};
bool backward_relu_pool(const Shape& s, const PoolGrads& a);

}  // namespace conv
}  // namespace kiln
