// N-API entry points of the pre-packed float32 Linear (gemm.cc's gemm_packed_f32): a frozen
// weight is packed once into a Float32Array that JS owns and caches (src/backend/native/linear.ts),
// and each later product reads the packing instead of repacking the weight. The array starts
// with a header the products check, so a packing made for another kernel set, size or
// alignment (V8 may give a new array another address) is refused and JS packs again.
#include <node_api.h>

#include <cstdint>

#include "gemm.h"
#include "napi_util.h"

namespace kiln {
namespace {

using napi::Arr;
using napi::boolean;
using napi::fail;

// Header slots at the start of a packing; the panels start at the first 64-byte boundary after.
enum Header { kKernel, kHK, kHN, kStart, kHeaderLen };
constexpr long kMaxDim = 1L << 24;  // k and n are stored as exact floats in the header

// Index of the first 64-byte-aligned float after the header.
long aligned_start(const float* data) {
  auto base = reinterpret_cast<uintptr_t>(data + kHeaderLen);
  return kHeaderLen + static_cast<long>(((base + 63) & ~uintptr_t(63)) - base) / 4;
}

// Floats a packing of a k×n weight takes, header and alignment slack included.
long total_len(long k, long n) { return kHeaderLen + 15 + packed_len_f32(k, n); }

// linearPackedLength(params [k, n]) -> number
napi_value Length(napi_env env, napi_callback_info info) {
  Arr a[1];
  long p[2];
  if (!napi::decode_params(env, info, 0, a, p, 2, "kiln_native.linearPackedLength: k and n must be integers"))
    return nullptr;
  if (p[0] <= 0 || p[1] <= 0 || p[0] > kMaxDim || p[1] > kMaxDim)
    return fail(env, "kiln_native.linearPackedLength: k and n must be in 1..2^24", true);
  napi_value r;
  napi_create_double(env, double(total_len(p[0], p[1])), &r);
  return r;
}

// linearPack(w, dst, params [k, n, wOff, sbk, sbn]) -> false when dst is too short
// B = w viewed as k×n (a Linear weight [n, k] transposed: sbk 1, sbn k).
napi_value Pack(napi_env env, napi_callback_info info) {
  Arr a[3];
  long p[5];
  if (!napi::decode_params(env, info, 2, a, p, 5, "kiln_native.linearPack: a parameter is not an integer"))
    return nullptr;
  if (a[0].type != napi_float32_array || a[1].type != napi_float32_array)
    return fail(env, "kiln_native.linearPack: weight and packing must be float32");
  long k = p[0], n = p[1];
  if (k <= 0 || n <= 0 || k > kMaxDim || n > kMaxDim)
    return fail(env, "kiln_native.linearPack: k and n must be in 1..2^24", true);
  long sizes[2] = {k, n}, strides[2] = {p[3], p[4]};
  if (!napi::in_bounds(p[2], sizes, strides, 2, a[0].length))
    return fail(env, "kiln_native.linearPack: the weight view reaches outside its storage", true);
  if (a[1].length < size_t(total_len(k, n))) return boolean(env, false);
  float* dst = static_cast<float*>(a[1].data);
  long start = aligned_start(dst);
  dst[kKernel] = float(kernel_id());
  dst[kHK] = float(k);
  dst[kHN] = float(n);
  dst[kStart] = float(start);
  pack_f32(static_cast<const float*>(a[0].data) + p[2], k, n, p[3], p[4], dst + start);
  return boolean(env, true);
}

// linearPacked(x, packing, out, bias, params [m, n, k, xOff, xSm, xSk, outOff, ldc, bOff])
// out = x · B (+ bias); bOff -1 for none (bias is then any float32 array). False when the
// packing was made for another kernel set, shape or address: the caller packs again.
napi_value Product(napi_env env, napi_callback_info info) {
  Arr a[5];
  long p[9];
  if (!napi::decode_params(env, info, 4, a, p, 9, "kiln_native.linearPacked: a parameter is not an integer"))
    return nullptr;
  for (int i = 0; i < 4; ++i)
    if (a[i].type != napi_float32_array)
      return fail(env, "kiln_native.linearPacked: operands must be float32");
  long m = p[0], n = p[1], k = p[2];
  if (m < 0 || n <= 0 || k <= 0 || n > kMaxDim || k > kMaxDim)
    return fail(env, "kiln_native.linearPacked: bad sizes", true);
  long xs[2] = {m, k}, xst[2] = {p[4], p[5]}, cs[2] = {m, n}, cst[2] = {p[7], 1};
  bool ok = napi::in_bounds(p[3], xs, xst, 2, a[0].length) &&
            napi::in_bounds(p[6], cs, cst, 2, a[2].length) &&
            (p[8] == -1 || (p[8] >= 0 && size_t(p[8]) + size_t(n) <= a[3].length));
  if (!ok) return fail(env, "kiln_native.linearPacked: a view reaches outside its storage", true);
  const float* pk = static_cast<const float*>(a[1].data);
  long start = a[1].length >= size_t(kHeaderLen) ? aligned_start(pk) : 0;
  if (a[1].length < size_t(total_len(k, n)) || pk[kKernel] != float(kernel_id()) ||
      pk[kHK] != float(k) || pk[kHN] != float(n) || pk[kStart] != float(start))
    return boolean(env, false);
  const float* bias = p[8] >= 0 ? static_cast<const float*>(a[3].data) + p[8] : nullptr;
  PackedGemm<float> g{static_cast<const float*>(a[0].data) + p[3], pk + start,
                      static_cast<float*>(a[2].data) + p[6], bias, m, n, k, p[4], p[5], p[7]};
  gemm_packed_f32(g);
  return boolean(env, true);
}

}  // namespace

// Adds the kernels above to the addon's exports.
void register_linear(napi_env env, napi_value exports) {
  const napi::Export entries[] = {
      {"linearPackedLength", Length},
      {"linearPack", Pack},
      {"linearPacked", Product},
  };
  napi::export_all(env, exports, entries);
}

}  // namespace kiln
