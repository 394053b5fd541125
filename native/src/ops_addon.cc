// N-API entry points of the elementwise, reduction and optimizer kernels. Like matmul they use
// the C API directly: a call costs one napi_get_typedarray_info per array plus one for the
// shared Float64Array of parameters, which loader.ts fills (layout below). Each entry returns
// a boolean: false when the kernel does not take this dtype combination, and the JS side then
// runs the js kernel instead. Every view is bounds-checked first (O(dims)).
#include <node_api.h>

#include <cstdint>
#include <cstdlib>

#include "ew.h"
#include "ew_ops.h"
#include "generated/op_codes.h"
#include "napi_util.h"

namespace kiln {
namespace {

using ew::DT;
using ew::kMaxDims;

// Parameter layout; must match src/backend/native/loader.ts.
enum Param { kOp, kNd, kP0, kP1, kOff0, kOff1, kOff2, kOff3, kExtra, kFlag, kHeader };
constexpr int kPerDim = 5;  // size, then the stride of operands 0..3

using napi::Arr;
using napi::boolean;
using napi::fail;
using napi::read_array;

bool dtype_of(napi_typedarray_type t, DT* out) {
  switch (t) {
    case napi_float32_array: *out = DT::F32; return true;
    case napi_float64_array: *out = DT::F64; return true;
    case napi_int32_array: *out = DT::I32; return true;
    case napi_uint8_array: *out = DT::U8; return true;
    default: return false;
  }
}

// A decoded call: `n` typed arrays (their dtypes), then the parameter array, with the dims.
struct Call {
  Arr a[5];
  DT dt[5];
  const double* p = nullptr;
  int nd = 0;
  long shape[kMaxDims];
  long st[4][kMaxDims];
  long off[4];
};

// Reads `n` typed arrays (an undefined argument leaves a null array) and the params. Returns
// false (after throwing) on malformed arguments; `supported` is false for an unknown dtype.
bool decode(napi_env env, napi_callback_info info, int n, Call& c, bool* supported) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  *supported = true;
  if (argc < size_t(n + 1)) return fail(env, "kiln_native: missing arguments"), false;
  for (int i = 0; i <= n; ++i) {
    Arr& x = i < n ? c.a[i] : c.a[4];
    if (!read_array(env, argv[i], &x)) {
      if (i == n)
        return fail(env, "kiln_native: expected typed arrays and a Float64Array of params"), false;
      x = Arr{};
      c.dt[i] = DT::F64;
      continue;  // optional array (e.g. SGD without momentum)
    }
    if (i < n && !dtype_of(x.type, &c.dt[i])) *supported = false;
  }
  const Arr& pa = c.a[4];
  if (pa.type != napi_float64_array || pa.length < kHeader)
    return fail(env, "kiln_native: bad params array"), false;
  c.p = static_cast<const double*>(pa.data);
  long nd;
  if (!napi::to_long(c.p[kNd], &nd) || nd < 0 || nd > kMaxDims ||
      pa.length < size_t(kHeader + kPerDim * nd))
    return fail(env, "kiln_native: bad dim count", true), false;
  c.nd = int(nd);
  for (int d = 0; d < c.nd; ++d) {
    const double* q = c.p + kHeader + kPerDim * d;
    bool ok = napi::to_long(q[0], &c.shape[d]);
    for (int k = 0; k < 4; ++k) ok = ok && napi::to_long(q[1 + k], &c.st[k][d]);
    if (!ok) return fail(env, "kiln_native: sizes and strides must be integers", true), false;
  }
  for (int k = 0; k < 4; ++k)
    if (!napi::to_long(c.p[kOff0 + k], &c.off[k]))
      return fail(env, "kiln_native: offsets must be integers", true), false;
  return true;
}

// Checks that operand k (array `arr`) stays inside its storage over the call's shape.
bool in_bounds(const Call& c, int k, const Arr& arr) {
  return napi::in_bounds(c.off[k], c.shape, c.st[k], c.nd, arr.length);
}

// Elementwise calls: arrays are (out, in1, in2, in3) in operand order k = 0..n-1.
template <class Run>
napi_value elementwise(napi_env env, napi_callback_info info, int n, const int* order, Run run) {
  Call c;
  bool supported;
  if (!decode(env, info, n, c, &supported)) return nullptr;
  if (!supported) return boolean(env, false);
  // order[i] is the operand index of argument i (JS passes inputs first, out last).
  for (int i = 0; i < n; ++i)
    if (!in_bounds(c, order[i], c.a[i]))
      return fail(env, "kiln_native: a view reaches outside its storage", true);
  ew::Layout L;
  const long* st[4] = {c.st[0], c.st[1], c.st[2], c.st[3]};
  ew::coalesce(L, c.nd, c.shape, st, c.off, n);
  return boolean(env, run(c, L));
}

constexpr int kOrder1[] = {1, 0};
constexpr int kOrder2[] = {1, 2, 0};
constexpr int kOrder3[] = {1, 2, 3, 0};
constexpr int kOrder0[] = {0};

// unary(x, out, params)
napi_value Unary(napi_env env, napi_callback_info info) {
  return elementwise(env, info, 2, kOrder1, [](const Call& c, const ew::Layout& L) {
    return ew::unary(int(c.p[kOp]), c.dt[0], c.dt[1], L, c.a[0].data, c.a[1].data, c.p[kP0],
                     c.p[kP1]);
  });
}

// binary(a, b, out, params)
napi_value Binary(napi_env env, napi_callback_info info) {
  return elementwise(env, info, 3, kOrder2, [](const Call& c, const ew::Layout& L) {
    return ew::binary(int(c.p[kOp]), c.dt[0], c.dt[1], c.dt[2], L, c.a[0].data, c.a[1].data,
                      c.a[2].data);
  });
}

// where(cond, a, b, out, params)
napi_value Where(napi_env env, napi_callback_info info) {
  return elementwise(env, info, 4, kOrder3, [](const Call& c, const ew::Layout& L) {
    if (c.dt[1] != c.dt[2] || c.dt[1] != c.dt[3]) return false;
    return ew::where(c.dt[0], c.dt[1], L, c.a[0].data, c.a[1].data, c.a[2].data, c.a[3].data);
  });
}

// copy(x, out, params)
napi_value Copy(napi_env env, napi_callback_info info) {
  return elementwise(env, info, 2, kOrder1, [](const Call& c, const ew::Layout& L) {
    return ew::copy(c.dt[0], c.dt[1], L, c.a[0].data, c.a[1].data);
  });
}

// fill(out, params); the value is p0.
napi_value Fill(napi_env env, napi_callback_info info) {
  return elementwise(env, info, 1, kOrder0, [](const Call& c, const ew::Layout& L) {
    return ew::fill(c.dt[0], L, c.a[0].data, c.p[kP0]);
  });
}

// Reductions: (x, out, params) with x as operand 1 and out as operand 0.
bool out_fits(const Call& c, long count) {
  return c.off[0] >= 0 && static_cast<size_t>(c.off[0] + count) <= c.a[1].length;
}

napi_value Reduce(napi_env env, napi_callback_info info) {
  Call c;
  bool supported;
  if (!decode(env, info, 2, c, &supported)) return nullptr;
  if (!supported || c.dt[0] != c.dt[1]) return boolean(env, false);
  unsigned mask = static_cast<unsigned>(c.p[kExtra]);
  long nout = 1;
  for (int d = 0; d < c.nd; ++d)
    if (!((mask >> d) & 1u)) nout *= c.shape[d];
  if (!in_bounds(c, 1, c.a[0]) || !out_fits(c, nout))
    return fail(env, "kiln_native.reduce: a view reaches outside its storage", true);
  return boolean(env, ew::reduce(int(c.p[kOp]), c.dt[0], c.nd, c.shape, c.st[1], c.off[1], mask,
                                 c.a[0].data, c.a[1].data, c.off[0]));
}

napi_value ArgReduce(napi_env env, napi_callback_info info) {
  Call c;
  bool supported;
  if (!decode(env, info, 2, c, &supported)) return nullptr;
  int dim = int(c.p[kExtra]);
  if (!supported || c.dt[1] != DT::I32 || dim < 0 || dim >= c.nd) return boolean(env, false);
  long lines = 1;
  for (int d = 0; d < c.nd; ++d)
    if (d != dim) lines *= c.shape[d];
  if (!in_bounds(c, 1, c.a[0]) || !out_fits(c, lines))
    return fail(env, "kiln_native.argReduce: a view reaches outside its storage", true);
  return boolean(env, ew::arg_reduce(int(c.p[kOp]), c.dt[0], c.nd, c.shape, c.st[1], c.off[1],
                                     dim, c.a[0].data, static_cast<int32_t*>(c.a[1].data),
                                     c.off[0]));
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  Call c;
  bool supported;
  if (!decode(env, info, 2, c, &supported)) return nullptr;
  int dim = int(c.p[kExtra]);
  if (!supported || c.dt[0] != c.dt[1] || dim < 0 || dim >= c.nd) return boolean(env, false);
  if (!in_bounds(c, 1, c.a[0]) || !in_bounds(c, 0, c.a[1]))
    return fail(env, "kiln_native.softmax: a view reaches outside its storage", true);
  return boolean(env, ew::softmax(c.p[kFlag] != 0, c.dt[0], c.nd, c.shape, c.st[1], c.off[1],
                                  c.st[0], c.off[0], dim, c.a[0].data, c.a[1].data));
}

// Optimizer params: [n, pOff, gOff, ...scalars]; state arrays start at 0.
enum OptParam { kN, kPOff, kGOff, kS0 };

bool opt_arrays(napi_env env, napi_callback_info info, int n, Arr* a, const double** p,
                bool* ok) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  *ok = true;
  if (argc < size_t(n + 1)) return fail(env, "kiln_native: missing arguments"), false;
  for (int i = 0; i <= n; ++i) {
    if (!read_array(env, argv[i], &a[i])) {
      a[i] = Arr{};
      if (i == n) return fail(env, "kiln_native: bad params array"), false;
    }
  }
  if (a[n].type != napi_float64_array || a[n].length < 16)
    return fail(env, "kiln_native: bad params array"), false;
  *p = static_cast<const double*>(a[n].data);
  const long len = long((*p)[kN]), poff = long((*p)[kPOff]), goff = long((*p)[kGOff]);
  if (len < 0 || poff < 0 || goff < 0 || size_t(poff + len) > a[0].length ||
      size_t(goff + len) > a[1].length)
    return fail(env, "kiln_native: optimizer arrays too short", true), false;
  for (int i = 0; i < n; ++i) {
    if (!a[i].data && i >= 2 && len > 0) continue;  // absent state array
    if (a[i].type != a[0].type) *ok = false;
    if (i >= 2 && a[i].length < size_t(len)) return fail(env, "kiln_native: state too short", true), false;
    for (int j = 0; j < i; ++j)
      if (a[i].data && a[i].data == a[j].data && len > 0) *ok = false;  // aliasing
  }
  return true;
}

