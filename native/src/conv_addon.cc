// N-API entry points of the fused convolution (conv.cc), in the style of window_addon.cc: typed
// arrays plus one Float64Array of parameters that src/backend/native/conv.ts fills (layout
// below). Each returns false for dtypes or a geometry it does not take (the caller then uses the
// im2col + matmul composite); views are bounds-checked first (a RangeError, not corruption).
#include <node_api.h>

#include "conv.h"
#include "napi_util.h"

namespace kiln {
namespace {

// Parameter layout; must match src/backend/native/conv.ts.
enum Param {
  kN, kC, kH, kW, kOH, kOW,                // image [N, C, H, W], output positions [OH, OW]
  kKH, kKW, kSH, kSW, kPH, kPW, kDH, kDW,  // the window
  kO, kGroups,                             // out channels, groups
  kXOff, kXSt,                             // x view: offset, 4 strides
  kWOff = kXSt + 4,                        // offset of the contiguous weight
  kBOff,                                   // forward: offset of the bias, -1 for none
  kDyOff,                                  // backward: offset of dy
  kOutOff,                                 // forward: offset of the result
  kRelu,                                   // 1: ReLU after the bias (backward: y is given)
  kYOff,                                   // backward: offset of y (with kRelu)
  kDxOff, kDwOff, kDbOff,                  // backward: offsets of the results, -1 for none
  kPool,                                   // forward: 1 for a 2x2 max pool after the ReLU
  kCount
};

// The slot names in slot order, exported as convParams(): the loader refuses a build whose
// layout differs from src/backend/native/layouts.ts (a stale build would misread the slots; one
// from before kPool ran the pooled call as a plain convolution into the pooled-size output).
const char* const kNames[] = {
    "n",     "c",    "h",     "w",     "oh",     "ow",    "kh",   "kw",   "sh",    "sw",  "ph",
    "pw",    "dh",   "dw",    "o",     "groups", "xOff",  "xSt0", "xSt1", "xSt2",  "xSt3", "wOff",
    "bOff",  "dyOff", "outOff", "relu", "yOff",  "dxOff", "dwOff", "dbOff", "pool"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kCount, "a name per conv parameter slot");

using napi::Arr;
using napi::boolean;
using napi::fail;

// Reads `n` typed arrays and the params (the last argument). False after throwing.
bool decode(napi_env env, napi_callback_info info, int n, Arr* a, long* p) {
  return napi::decode_params(env, info, n, a, p, kCount, "kiln_native.conv: a parameter is not an integer");
}

// The element type shared by the arrays in `use` (0 float32, 1 float64), or -1.
int common_type(const Arr* a, int count) {
  const napi_typedarray_type t = a[0].type;
  if (t != napi_float32_array && t != napi_float64_array) return -1;
  for (int i = 1; i < count; ++i)
    if (a[i].type != t) return -1;
  return t == napi_float32_array ? 0 : 1;
}

// The shape, or false for one the kernels do not take.
bool shape_of(const long* p, conv::Shape* s) {
  s->g = win::Geom{p[kN],  p[kC],  p[kH],  p[kW],  p[kOH], p[kOW], p[kKH],
                   p[kKW], p[kSH], p[kSW], p[kPH], p[kPW], p[kDH], p[kDW]};
  s->o = p[kO];
  s->groups = p[kGroups];
  const win::Geom& g = s->g;
  return g.n >= 0 && g.c > 0 && g.h >= 0 && g.w >= 0 && g.oh >= 0 && g.ow >= 0 && g.kh > 0 &&
         g.kw > 0 && g.sh > 0 && g.sw > 0 && g.dh > 0 && g.dw > 0 && g.ph >= 0 && g.pw >= 0 &&
         s->o > 0 && s->groups > 0 && g.c % s->groups == 0 && s->o % s->groups == 0;
}

// Whether `count` contiguous elements from `off` fit in an array of `length`.
bool fits(long off, long count, size_t length) {
  long end;
  return off >= 0 && count >= 0 && !__builtin_add_overflow(off, count, &end) &&
         static_cast<size_t>(end) <= length;
}

// Element counts of the tensors of one call; false on overflow.
struct Counts {
  long x, w, y;
};
bool counts(const conv::Shape& s, Counts* c) {
  const win::Geom& g = s.g;
  long t;
  return !__builtin_mul_overflow(g.n, g.c, &t) && !__builtin_mul_overflow(t, g.h, &t) &&
         !__builtin_mul_overflow(t, g.w, &c->x) && !__builtin_mul_overflow(s.o, g.c, &t) &&
         !__builtin_mul_overflow(t / s.groups, g.kh, &t) &&
         !__builtin_mul_overflow(t, g.kw, &c->w) && !__builtin_mul_overflow(g.n, s.o, &t) &&
         !__builtin_mul_overflow(t, g.oh, &t) && !__builtin_mul_overflow(t, g.ow, &c->y) &&
         !__builtin_mul_overflow(g.c / s.groups * g.kh * g.kw, g.oh * g.ow, &t);
}

win::Strided x_view(const long* p) {
  return win::Strided{p[kXOff], {p[kXSt], p[kXSt + 1], p[kXSt + 2], p[kXSt + 3], 0, 0}};
}

bool x_in_bounds(const conv::Shape& s, const win::Strided& v, size_t length) {
  const long shape[4] = {s.g.n, s.g.c, s.g.h, s.g.w};
  return napi::in_bounds(v.off, shape, v.st, 4, length);
}

// convForward(x, w, bias, out, params); bias is ignored when its offset is -1.
napi_value Forward(napi_env env, napi_callback_info info) {
  Arr a[5];
  long p[kCount];
  if (!decode(env, info, 4, a, p)) return nullptr;
  conv::Shape s;
  Counts c;
  const bool has_bias = p[kBOff] != -1;
  const int t = common_type(a, 4);
  if (t < 0 || !shape_of(p, &s) || !counts(s, &c)) return boolean(env, false);
  const win::Strided xv = x_view(p);
  // With the pool, out is [n, o, oh / 2, ow / 2].
  const bool pool = p[kPool] != 0, relu = p[kRelu] != 0;
  const long out_count = pool ? c.y / (s.g.oh * s.g.ow) * (s.g.oh / 2) * (s.g.ow / 2) : c.y;
  if (!x_in_bounds(s, xv, a[0].length) || !fits(p[kWOff], c.w, a[1].length) ||
      (has_bias && !fits(p[kBOff], s.o, a[2].length)) ||
      !fits(p[kOutOff], out_count, a[3].length))
    return fail(env, "kiln_native.convForward: a view reaches outside its storage", true);
  if (pool) {
    // Only the direct float32 kernels pool, and only after a ReLU (no NaN reaches the max).
    if (t != 0 || !relu || s.g.oh * s.g.ow == 0) return boolean(env, false);
    const float* b = has_bias ? static_cast<const float*>(a[2].data) + p[kBOff] : nullptr;
    const float* xd = static_cast<const float*>(a[0].data);
    const float* wd = static_cast<const float*>(a[1].data) + p[kWOff];
    float* od = static_cast<float*>(a[3].data) + p[kOutOff];
    return boolean(env, conv::forward_relu_pool_fast(s, xd, xv, wd, b, od) ||
                            conv::forward_relu_pool(s, xd, xv, wd, b, od));
  }
  if (t == 0) {
    const float* b = has_bias ? static_cast<const float*>(a[2].data) + p[kBOff] : nullptr;
    conv::forward(s, static_cast<const float*>(a[0].data), xv,
                  static_cast<const float*>(a[1].data) + p[kWOff], b, relu,
                  static_cast<float*>(a[3].data) + p[kOutOff]);
  } else {
    const double* b = has_bias ? static_cast<const double*>(a[2].data) + p[kBOff] : nullptr;
    conv::forward(s, static_cast<const double*>(a[0].data), xv,
                  static_cast<const double*>(a[1].data) + p[kWOff], b, relu,
                  static_cast<double*>(a[3].data) + p[kOutOff]);
  }
  return boolean(env, true);
}

template <class T>
void run_backward(const conv::Shape& s, const Arr* a, const long* p, const win::Strided& xv) {
  auto at = [&](int i, long off) { return off < 0 ? nullptr : static_cast<T*>(a[i].data) + off; };
  const conv::Grads<T> g{at(0, p[kDyOff]), p[kRelu] ? at(3, p[kYOff]) : nullptr,
                         static_cast<const T*>(a[1].data), xv, at(2, p[kWOff]),
                         at(4, p[kDxOff]), at(5, p[kDwOff]), at(6, p[kDbOff])};
  conv::backward(s, g);
}

// convBackward(dy, x, w, y, dx, dw, db, params): a result with offset -1 is not computed (its
// array is any array of the dtype); y is read only with the relu flag.
napi_value Backward(napi_env env, napi_callback_info info) {
  Arr a[8];
  long p[kCount];
  if (!decode(env, info, 7, a, p)) return nullptr;
  conv::Shape s;
  Counts c;
  const int t = common_type(a, 7);
  if (t < 0 || !shape_of(p, &s) || !counts(s, &c)) return boolean(env, false);
  const win::Strided xv = x_view(p);
  const bool relu = p[kRelu] != 0;
  auto opt_fits = [&](long off, long count, size_t length) {
    return off == -1 || fits(off, count, length);
  };
  if (!fits(p[kDyOff], c.y, a[0].length) || !x_in_bounds(s, xv, a[1].length) ||
      !fits(p[kWOff], c.w, a[2].length) || (relu && !fits(p[kYOff], c.y, a[3].length)) ||
      !opt_fits(p[kDxOff], c.x, a[4].length) || !opt_fits(p[kDwOff], c.w, a[5].length) ||
      !opt_fits(p[kDbOff], s.o, a[6].length))
    return fail(env, "kiln_native.convBackward: a view reaches outside its storage", true);
  if (t == 0) run_backward<float>(s, a, p, xv);
  else run_backward<double>(s, a, p, xv);
  return boolean(env, true);
}

napi_value Params(napi_env env, napi_callback_info) { return napi::names(env, kNames, kCount); }

}  // namespace

// Adds the kernels above to the addon's exports.
void register_conv(napi_env env, napi_value exports) {
  const napi::Export entries[] = {
      {"convForward", Forward},
      {"convBackward", Backward},
      {"convParams", Params},
  };
  napi::export_all(env, exports, entries);
}

}  // namespace kiln
