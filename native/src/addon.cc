// N-API entry points. matmul is on the hot path of every training step, so it uses the C API
// directly (one napi_get_typedarray_info per operand) instead of node-addon-api's wrappers,
// which repeat that call for each property they expose.
#include <napi.h>

#include <cstdint>

#include "gemm.h"
#include "napi_util.h"
#include "pool.h"

namespace kiln {
void register_ops(napi_env env, napi_value exports);     // ops_addon.cc
void register_window(napi_env env, napi_value exports);  // window_addon.cc
void register_conv(napi_env env, napi_value exports);    // conv_addon.cc
void register_conv_pool(napi_env env, napi_value exports);  // conv_pool_addon.cc
void register_linear(napi_env env, napi_value exports);     // linear_addon.cc
}

namespace {

constexpr int kMaxBatchDims = 16;
// Layout of the Float64Array of parameters; must match src/backend/native/loader.ts.
enum Param {
  kNBatchDims, kM, kN, kK, kOffA, kOffB, kOffC, kSAm, kSAk, kSBk, kSBn, kLdc, kAccumulate,
  kHeader  // then per batch dim: size, strideA, strideB, strideC
};

using kiln::napi::Arr;
using kiln::napi::fail;
using kiln::napi::in_bounds;
using kiln::napi::read_array;

template <class T>
void run(const Arr& a, const Arr& b, const Arr& c, const double* p, const long* shape,
         const long* sa, const long* sb, const long* sc, int nbd, long nbatch) {
  kiln::Gemm<T> g{static_cast<const T*>(a.data) + long(p[kOffA]),
                  static_cast<const T*>(b.data) + long(p[kOffB]),
                  static_cast<T*>(c.data) + long(p[kOffC]),
                  long(p[kM]), long(p[kN]), long(p[kK]),
                  long(p[kSAm]), long(p[kSAk]), long(p[kSBk]), long(p[kSBn]), long(p[kLdc]),
                  p[kAccumulate] != 0};
  kiln::BatchPlan plan{nbatch, nbd, shape, sa, sb, sc};
  if constexpr (sizeof(T) == 4) kiln::gemm_f32(g, plan);
  else kiln::gemm_f64(g, plan);
}

// matmul(a, b, out, params: Float64Array)
napi_value Matmul(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Arr a, b, c, pa;
  if (argc < 4 || !read_array(env, argv[0], &a) || !read_array(env, argv[1], &b) ||
      !read_array(env, argv[2], &c) || !read_array(env, argv[3], &pa) ||
      pa.type != napi_float64_array || pa.length < kHeader)
    return fail(env, "kiln_native.matmul(a, b, out, params): bad arguments");
  if (a.type != b.type || a.type != c.type ||
      (a.type != napi_float32_array && a.type != napi_float64_array))
    return fail(env, "kiln_native.matmul: operands must all be float32 or float64");
  const double* p = static_cast<const double*>(pa.data);
  long nbdl;
  if (!kiln::napi::to_long(p[kNBatchDims], &nbdl) || nbdl < 0 || nbdl > kMaxBatchDims ||
      pa.length < size_t(kHeader + 4 * nbdl))
    return fail(env, "kiln_native.matmul: bad batch dim count", true);
  const int nbd = int(nbdl);
  // Every header and batch-dim slot is an integer (size, stride, offset) or the 0/1 flag.
  for (size_t i = 0; i < size_t(kHeader + 4 * nbd); ++i) {
    long unused;
    if (!kiln::napi::to_long(p[i], &unused))
      return fail(env, "kiln_native.matmul: sizes, strides and offsets must be integers", true);
  }
  long shape[kMaxBatchDims + 2], sa[kMaxBatchDims + 2], sb[kMaxBatchDims + 2],
      sc[kMaxBatchDims + 2];
  long nbatch = 1;
  for (int d = 0; d < nbd; ++d) {
    const double* q = p + kHeader + 4 * d;
    shape[d] = long(q[0]);
    sa[d] = long(q[1]);
    sb[d] = long(q[2]);
    sc[d] = long(q[3]);
    nbatch *= shape[d];
  }
  long m = long(p[kM]), n = long(p[kN]), k = long(p[kK]);
  // Bounds over batch dims plus the two matrix dims of each operand.
  shape[nbd] = m; shape[nbd + 1] = k; sa[nbd] = long(p[kSAm]); sa[nbd + 1] = long(p[kSAk]);
  bool ok = in_bounds(long(p[kOffA]), shape, sa, nbd + 2, a.length);
  shape[nbd] = k; shape[nbd + 1] = n; sb[nbd] = long(p[kSBk]); sb[nbd + 1] = long(p[kSBn]);
  ok = ok && in_bounds(long(p[kOffB]), shape, sb, nbd + 2, b.length);
  shape[nbd] = m; shape[nbd + 1] = n; sc[nbd] = long(p[kLdc]); sc[nbd + 1] = 1;
  ok = ok && in_bounds(long(p[kOffC]), shape, sc, nbd + 2, c.length);
  if (!ok) return fail(env, "kiln_native.matmul: a view reaches outside its storage", true);
  if (a.type == napi_float32_array) run<float>(a, b, c, p, shape, sa, sb, sc, nbd, nbatch);
  else run<double>(a, b, c, p, shape, sa, sb, sc, nbd, nbatch);
  return nullptr;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsNumber())
    kiln::pool_set_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), kiln::pool_threads());
}

Napi::Value CpuFeatures(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kiln::cpu_features());
}

Napi::Value GemmKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kiln::kernel_name());
}

// Test hook: forces a kernel set ("avx512f" | "avx2" | "generic"); false if it cannot run here.
Napi::Value SetGemmKernel(const Napi::CallbackInfo& info) {
  bool ok = info.Length() > 0 && info[0].IsString() &&
            kiln::select_kernels(info[0].As<Napi::String>().Utf8Value().c_str());
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_value mm;
  napi_create_function(env, "matmul", NAPI_AUTO_LENGTH, Matmul, nullptr, &mm);
  exports.Set("matmul", Napi::Value(env, mm));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures, "cpuFeatures"));
  exports.Set("gemmKernel", Napi::Function::New(env, GemmKernel, "gemmKernel"));
  exports.Set("setGemmKernel", Napi::Function::New(env, SetGemmKernel, "setGemmKernel"));
  kiln::register_ops(env, exports);
  kiln::register_window(env, exports);
  kiln::register_conv(env, exports);
  kiln::register_conv_pool(env, exports);
  kiln::register_linear(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(kiln_native, Init)
