// AVX2 kernels of the fused training Conv2d + ReLU + MaxPool2d(2) (conv_pool_train.cc). Only
// plain declarations here: the kernels are compiled with their own -m flags
// (conv_pool_avx2.cc), as the direct convolution's are (conv_direct.h).
#pragma once

#include <cstdint>

namespace kiln {
namespace convd {

// out [o][oh / 2][ow / 2] = max over each 2x2 window (stride 2, floor) of y [o][oh][ow], and
// idx (same layout) = the position i * ow + j in y's [oh][ow] plane of each window's first
// maximum in (row, column) order, as maxPool records it, or of its last NaN (NaN propagates).
using Pool2ArgFn = void (*)(const float* y, long o, long oh, long ow, float* out, int32_t* idx);

struct PoolKernels {
  Pool2ArgFn pool2_arg;
};

// Null where the unit was not compiled with AVX2; call only after checking the CPU.
const PoolKernels* pool_kernels_avx2();

}  // namespace convd
}  // namespace kiln
