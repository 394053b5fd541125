// Direct float32 convolution kernels for one sample at stride 1 and dilation 1 (conv.cc picks
// them where they apply and pads or copies the input first). Instead of im2col + GEMM, the
// input is read in place: a register tile holds 6 neighbouring output positions of one row x 16
// output channels, each tap broadcasts 6 input values from fixed offsets of one row pointer and
// loads 16 packed weights, and the tile is transposed in registers on the way out so it lands in
// NCHW rows with the bias and ReLU applied. The weight gradient uses the same shape turned
// around: 3 taps x 32 output channels accumulated over the sample's positions.
// Only plain declarations here: the kernels are compiled with their own -m flags
// (conv_direct_avx2.cc), as the GEMM kernels are (see gemm.h).
#pragma once

namespace kiln {
namespace convd {

// One sample's input [c][h][w] (unit column stride) and the window; oh = h - kh + 1 and
// ow = w - kw + 1 (the caller has applied any padding), ow >= 6.
struct Image {
  const float* x;
  long cs, rs;  // channel and row strides
  long c, h, w, kh, kw, oh, ow;
};

// out [o][oh][ow] (contiguous) = conv(img, weights) + bias, then max(0, .) when relu. `wpk`
// holds the weights packed by 16 output channels: block b, tap (ci, a, bb) at
// wpk[((b * c + ci) * kh + a) * kw + bb) * 16 + lane], zero past o; `bias` has one value per
// packed channel (zero past o) or is null.
using ForwardFn = void (*)(const Image& img, long o, const float* wpk, const float* bias,
                           bool relu, float* out);

// dwt [c * kh * kw][ldo] += sum over positions p of img[ci][p + (a, bb)] * dyt[p][oc], for a 3-wide
// kernel; dyt is [oh * ow][ldo] with ldo a multiple of 32 (channels past o zero).
using WeightGradFn = void (*)(const Image& img, const float* dyt, long ldo, float* dwt);

// dst[c][r] = src[r][c] for r < rows, c < cols (row strides lds, ldd).
using TransposeFn = void (*)(const float* src, long rows, long cols, long lds, float* dst,
                             long ldd);

// dxt [hp][wp][ldc] (a zero-bordered image, channels last) += for every tap (a, b) of a kh x kw
// kernel, position (i, j) of the oh x ow output and channel c: sum over oc of
// w[oc][c][a][b] * dm[oc][i * ow + j], written at (i + a, j + b). dm is [o][ldp] with ldp a
// multiple of 6 and zeros past oh * ow; wt is packed [c block][a][b][oc][16], ldc = 16 * cblocks.
using InputGradFn = void (*)(const float* dm, long o, long ldp, long oh, long ow, long kh,
                             long kw, const float* wt, long cblocks, float* dxt, long wp,
                             long ldc);

// out [o][oh / 2][ow / 2] = max over each 2x2 window (stride 2, floor) of y [o][oh][ow]; y has
// no NaN (it follows a ReLU).
using Pool2Fn = void (*)(const float* y, long o, long oh, long ow, float* out);

struct Kernels {
  ForwardFn forward;
  WeightGradFn wgrad3;
  TransposeFn transpose;
  InputGradFn input_grad;
  Pool2Fn pool2;
  // The forward for at most 32 taps (c * kh * kw) and rows of at least 16 outputs, with the
  // weights packed [o / 6][tap][6] (zero past o) and `bias` of o values (or null).
  ForwardFn forward_few;
};

// Null where the unit was not compiled with AVX2 + FMA; call only after checking the CPU.
const Kernels* kernels_avx2();

}  // namespace convd
}  // namespace kiln
