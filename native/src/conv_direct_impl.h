// Helpers shared by the direct float32 convolution units: the forward (conv_direct.cc, which
// defines them), its backward (conv_direct_backward.cc) and the fused training Conv2d + ReLU +
// MaxPool2d (conv_pool_train.cc). Internal to those units.
#pragma once

#include <vector>

#include "conv.h"
#include "conv_direct.h"

namespace kiln {
namespace conv {
namespace direct {

// The AVX2 kernels where this machine runs them, unless the GEMM was forced to the generic
// kernels (KILN_GEMM_KERNEL=generic, for tests) or KILN_CONV_DIRECT=0; else null.
const convd::Kernels* kernels();

// Whether the direct kernels take the convolution (stride 1, dilation 1, one group, rows >= 6).
bool applies(const Shape& s);

long round_up(long v, long m);

// Per-thread buffer `slot` (0-5) of at least `count` floats, grown on demand and kept for the
// next call; stale contents.
float* buffer(int slot, long count);

// Weights [o][ci][a][b] packed by 16 output channels: [block][ci][a][b][16], zero past o.
std::vector<float> pack(const float* w, long o, long c, long kh, long kw);

// The same weights by 6 output channels for forward_few: [o / 6][tap][6], zero past o.
std::vector<float> pack6(const float* w, long o, long taps);

// The same weights for the input gradient: [block of 16 ci][a][b][o][16], zero past c.
std::vector<float> pack_dx(const float* w, long o, long c, long kh, long kw);

// Sample n of x as the direct kernels read it: in place when unpadded with unit column stride,
// else copied into `pad` ([c][oh+kh-1][ow+kw-1], borders zeroed by the caller once).
convd::Image image(const Shape& s, const float* x, const win::Strided& xv, long n, float* pad);

// Whether x needs the zero-bordered copy; its size when it does.
long pad_size(const Shape& s, const win::Strided& xv);

// The forward kernel over one image, by row tiles or as one flat row (see conv_direct.cc).
void run_forward(const convd::Kernels* k, const convd::Image& img, long o, const float* wpk,
                 const float* bias, bool relu, float* out);

// Writes sample n's output gradient as the backward reads it: dm [o][ldp], the first oh * ow
// of each row (ldp is oh * ow rounded up to 6; the rest may hold anything).
using FillFn = void (*)(const void* ctx, long n, float* dm, long ldp);

// The gradients of backward_direct (a.dy and a.y unused: `fill` supplies each sample's output
// gradient); false, having done nothing, where the direct kernels do not apply.
bool backward_run(const Shape& s, const Grads<float>& a, FillFn fill, const void* ctx);

}  // namespace direct
}  // namespace conv
}  // namespace kiln
