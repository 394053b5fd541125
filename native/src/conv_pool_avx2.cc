// AVX2 kernels of the fused training Conv2d + ReLU + MaxPool2d (conv_pool_kernels.h). Built with
// -mavx2 -mfma in the kiln_avx2 library and only called after conv_direct.cc has seen both at
// run time; nothing here instantiates a std template (see conv_direct_avx2.cc).
#include "conv_pool_kernels.h"

#if defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>

namespace kiln {
namespace convd {
namespace {

// 2x2 max pool with argmax, stride 2: 8 windows per step. A row pair's 16 + 16 inputs are split
// into even and odd columns (in the lane order 0 1 4 5 2 3 6 7 of the shuffles), the four taps
// compared in (0,0) (0,1) (1,0) (1,1) order with a strict > (the first maximum wins, as
// maxPool) or a NaN (which always takes over, so the last NaN wins, as maxPool), then the maxima and positions are put back in window order. The row's tail scalar.
void pool2_arg(const float* y, long o, long oh, long ow, float* out, int32_t* idx) {
  const long ph = oh / 2, pw = ow / 2;
  // Column offset 2 * window of each lane, in the shuffled order.
  const __m256i lane = _mm256_setr_epi32(0, 2, 8, 10, 4, 6, 12, 14);
  const __m256i one = _mm256_set1_epi32(1), down = _mm256_set1_epi32(static_cast<int>(ow));
  for (long c = 0; c < o; ++c) {
    for (long i = 0; i < ph; ++i) {
      const float* r0 = y + (c * oh + 2 * i) * ow;
      const float* r1 = r0 + ow;
      float* d = out + (c * ph + i) * pw;
      int32_t* q = idx + (c * ph + i) * pw;
      const int32_t row = static_cast<int32_t>(2 * i * ow);
      long j = 0;
      for (; j + 8 <= pw; j += 8) {
        const __m256 a0 = _mm256_loadu_ps(r0 + 2 * j), b0 = _mm256_loadu_ps(r0 + 2 * j + 8);
        const __m256 a1 = _mm256_loadu_ps(r1 + 2 * j), b1 = _mm256_loadu_ps(r1 + 2 * j + 8);
        const __m256 taps[4] = {_mm256_shuffle_ps(a0, b0, 0x88), _mm256_shuffle_ps(a0, b0, 0xDD),
                                _mm256_shuffle_ps(a1, b1, 0x88), _mm256_shuffle_ps(a1, b1, 0xDD)};
        const __m256i k00 =
            _mm256_add_epi32(_mm256_set1_epi32(row + static_cast<int32_t>(2 * j)), lane);
        const __m256i ks[4] = {k00, _mm256_add_epi32(k00, one), _mm256_add_epi32(k00, down),
                               _mm256_add_epi32(_mm256_add_epi32(k00, down), one)};
        __m256 m = taps[0];
        __m256i k = ks[0];
        for (int t = 1; t < 4; ++t) {
          const __m256 take = _mm256_or_ps(_mm256_cmp_ps(taps[t], m, _CMP_GT_OQ),
                                           _mm256_cmp_ps(taps[t], taps[t], _CMP_UNORD_Q));
          m = _mm256_blendv_ps(m, taps[t], take);
          k = _mm256_castps_si256(
              _mm256_blendv_ps(_mm256_castsi256_ps(k), _mm256_castsi256_ps(ks[t]), take));
        }
        const __m256d mo = _mm256_permute4x64_pd(_mm256_castps_pd(m), 0xD8);
        _mm256_storeu_ps(d + j, _mm256_castpd_ps(mo));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + j), _mm256_permute4x64_epi64(k, 0xD8));
      }
      for (; j < pw; ++j) {
        const long at = 2 * j;
        const float v[4] = {r0[at], r0[at + 1], r1[at], r1[at + 1]};
        const int32_t pos[4] = {static_cast<int32_t>(at), static_cast<int32_t>(at + 1),
                                static_cast<int32_t>(at + ow), static_cast<int32_t>(at + ow + 1)};
        float best = v[0];
        int32_t bi = pos[0];
        for (int t = 1; t < 4; ++t)
          if (v[t] > best || v[t] != v[t]) {
            best = v[t];
            bi = pos[t];
          }
        d[j] = best;
        q[j] = row + bi;
      }
    }
  }
}

const PoolKernels kSet = {pool2_arg};

}  // namespace

const PoolKernels* pool_kernels_avx2() { return &kSet; }

}  // namespace convd
}  // namespace kiln

#else
namespace kiln {
namespace convd {
const PoolKernels* pool_kernels_avx2() { return nullptr; }
}  // namespace convd
}  // namespace kiln
#endif
