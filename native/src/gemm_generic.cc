// Portable kernels on GCC/Clang vector extensions: SSE2 on baseline x86-64, NEON on arm64.
// Built with the default flags, so this set runs on any CPU the addon loads on.
#include "gemm.h"

namespace kiln {
namespace generic {

template <class S>
struct Vec16 {
  using T = S;
  typedef S V __attribute__((vector_size(16)));
  static constexpr int W = 16 / sizeof(S);
  static V zero() { return V{}; }
  static V load(const T* p) { return *reinterpret_cast<const V*>(p); }
  static V loadu(const T* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
  }
  static void storeu(T* p, V v) { __builtin_memcpy(p, &v, sizeof v); }
  static V bcast(const T* p) { return V{} + *p; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static V load_n(const T* p, int n) {
    V v{};
    for (int i = 0; i < n; ++i) v[i] = p[i];
    return v;
  }
  static void store_n(T* p, V v, int n) {
    for (int i = 0; i < n; ++i) p[i] = v[i];
  }
  static constexpr bool kTranspose = false;  // packing takes the scalar paths
  static void transpose(V*) {}
};

#include "gemm_kernel.inc"

// MR, NV, KC, NC, MC of the single-precision tile.
#define KILN_GENERIC_S 4, 3, 256, 256, 512

void rect_f32(const Gemm<float>& g, long m0, long m1, long n0, long n1) {
  gemm_rect<Vec16<float>, KILN_GENERIC_S>(g, m0, m1, n0, n1);
}
void rect_f64(const Gemm<double>& g, long m0, long m1, long n0, long n1) {
  gemm_rect<Vec16<double>, 4, 3, 256, 192, 512>(g, m0, m1, n0, n1);
}

using Packed = PackedF32<Vec16<float>, KILN_GENERIC_S>;

const KernelSet kSet = {"generic", rect_f32, rect_f64, 4, 12, 4, 6,
                        Packed::len, Packed::pack, Packed::rect};

}  // namespace generic

const KernelSet* kernels_generic() { return &generic::kSet; }
}  // namespace kiln
