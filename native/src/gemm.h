// Internal GEMM interface shared by the dispatcher (gemm.cc) and the per-ISA kernel units.
// Only plain structs and function declarations live here: every ISA unit is compiled with
// different -m flags, so nothing inline that could be emitted as a weak symbol may be shared.
#pragma once
#include <cstddef>

namespace kiln {

// One 2-D product C = A·B (or C += A·B). A and B are read through arbitrary element strides;
// C has unit column stride and row stride ldc.
template <class T>
struct Gemm {
  const T* a;
  const T* b;
  T* c;
  long m, n, k;
  long sam, sak;  // A strides: row (m), column (k)
  long sbk, sbn;  // B strides: row (k), column (n)
  long ldc;
  bool accumulate;
};

// C = A·B (+ bias per column) with B pre-packed by the kernel set's pack32 (see PackedGemm
// users in gemm.cc). A is read through strides, C has unit column stride.
template <class T>
struct PackedGemm {
  const T* a;
  const T* b;     // packed panels
  T* c;
  const T* bias;  // n values, or null
  long m, n, k;
  long sam, sak;
  long ldc;
};

// Computes the rectangle C[m0:m1, n0:n1] of one product on the calling thread.
using RectF32 = void (*)(const Gemm<float>&, long m0, long m1, long n0, long n1);
using RectF64 = void (*)(const Gemm<double>&, long m0, long m1, long n0, long n1);

struct KernelSet {
  const char* name;
  RectF32 f32;
  RectF64 f64;
  int mr32, nr32, mr64, nr64;  // register tile, for splitting work on tile boundaries
  // Pre-packed float32 B: its length in floats, the packing, and rows [m0, m1) of a product.
  long (*packed_len32)(long k, long n);
  void (*pack32)(const float* b, long k, long n, long sbk, long sbn, float* dst);
  void (*rect_packed32)(const PackedGemm<float>& g, long m0, long m1);
};

// Each returns null where that unit was not compiled in (e.g. x86 kernels on arm64).
const KernelSet* kernels_avx512();
const KernelSet* kernels_avx2();
const KernelSet* kernels_generic();

// Per-thread packing buffers, 64-byte aligned, grown on demand and kept for reuse.
void* scratch(int slot, size_t bytes);

// Batched product over `nbatch` batch indices. Batch b's operands start at
// a + aoff[b], b + boff[b], c + coff[b] (offsets are computed by the caller).
struct BatchPlan {
  long nbatch;
  int ndims;            // batch dims
  const long* shape;    // [ndims]
  const long* sa;       // A batch strides [ndims]
  const long* sb;       // B batch strides [ndims]
  const long* sc;       // C batch strides [ndims]
};

void gemm_f32(const Gemm<float>& g, const BatchPlan& plan);
void gemm_f64(const Gemm<double>& g, const BatchPlan& plan);

// One product on the calling thread only (for callers that split work across the pool
// themselves, as the fused convolution does by sample).
void gemm_serial(const Gemm<float>& g);
void gemm_serial(const Gemm<double>& g);

// Pre-packed float32 B (frozen weights). The layout belongs to the kernel set in use, whose
// id (1 avx512f, 2 avx2, 3 generic) the caller keeps with the packing to detect a switch.
int kernel_id();
long packed_len_f32(long k, long n);
void pack_f32(const float* b, long k, long n, long sbk, long sbn, float* dst);
// The whole product, split by rows across the pool when it is large enough. k > 0.
void gemm_packed_f32(const PackedGemm<float>& g);

// Selects the kernel set by name ("avx512f", "avx2", "generic"); false if unavailable here.
bool select_kernels(const char* name);
const char* kernel_name();
const char* cpu_features();

}  // namespace kiln
