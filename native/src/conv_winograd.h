// Winograd F(2x2, 3x3) kernels for the inference-only Conv2d + ReLU + MaxPool2d(2) (see
// conv_winograd.cc). Each 2x2 output tile of the convolution is exactly one 2x2 pooling window,
// so a tile's output transform ends in one max and the convolution's full output never exists:
// per tile, 16 products of transformed 4x4 input patches with transformed filters replace the
// 36 multiply-adds per channel of the direct kernel (2.25x fewer), and positions the floor pool
// drops (the last row and column of an odd-sized output) are not computed at all.
// The unit also holds the pooled kernel for few taps, where Winograd does not pay.
// Only plain declarations here: the kernels are compiled with -mavx2 -mfma
// (conv_winograd_avx2.cc), as the GEMM and direct-convolution kernels are.
#pragma once

namespace kiln {
namespace convw {

// v [16][tp][cp] = B^T d B of every tile t = i * tw + j (i < th, j < tw), d the 4x4 patch at
// (2i, 2j) of x [hp][wp][cp] (channels last, cp a multiple of 8). Tiles from th * tw to tp are
// not written.
using InputFn = void (*)(const float* x, long wp, long th, long tw, long cp, float* v, long tp);

// m [16][tp][op] = v [16][tp][cp] times u [16][cp][op] (one product per transform position);
// tp a multiple of 5, op of 16.
using GemmFn = void (*)(const float* v, const float* u, long tp, long cp, long op, float* m);

// p [t][op] = max(0, max of the 2x2 outputs A^T m A of tile t + bias) for t < tiles; bias has
// op values.
using OutputFn = void (*)(const float* m, long tp, long tiles, long op, const float* bias,
                          float* p);

// For few taps (c * kh * kw <= 32: a first layer), no Winograd: out [o][th][tw] = max(0, the
// 2x2 max pool of conv(x, w) + bias), x [c][h][w] (strides cs, rs, unit columns) covering rows
// 2 th + kh - 1 and columns 2 tw + kw - 1, tw >= 8. A register tile holds two conv rows x 16
// columns x 3 out channels, pooled in registers (no conv output is stored); w is packed
// [o / 3][tap][3] (zero past o), bias has o values or is null.
using PoolFewFn = void (*)(const float* x, long cs, long rs, long c, long kh, long kw, long th,
                           long tw, long o, const float* w3, const float* bias, float* out);

struct Kernels {
  InputFn input;
  GemmFn gemm;
  OutputFn output;
  PoolFewFn pool_few;
};

// Null where the unit was not compiled with AVX2 + FMA; call only after checking the CPU.
const Kernels* kernels_avx2();

}  // namespace convw
}  // namespace kiln