// adam(p, g, m, v, params): [n, pOff, gOff, beta1, beta2, stepSize, bc2Sqrt, eps, l2, shrink, sign]
napi_value Adam(napi_env env, napi_callback_info info) {
  Arr a[5];
  const double* p;
  bool ok;
  if (!opt_arrays(env, info, 4, a, &p, &ok)) return nullptr;
  DT t;
  if (!ok || !a[2].data || !a[3].data || !dtype_of(a[0].type, &t)) return boolean(env, false);
  ew::AdamArgs args{long(p[kN]), p[kS0], p[kS0 + 1], p[kS0 + 2], p[kS0 + 3],
                    p[kS0 + 4], p[kS0 + 5], p[kS0 + 6], p[kS0 + 7]};
  const size_t es = t == DT::F32 ? 4 : 8;
  return boolean(env, ew::adam(t, args, static_cast<char*>(a[0].data) + es * long(p[kPOff]),
                               static_cast<const char*>(a[1].data) + es * long(p[kGOff]),
                               a[2].data, a[3].data));
}

// sgd(p, g, buf | undefined, params): [n, pOff, gOff, lr, momentum, dampening, wd, sign,
// nesterov, first]
napi_value Sgd(napi_env env, napi_callback_info info) {
  Arr a[4];
  const double* p;
  bool ok;
  if (!opt_arrays(env, info, 3, a, &p, &ok)) return nullptr;
  DT t;
  if (!ok || !dtype_of(a[0].type, &t)) return boolean(env, false);
  ew::SgdArgs args{long(p[kN]), p[kS0], p[kS0 + 1], p[kS0 + 2], p[kS0 + 3], p[kS0 + 4],
                   p[kS0 + 5] != 0, p[kS0 + 6] != 0};
  const size_t es = t == DT::F32 ? 4 : 8;
  return boolean(env, ew::sgd(t, args, static_cast<char*>(a[0].data) + es * long(p[kPOff]),
                              static_cast<const char*>(a[1].data) + es * long(p[kGOff]),
                              a[2].data));
}

