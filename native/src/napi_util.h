// Shared pieces of the N-API entry points (addon.cc, ops_addon.cc, window_addon.cc): typed-array
// access, the boolean/exception returns, and the O(dims) bounds check that turns a bad view into
// a RangeError instead of memory corruption.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

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

// Converts a JS number that must be an integer (a size, stride, offset or dim count) to long.
// False for NaN, infinities, fractions and anything beyond 2^53: casting those is undefined
// behaviour in C++, and no typed array is that long anyway.
inline bool to_long(double v, long* out) {
  constexpr double kMaxExact = 9007199254740992.0;  // 2^53
  if (!(v >= -kMaxExact && v <= kMaxExact) || v != static_cast<double>(static_cast<long>(v)))
    return false;
  *out = static_cast<long>(v);
  return true;
}

// Converts `n` consecutive params; false when any is not an exact integer.
inline bool to_longs(const double* p, int n, long* out) {
  for (int i = 0; i < n; ++i)
    if (!to_long(p[i], &out[i])) return false;
  return true;
}

// Whether every element a view of `n` dims can reach lies inside an array of `length`
// elements. An empty view reads nothing; a negative size is malformed; a span whose product or
// sum overflows is out of bounds (not wrapped into range).
inline bool in_bounds(long off, const long* sizes, const long* strides, int n, size_t length) {
  long lo = off, hi = off;
  for (int d = 0; d < n; ++d) {
    if (sizes[d] <= 0) return sizes[d] == 0;
    long span;
    if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span)) return false;
    if (__builtin_add_overflow(span < 0 ? lo : hi, span, span < 0 ? &lo : &hi)) return false;
  }
  return lo >= 0 && static_cast<size_t>(hi) < length;
}

// Reads `n` typed arrays and, as the last argument, a Float64Array of at least `count` params,
// each converted to an exact integer into `p` (NaN, fractions and values beyond 2^53 are refused
// here, so no later cast is undefined). `not_integer` is the RangeError for that case. False
// after throwing. For the conv, conv-pool and window entry points, which share this calling
// convention.
inline bool decode_params(napi_env env, napi_callback_info info, int n, Arr* a, long* p,
                          int count, const char* not_integer) {
  constexpr size_t kMaxArgs = 10;
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (n + 1 > int(kMaxArgs) || argc < size_t(n + 1))
    return fail(env, "kiln_native: missing arguments"), false;
  for (int i = 0; i <= n; ++i) {
    if (!read_array(env, argv[i], &a[i]))
      return fail(env, "kiln_native: expected typed arrays and a Float64Array of params"), false;
  }
  if (a[n].type != napi_float64_array || a[n].length < size_t(count))
    return fail(env, "kiln_native: bad params array"), false;
  if (!to_longs(static_cast<const double*>(a[n].data), count, p))
    return fail(env, not_integer, true), false;
  return true;
}

// A JS array of `n` strings (op names in code order, parameter slot names in slot order).
inline napi_value names(napi_env env, const char* const* list, int n) {
  napi_value arr;
  napi_create_array_with_length(env, size_t(n), &arr);
  for (int i = 0; i < n; ++i) {
    napi_value s;
    napi_create_string_utf8(env, list[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, uint32_t(i), s);
  }
  return arr;
}

// One exported function of an addon file: its JS name and its entry point.
struct Export {
  const char* name;
  napi_callback fn;
};

// Adds each entry to `exports` as a JS function of that name.
template <size_t N>
inline void export_all(napi_env env, napi_value exports, const Export (&entries)[N]) {
  for (const Export& e : entries) {
    napi_value f;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &f);
    napi_set_named_property(env, exports, e.name, f);
  }
}

}  // namespace napi
}  // namespace kiln
