// AVX-512F kernels. Built with -mavx512f -mfma (see binding.gyp) and only called after the
// dispatcher has seen avx512f at run time.
#include "gemm.h"

#if defined(__x86_64__) && defined(__AVX512F__)
// GCC 12's own avx512fintrin.h passes _mm512_undefined_ps() as the unused merge source of
// _mm512_unpack*_ps, and -Wmaybe-uninitialized then flags the header at every inlining site (a
// known false positive: the mask is all ones, so that operand is never read). Silenced for this
// file only, so -Wall -Wextra stays meaningful everywhere else.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

namespace kiln {
namespace avx512 {

struct F32 {
  using T = float;
  using V = __m512;
  static constexpr int W = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const T* p) { return _mm512_load_ps(p); }
  static V loadu(const T* p) { return _mm512_loadu_ps(p); }
  static void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V bcast(const T* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static V load_n(const T* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store_n(T* p, V v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static constexpr bool kTranspose = true;
  // 16×16 transpose: r[i] = row i in, r[q] = column q out.
  __attribute__((always_inline)) static void transpose(V r[16]) {
    V t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // u[4g + c]: 128-bit lane j holds column 4j + c of rows 4g..4g+3.
    for (int g = 0; g < 16; g += 4) {
      u[g] = _mm512_shuffle_ps(t[g], t[g + 2], 0x44);
      u[g + 1] = _mm512_shuffle_ps(t[g], t[g + 2], 0xEE);
      u[g + 2] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0x44);
      u[g + 3] = _mm512_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      V lo01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
      V hi01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
      V lo23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
      V hi23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
      r[c] = _mm512_shuffle_f32x4(lo01, lo23, 0x88);
      r[4 + c] = _mm512_shuffle_f32x4(lo01, lo23, 0xDD);
      r[8 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0x88);
      r[12 + c] = _mm512_shuffle_f32x4(hi01, hi23, 0xDD);
    }
  }
};

struct F64 {
  using T = double;
  using V = __m512d;
  static constexpr int W = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const T* p) { return _mm512_load_pd(p); }
  static V loadu(const T* p) { return _mm512_loadu_pd(p); }
  static void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V bcast(const T* p) { return _mm512_set1_pd(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static __mmask8 mask(int n) { return static_cast<__mmask8>((1u << n) - 1u); }
  static V load_n(const T* p, int n) { return _mm512_maskz_loadu_pd(mask(n), p); }
  static void store_n(T* p, V v, int n) { _mm512_mask_storeu_pd(p, mask(n), v); }
  static constexpr bool kTranspose = true;
  // 8×8 transpose: r[i] = row i in, r[q] = column q out.
  __attribute__((always_inline)) static void transpose(V r[8]) {
    V t[8];
    // t[2i + c]: 128-bit lane j holds column 2j + c of rows 2i, 2i+1.
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    for (int c = 0; c < 2; ++c) {
      V lo01 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0x44);
      V hi01 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0xEE);
      V lo23 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0x44);
      V hi23 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0xEE);
      r[c] = _mm512_shuffle_f64x2(lo01, lo23, 0x88);
      r[2 + c] = _mm512_shuffle_f64x2(lo01, lo23, 0xDD);
      r[4 + c] = _mm512_shuffle_f64x2(hi01, hi23, 0x88);
      r[6 + c] = _mm512_shuffle_f64x2(hi01, hi23, 0xDD);
    }
  }
};

#include "gemm_kernel.inc"

// MR, NV (vectors across), KC, NC, MC. Two single-precision tiles: the large one pays off only
// where C and the k extent are large. On Zen 4 (thread CPU time, bench/native/gemm_ab.sh with
// AB_ISA=avx512), 6x64 with a 512-deep k block (B block 512x384 = 768 KiB in the 1 MiB L2) ran
// 1.05-1.08x the 12x32 tile at 1024^3 and 2048^3 (half the passes over C, six C rows per tile
// instead of twelve), the same at 512^3, but 0.96x on MLP-sized products with a transposed B
// 784 wide (the 64-wide panels pad 784 to 832 and pack B in four transposes per 16 k).
// The large tile packs A and B inside its first micro-kernel calls (gemm_rect's Fuse): median
// paired speedups on Zen 4 over four runs x1.023-1.041 at 1024^3, x0.99-1.026 at 2048^3 (x1.015
// at 512x1024x512, x1.045 at 1024x784x1024 with B transposed, where only A is fused), bit-
// identical results. The small tile gained nothing from it at 512^3 (x0.985), so it packs first.
#ifndef KILN_A512_S
#define KILN_A512_S 12, 2, 256, 512, 2400
#endif
#ifndef KILN_A512_SL
#define KILN_A512_SL 6, 4, 512, 384, 2400
#endif
#ifndef KILN_A512_D
#define KILN_A512_D 8, 3, 192, 384, 2400
#endif

// A rectangle takes the large tile from 2^28 multiply-adds (512x512x1024) with k >= 512 and at
// least 256 columns, the region measured above (1024^3, 2048^3 and their halves on 2 threads).
inline bool large_f32(const Gemm<float>& g, long m0, long m1, long n0, long n1) {
  return g.k >= 512 && n1 - n0 >= 256 && (m1 - m0) * (n1 - n0) * g.k >= (1L << 28);
}

void rect_f32(const Gemm<float>& g, long m0, long m1, long n0, long n1) {
  if (large_f32(g, m0, m1, n0, n1)) gemm_rect<F32, KILN_A512_SL, true>(g, m0, m1, n0, n1);
  else gemm_rect<F32, KILN_A512_S>(g, m0, m1, n0, n1);
}
void rect_f64(const Gemm<double>& g, long m0, long m1, long n0, long n1) {
  gemm_rect<F64, KILN_A512_D>(g, m0, m1, n0, n1);
}

// Packed weights use the small tile at every size (see packed_b_len in gemm_kernel.inc).
using Packed = PackedF32<F32, KILN_A512_S>;

template <int MR, int NV, int, int, int>
struct Tile {
  static constexpr int mr = MR, nv = NV;
};
using TileS = Tile<KILN_A512_S>;
using TileSL = Tile<KILN_A512_SL>;
using TileD = Tile<KILN_A512_D>;
// The dispatcher sizes its grid cells and its narrow-product test by the small tile (kSet below),
// as before the large one existed. Its row steps must still be whole large tiles; a column step of
// an odd number of 32-wide panels leaves one partial 64-wide panel per cell (the edge path).
static_assert(TileS::mr % TileSL::mr == 0, "a small f32 tile's rows must be whole large tiles");

const KernelSet kSet = {"avx512f", rect_f32, rect_f64, TileS::mr, TileS::nv * 16,
                        TileD::mr, TileD::nv * 8, Packed::len, Packed::pack, Packed::rect};

}  // namespace avx512

const KernelSet* kernels_avx512() { return &avx512::kSet; }
}  // namespace kiln

#else
namespace kiln {
const KernelSet* kernels_avx512() { return nullptr; }
}  // namespace kiln
#endif