// setEwParMin(n): elements (weighted by op cost) below which kernels stay on one thread;
// returns the previous value. A test hook: tests force the threaded path on small tensors.
napi_value SetEwParMin(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double prev = double(ew::par_min());
  double v;
  if (argc > 0 && napi_get_value_double(env, argv[0], &v) == napi_ok && v >= 0)
    ew::set_par_min(long(v));
  napi_value r;
  napi_create_double(env, prev, &r);
  return r;
}

using napi::names;

// opTable(): { unary, binary, reduce, argReduce } op names in code order, as this build was
// generated from the op table. The loader compares them with the TypeScript table and refuses
// a build from another table (op codes would silently select the wrong kernels).
napi_value OpTable(napi_env env, napi_callback_info) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "unary", names(env, ops::kUnaryNames, ops::kUnaryCount));
  napi_set_named_property(env, obj, "binary", names(env, ops::kBinaryNames, ops::kBinaryCount));
  napi_set_named_property(env, obj, "reduce", names(env, ops::kReduceNames, ops::kReduceCount));
  napi_set_named_property(env, obj, "argReduce",
                          names(env, ops::kArgReduceNames, ops::kArgReduceCount));
  return obj;
}

}  // namespace

// Adds the kernels above to the addon's exports.
void register_ops(napi_env env, napi_value exports) {
  const napi::Export entries[] = {
      {"unary", Unary},     {"binary", Binary},       {"where", Where},
      {"copy", Copy},       {"fill", Fill},           {"reduce", Reduce},
      {"argReduce", ArgReduce}, {"softmax", Softmax}, {"adam", Adam},
      {"sgd", Sgd},         {"setEwParMin", SetEwParMin}, {"opTable", OpTable},
  };
  napi::export_all(env, exports, entries);
}

namespace ew {
namespace {
long env_par_min() {
  const char* v = std::getenv("KILN_EW_PAR_MIN");
  return v && *v ? std::atol(v) : (1L << 20);  // see g_par_min in gemm.cc for why this high
}
long g_par_min = env_par_min();
}  // namespace
long par_min() { return g_par_min; }
void set_par_min(long n) { g_par_min = n; }
}  // namespace ew

}  // namespace kiln
