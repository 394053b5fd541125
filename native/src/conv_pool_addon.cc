// N-API entry points of the fused training Conv2d + ReLU + MaxPool2d(2) (conv_pool_train.cc), in
// the style of conv_addon.cc: float32 arrays, the int32 argmax indices, and one Float64Array of
// parameters that src/backend/native/conv-pool.ts fills (layout below). Each returns false for
// dtypes or a geometry the kernels do not take (the caller then runs the unfused steps); views
// are bounds-checked first (a RangeError, not corruption).
#include <node_api.h>

#include "conv_pool_train.h"
#include "napi_util.h"

namespace kiln {
namespace {

// Parameter layout; must match src/backend/native/conv-pool.ts.
enum Param {
  kN, kC, kH, kW, kOH, kOW,                // image [N, C, H, W], convolution output [OH, OW]
  kKH, kKW, kSH, kSW, kPH, kPW, kDH, kDW,  // the window
  kO,                                      // out channels
  kXOff, kXSt,                             // x view: offset, 4 strides
  kWOff = kXSt + 4,                        // offset of the contiguous weight
  kBOff,                                   // offset of the bias, -1 for none
  kOutOff, kIdxOff,                        // offsets of the pooled output and its indices
  kGOff,                                   // backward: offset of the output's gradient
  kDxOff, kDwOff, kDbOff,                  // backward: offsets of the results, -1 for none
  kCount
};

// The slot names in slot order, exported as convPoolParams(): the loader refuses a build whose
// layout differs from src/backend/native/layouts.ts (a stale build would misread the slots).
const char* const kNames[] = {
    "n",     "c",      "h",    "w",    "oh",   "ow",   "kh",   "kw",     "sh",     "sw",
    "ph",    "pw",     "dh",   "dw",   "o",    "xOff", "xSt0", "xSt1",   "xSt2",   "xSt3",
    "wOff",  "bOff",   "outOff", "idxOff", "gOff", "dxOff", "dwOff", "dbOff"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kCount, "a name per parameter slot");

using napi::Arr;
using napi::boolean;
using napi::fail;

// Reads `n` typed arrays and the params (the last argument). False after throwing.
bool decode(napi_env env, napi_callback_info info, int n, Arr* a, long* p) {
  return napi::decode_params(env, info, n, a, p, kCount, "kiln_native.convPool: a parameter is not an integer");
}

// The shape (one group), or false for one the kernels do not take.
bool shape_of(const long* p, conv::Shape* s) {
  s->g = win::Geom{p[kN],  p[kC],  p[kH],  p[kW],  p[kOH], p[kOW], p[kKH],
                   p[kKW], p[kSH], p[kSW], p[kPH], p[kPW], p[kDH], p[kDW]};
  s->o = p[kO];
  s->groups = 1;
  const win::Geom& g = s->g;
  return g.n > 0 && g.c > 0 && g.h > 0 && g.w > 0 && g.oh >= 2 && g.ow >= 2 && g.kh > 0 &&
         g.kw > 0 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ph >= 0 &&
         g.pw >= 0 && g.oh == g.h + 2 * g.ph - g.kh + 1 && g.ow == g.w + 2 * g.pw - g.kw + 1 &&
         s->o > 0;
}

// Whether `count` contiguous elements from `off` fit in an array of `length`.
bool fits(long off, long count, size_t length) {
  long end;
  return off >= 0 && count >= 0 && !__builtin_add_overflow(off, count, &end) &&
         static_cast<size_t>(end) <= length;
}

// Element counts of x, w and the pooled output; false on overflow.
bool counts(const conv::Shape& s, long* x, long* w, long* pooled) {
  const win::Geom& g = s.g;
  long t;
  return !__builtin_mul_overflow(g.n, g.c, &t) && !__builtin_mul_overflow(t, g.h, &t) &&
         !__builtin_mul_overflow(t, g.w, x) && !__builtin_mul_overflow(s.o, g.c, &t) &&
         !__builtin_mul_overflow(t, g.kh, &t) && !__builtin_mul_overflow(t, g.kw, w) &&
         !__builtin_mul_overflow(g.n, s.o, &t) && !__builtin_mul_overflow(t, g.oh / 2, &t) &&
         !__builtin_mul_overflow(t, g.ow / 2, pooled) &&
         !__builtin_mul_overflow(g.oh, g.ow, &t) && t <= 0x7fffffffL;
}

win::Strided x_view(const long* p) {
  return win::Strided{p[kXOff], {p[kXSt], p[kXSt + 1], p[kXSt + 2], p[kXSt + 3], 0, 0}};
}

bool x_in_bounds(const conv::Shape& s, const win::Strided& v, size_t length) {
  const long shape[4] = {s.g.n, s.g.c, s.g.h, s.g.w};
  return napi::in_bounds(v.off, shape, v.st, 4, length);
}

bool all_float32(const Arr* a, int count) {
  for (int i = 0; i < count; ++i)
    if (a[i].type != napi_float32_array) return false;
  return true;
}

// convPoolForward(x, w, bias, out, idx, params); bias is ignored when its offset is -1.
napi_value Forward(napi_env env, napi_callback_info info) {
  Arr a[6];
  long p[kCount];
  if (!decode(env, info, 5, a, p)) return nullptr;
  conv::Shape s;
  long nx, nw, np;
  if (!all_float32(a, 4) || a[4].type != napi_int32_array || !shape_of(p, &s) ||
      !counts(s, &nx, &nw, &np))
    return boolean(env, false);
  const bool has_bias = p[kBOff] != -1;
  const win::Strided xv = x_view(p);
  if (!x_in_bounds(s, xv, a[0].length) || !fits(p[kWOff], nw, a[1].length) ||
      (has_bias && !fits(p[kBOff], s.o, a[2].length)) || !fits(p[kOutOff], np, a[3].length) ||
      !fits(p[kIdxOff], np, a[4].length))
    return fail(env, "kiln_native.convPoolForward: a view reaches outside its storage", true);
  const float* b = has_bias ? static_cast<const float*>(a[2].data) + p[kBOff] : nullptr;
  return boolean(env, conv::forward_relu_pool_train(
                          s, static_cast<const float*>(a[0].data), xv,
                          static_cast<const float*>(a[1].data) + p[kWOff], b,
                          static_cast<float*>(a[3].data) + p[kOutOff],
                          static_cast<int32_t*>(a[4].data) + p[kIdxOff]));
}

// convPoolBackward(g, out, idx, x, w, dx, dw, db, params): a result with offset -1 is not
// computed (its array is any float32 array).
napi_value Backward(napi_env env, napi_callback_info info) {
  Arr a[9];
  long p[kCount];
  if (!decode(env, info, 8, a, p)) return nullptr;
  conv::Shape s;
  long nx, nw, np;
  if (!all_float32(a, 2) || a[2].type != napi_int32_array || !all_float32(a + 3, 5) ||
      !shape_of(p, &s) || !counts(s, &nx, &nw, &np))
    return boolean(env, false);
  const win::Strided xv = x_view(p);
  auto opt_fits = [&](long off, long count, size_t length) {
    return off == -1 || fits(off, count, length);
  };
  if (!fits(p[kGOff], np, a[0].length) || !fits(p[kOutOff], np, a[1].length) ||
      !fits(p[kIdxOff], np, a[2].length) || !x_in_bounds(s, xv, a[3].length) ||
      !fits(p[kWOff], nw, a[4].length) || !opt_fits(p[kDxOff], nx, a[5].length) ||
      !opt_fits(p[kDwOff], nw, a[6].length) || !opt_fits(p[kDbOff], s.o, a[7].length))
    return fail(env, "kiln_native.convPoolBackward: a view reaches outside its storage", true);
  auto at = [&](int i, long off) {
    return off < 0 ? nullptr : static_cast<float*>(a[i].data) + off;
  };
  const conv::PoolGrads g{static_cast<const float*>(a[0].data) + p[kGOff],
                          static_cast<const float*>(a[1].data) + p[kOutOff],
                          static_cast<const int32_t*>(a[2].data) + p[kIdxOff],
                          static_cast<const float*>(a[3].data),
                          xv,
                          static_cast<const float*>(a[4].data) + p[kWOff],
                          at(5, p[kDxOff]),
                          at(6, p[kDwOff]),
                          at(7, p[kDbOff])};
  return boolean(env, conv::backward_relu_pool(s, g));
}

napi_value Params(napi_env env, napi_callback_info) { return napi::names(env, kNames, kCount); }

}  // namespace

// Adds the kernels above to the addon's exports.
void register_conv_pool(napi_env env, napi_value exports) {
  const napi::Export entries[] = {
      {"convPoolForward", Forward},
      {"convPoolBackward", Backward},
      {"convPoolParams", Params},
  };
  napi::export_all(env, exports, entries);
}

}  // namespace kiln
