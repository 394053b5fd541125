// AVX2+FMA kernels (16 ymm registers: a 6×16 float tile uses 12 accumulators).
#include "gemm.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "transpose_avx2.h"

namespace kiln {
namespace avx2 {

inline __m256i lane_mask(int n, int w) {
  // Lanes below n are all-ones; the mask selects the first n elements of width-w lanes.
  const __m256i idx = w == 8 ? _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
                             : _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const T* p) { return _mm256_load_ps(p); }
  static V loadu(const T* p) { return _mm256_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V load_n(const T* p, int n) { return _mm256_maskload_ps(p, lane_mask(n, 8)); }
  static void store_n(T* p, V v, int n) { _mm256_maskstore_ps(p, lane_mask(n, 8), v); }
  static constexpr bool kTranspose = true;
  // 8×8 transpose: r[i] = row i in, r[q] = column q out.
  __attribute__((always_inline)) static void transpose(V r[8]) { transpose8x8(r); }
};

struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const T* p) { return _mm256_load_pd(p); }
  static V loadu(const T* p) { return _mm256_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static V load_n(const T* p, int n) { return _mm256_maskload_pd(p, lane_mask(n, 4)); }
  static void store_n(T* p, V v, int n) { _mm256_maskstore_pd(p, lane_mask(n, 4), v); }
  static constexpr bool kTranspose = true;
  // 4×4 transpose: r[i] = row i in, r[q] = column q out.
  __attribute__((always_inline)) static void transpose(V r[4]) {
    V t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    V t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
};

#include "gemm_kernel.inc"

// Register tile and cache blocks: MR, NV (vectors of 8 floats per row), KC, NC, MC. Override
// with -DKILN_AVX2_S=... when tuning (bench/native/gemm_ab.sh).
#ifndef KILN_AVX2_S
#define KILN_AVX2_S 6, 2, 384, 192, 960
#endif

void rect_f32(const Gemm<float>& g, long m0, long m1, long n0, long n1) {
  gemm_rect<F32, KILN_AVX2_S>(g, m0, m1, n0, n1);
}
void rect_f64(const Gemm<double>& g, long m0, long m1, long n0, long n1) {
  gemm_rect<F64, 6, 2, 320, 192, 960>(g, m0, m1, n0, n1);
}

using Packed = PackedF32<F32, KILN_AVX2_S>;

template <int MR, int NV, int, int, int>
struct Tile {
  static constexpr int mr = MR, nv = NV;
};
using TileS = Tile<KILN_AVX2_S>;

const KernelSet kSet = {"avx2", rect_f32, rect_f64, TileS::mr, TileS::nv * 8, 6, 8,
                        Packed::len, Packed::pack, Packed::rect};

}  // namespace avx2

const KernelSet* kernels_avx2() { return &avx2::kSet; }
}  // namespace kiln

#else
namespace kiln {
const KernelSet* kernels_avx2() { return nullptr; }
}  // namespace kiln
#endif
