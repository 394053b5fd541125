// N-API entry points of the sliding-window kernels (window.cc). As ops_addon.cc, they use the C
// API directly: one napi_get_typedarray_info per array plus one for the shared Float64Array of
// parameters that src/backend/native/window.ts fills (layout below). Each returns false when it
// does not take the dtypes or the window (the js kernel then runs); views are bounds-checked
// first, so a bad view is a RangeError rather than memory corruption.
#include <node_api.h>

#include <cstdint>
#include <initializer_list>

#include "napi_util.h"
#include "window.h"

namespace kiln {
namespace {

using ew::DT;

// Parameter layout; must match src/backend/native/window.ts.
enum Param {
  kN, kC, kH, kW, kOH, kOW,                  // image [N, C, H, W], output positions [OH, OW]
  kKH, kKW, kSH, kSW, kPH, kPW, kDH, kDW,    // the window
  kInOff, kInSt,                             // input view: offset, up to 6 strides
  kOutOff = kInSt + 6, kIdxOff, kIdxSt,      // out offset; indices view: offset, 4 strides
  kCount = kIdxSt + 4
};

// The slot names in slot order, exported as windowParams() for the loader's layout check
// (src/backend/native/layouts.ts).
const char* const kNames[] = {
    "n",     "c",     "h",     "w",     "oh",    "ow",    "kh",     "kw",     "sh",
    "sw",    "ph",    "pw",    "dh",    "dw",    "inOff", "inSt0",  "inSt1",  "inSt2",
    "inSt3", "inSt4", "inSt5", "outOff", "idxOff", "idxSt0", "idxSt1", "idxSt2", "idxSt3"};
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kCount, "a name per window parameter slot");

using napi::Arr;
using napi::boolean;
using napi::fail;

// Reads `n` typed arrays and the params (the last argument). False after throwing.
bool decode(napi_env env, napi_callback_info info, int n, Arr* a, long* p) {
  return napi::decode_params(env, info, n, a, p, kCount,
                             "kiln_native: a window parameter is not an exact integer");
}

bool float_dt(const Arr& a, DT* t) {
  if (a.type == napi_float32_array) *t = DT::F32;
  else if (a.type == napi_float64_array) *t = DT::F64;
  else return false;
  return true;
}

// The geometry, or false for one the kernels do not take (non-positive kernel, stride or
// dilation, negative sizes or padding): the js kernel then runs.
bool geometry(const long* p, win::Geom* g) {
  *g = win::Geom{p[kN],  p[kC],  p[kH],  p[kW],  p[kOH], p[kOW], p[kKH],
                 p[kKW], p[kSH], p[kSW], p[kPH], p[kPW], p[kDH], p[kDW]};
  return g->n >= 0 && g->c >= 0 && g->h >= 0 && g->w >= 0 && g->oh >= 0 && g->ow >= 0 &&
         g->kh > 0 && g->kw > 0 && g->sh > 0 && g->sw > 0 && g->dh > 0 && g->dw > 0 &&
         g->ph >= 0 && g->pw >= 0;
}

win::Strided strided(const long* p, int off, int st, int nd) {
  win::Strided v{p[off], {0, 0, 0, 0, 0, 0}};
  for (int d = 0; d < nd; ++d) v.st[d] = p[st + d];
  return v;
}

// Whether a view of `nd` dims stays inside an array of `length` elements.
bool in_bounds(const win::Strided& v, const long* shape, int nd, size_t length) {
  return napi::in_bounds(v.off, shape, v.st, nd, length);
}

// The product of `n` non-negative sizes, or -1 when it overflows.
long product(std::initializer_list<long> sizes) {
  long r = 1;
  for (long s : sizes)
    if (s < 0 || __builtin_mul_overflow(r, s, &r)) return -1;
  return r;
}

// Whether `count` contiguous elements from `off` fit in an array of `length`; false for a
// negative offset, an overflowed (-1) count, or an end past `length`.
bool fits(long off, long count, size_t length) {
  long end;
  return off >= 0 && count >= 0 && !__builtin_add_overflow(off, count, &end) &&
         static_cast<size_t>(end) <= length;
}

// im2col(x, out, params)
napi_value Im2col(napi_env env, napi_callback_info info) {
  Arr a[3];
  long p[kCount];
  if (!decode(env, info, 2, a, p)) return nullptr;
  DT t, to;
  win::Geom g;
  if (!float_dt(a[0], &t) || !float_dt(a[1], &to) || t != to || !geometry(p, &g))
    return boolean(env, false);
  const win::Strided xv = strided(p, kInOff, kInSt, 4);
  const long shape[4] = {g.n, g.c, g.h, g.w};
  if (!in_bounds(xv, shape, 4, a[0].length) ||
      !fits(p[kOutOff], product({g.c, g.kh, g.kw, g.n, g.oh, g.ow}), a[1].length))
    return fail(env, "kiln_native.im2col: a view reaches outside its storage", true);
  return boolean(env, win::im2col(t, g, a[0].data, xv, a[1].data, p[kOutOff]));
}

// col2im(cols, out, params)
napi_value Col2im(napi_env env, napi_callback_info info) {
  Arr a[3];
  long p[kCount];
  if (!decode(env, info, 2, a, p)) return nullptr;
  DT t, to;
  win::Geom g;
  if (!float_dt(a[0], &t) || !float_dt(a[1], &to) || t != to || !geometry(p, &g))
    return boolean(env, false);
  const win::Strided cv = strided(p, kInOff, kInSt, 6);
  const long shape[6] = {g.c, g.kh, g.kw, g.n, g.oh, g.ow};
  if (!in_bounds(cv, shape, 6, a[0].length) || !fits(p[kOutOff], product({g.n, g.c, g.h, g.w}), a[1].length))
    return fail(env, "kiln_native.col2im: a view reaches outside its storage", true);
  return boolean(env, win::col2im(t, g, a[0].data, cv, a[1].data, p[kOutOff]));
}

// maxPool(x, out, indices, params)
napi_value MaxPool(napi_env env, napi_callback_info info) {
  Arr a[4];
  long p[kCount];
  if (!decode(env, info, 3, a, p)) return nullptr;
  DT t, to;
  win::Geom g;
  if (!float_dt(a[0], &t) || !float_dt(a[1], &to) || t != to ||
      a[2].type != napi_int32_array || !geometry(p, &g))
    return boolean(env, false);
  const win::Strided xv = strided(p, kInOff, kInSt, 4);
  const long shape[4] = {g.n, g.c, g.h, g.w};
  const long count = product({g.n, g.c, g.oh, g.ow});
  if (!in_bounds(xv, shape, 4, a[0].length) || !fits(p[kOutOff], count, a[1].length) ||
      !fits(p[kIdxOff], count, a[2].length))
    return fail(env, "kiln_native.maxPool: a view reaches outside its storage", true);
  return boolean(env, win::max_pool(t, g, a[0].data, xv, a[1].data, p[kOutOff],
                                    static_cast<int32_t*>(a[2].data), p[kIdxOff]));
}

// maxPoolBackward(grad, indices, out, params); the window fields are unused.
napi_value MaxPoolBackward(napi_env env, napi_callback_info info) {
  Arr a[4];
  long p[kCount];
  if (!decode(env, info, 3, a, p)) return nullptr;
  DT t, to;
  win::Geom g;
  if (!float_dt(a[0], &t) || !float_dt(a[2], &to) || t != to ||
      a[1].type != napi_int32_array || !geometry(p, &g))
    return boolean(env, false);
  const win::Strided gv = strided(p, kInOff, kInSt, 4);
  const win::Strided iv = strided(p, kIdxOff, kIdxSt, 4);
  const long shape[4] = {g.n, g.c, g.oh, g.ow};
  if (!in_bounds(gv, shape, 4, a[0].length) || !in_bounds(iv, shape, 4, a[1].length) ||
      !fits(p[kOutOff], product({g.n, g.c, g.h, g.w}), a[2].length))
    return fail(env, "kiln_native.maxPoolBackward: a view reaches outside its storage", true);
  return boolean(env, win::max_pool_backward(t, g, a[0].data, gv,
                                             static_cast<const int32_t*>(a[1].data), iv,
                                             a[2].data, p[kOutOff]));
}

napi_value Params(napi_env env, napi_callback_info) { return napi::names(env, kNames, kCount); }

}  // namespace

// Adds the kernels above to the addon's exports.
void register_window(napi_env env, napi_value exports) {
  const napi::Export entries[] = {
      {"im2col", Im2col},
      {"col2im", Col2im},
      {"maxPool", MaxPool},
      {"maxPoolBackward", MaxPoolBackward},
      {"windowParams", Params},
  };
  napi::export_all(env, exports, entries);
}

}  // namespace kiln
