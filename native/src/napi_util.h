// Shared pieces of the N-API entry points (addon.cc, ops_addon.cc, window_addon.cc): typed-array
// access, the boolean/exception returns, and the O(dims) bounds check that turns a bad view into
// a RangeError instead of memory corruption.
#pragma once

#include <node_api.h>

#include <cstddef>

namespace kiln {
namespace napi {

// A typed array's element type, length (in elements) and data.
struct Arr {
  napi_typedarray_type type = napi_float64_array;
  size_t length = 0;
  void* data = nullptr;
};

// Reads a typed array argument; false (nothing thrown) when `v` is not one.
inline bool read_array(napi_env env, napi_value v, Arr* out) {
  napi_value buf;
  size_t off;
  return napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buf, &off) ==
         napi_ok;
}

inline napi_value boolean(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

// Throws a TypeError (or a RangeError) and returns the value an entry point then returns.
inline napi_value fail(napi_env env, const char* msg, bool range = false) {
  if (range) napi_throw_range_error(env, nullptr, msg);
  else napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

// Whether every element a view of `n` dims can reach lies inside an array of `length`
// elements. An empty view reads nothing; a negative size is malformed.
inline bool in_bounds(long off, const long* sizes, const long* strides, int n, size_t length) {
  long lo = off, hi = off;
  for (int d = 0; d < n; ++d) {
    if (sizes[d] <= 0) return sizes[d] == 0;
    const long span = (sizes[d] - 1) * strides[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  return lo >= 0 && static_cast<size_t>(hi) < length;
}

}  // namespace napi
}  // namespace kiln
