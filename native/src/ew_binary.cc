// Binary elementwise kernels (one instantiation per op code of the op table, formulas from
// native/src/generated/ew_scalar.h), where, copy (with dtype conversion) and fill. Values go
// through double as in the js backend; for float32 add/sub/mul/div that is exact (a double holds
// the float result before its single rounding), so the compiler is free to narrow those to float.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "ew.h"
#include "ew_ops.h"
#include "generated/ew_scalar.h"
#include "generated/op_codes.h"

namespace kiln {
namespace ew {
namespace {

template <int OP, class Ti, class To>
void run(const Layout& L, const void* av, const void* bv, void* ov) {
  const Ti* a = static_cast<const Ti*>(av);
  const Ti* b = static_cast<const Ti*>(bv);
  To* o = static_cast<To*>(ov);
  auto body = [&](long begin, long end) {
    walk(L, begin, end, [&](long n, const long* off, const long* st) {
      To* po = o + off[0];
      const Ti* pa = a + off[1];
      const Ti* pb = b + off[2];
      const long so = st[0], sa = st[1], sb = st[2];
      // Separate loops for the common layouts let the compiler vectorize them.
      if (so == 1 && sa == 1 && sb == 1) {
        for (long i = 0; i < n; ++i) po[i] = store<To>(binary_scalar<OP>(double(pa[i]), double(pb[i])));
      } else if (so == 1 && sa == 1 && sb == 0) {
        const double y = pb[0];
        for (long i = 0; i < n; ++i) po[i] = store<To>(binary_scalar<OP>(double(pa[i]), y));
      } else if (so == 1 && sa == 0 && sb == 1) {
        const double y = pa[0];
        for (long i = 0; i < n; ++i) po[i] = store<To>(binary_scalar<OP>(y, double(pb[i])));
      } else {
        for (long i = 0; i < n; ++i)
          po[i * so] = store<To>(binary_scalar<OP>(double(pa[i * sa]), double(pb[i * sb])));
      }
    });
  };
  parallel_for(L.total, ops::kBinaryCost[OP], body);
}

using Fn = void (*)(const Layout&, const void*, const void*, void*);

template <class Ti, class To, class Seq>
struct Table;
template <class Ti, class To, int... I>
struct Table<Ti, To, std::integer_sequence<int, I...>> {
  static constexpr Fn fns[] = {run<I, Ti, To>...};
};

template <class Ti, class To>
const Fn* fns() {
  return Table<Ti, To, std::make_integer_sequence<int, ops::kBinaryCount>>::fns;
}

// Calls f(T{}) with the C++ type of a dtype.
template <class F>
bool with_type(DT t, F&& f) {
  switch (t) {
    case DT::F32: f(float{}); return true;
    case DT::F64: f(double{}); return true;
    case DT::I32: f(int32_t{}); return true;
    case DT::U8: f(uint8_t{}); return true;
  }
  return false;
}

// ToInt32 of a JS typed-array store: truncate, wrap modulo 2^32, NaN and ±Infinity give 0.
inline int32_t to_int32(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::trunc(v);
  if (std::fabs(t) >= 9.0e18) t = std::fmod(t, 4294967296.0);
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(t)));
}

template <class To, class Ti>
inline To convert(Ti v) {
  if constexpr (sizeof(To) == 1) return v != 0 ? 1 : 0;
  else if constexpr (std::is_same_v<To, int32_t> && !std::is_integral_v<Ti>) return to_int32(v);
  else return static_cast<To>(v);
}

}  // namespace

bool binary(int op, DT at, DT bt, DT ot, const Layout& L, const void* a, const void* b,
            void* out) {
  if (op < 0 || op >= ops::kBinaryCount || at != bt) return false;
  const Fn* t = nullptr;
  if (at == DT::F32 && ot == DT::F32) t = fns<float, float>();
  else if (at == DT::F64 && ot == DT::F64) t = fns<double, double>();
  else if (at == DT::F32 && ot == DT::U8) t = fns<float, uint8_t>();
  else if (at == DT::F64 && ot == DT::U8) t = fns<double, uint8_t>();
  if (!t) return false;
  t[op](L, a, b, out);
  return true;
}

bool where(DT ct, DT vt, const Layout& L, const void* cv, const void* av, const void* bv,
           void* ov) {
  if (ct != DT::U8) return false;
  const uint8_t* c = static_cast<const uint8_t*>(cv);
  return with_type(vt, [&](auto tag) {
    using T = decltype(tag);
    const T* a = static_cast<const T*>(av);
    const T* b = static_cast<const T*>(bv);
    T* o = static_cast<T*>(ov);
    auto body = [&](long begin, long end) {
      walk(L, begin, end, [&](long n, const long* off, const long* st) {
        T* po = o + off[0];
        const uint8_t* pc = c + off[1];
        const T* pa = a + off[2];
        const T* pb = b + off[3];
        const long so = st[0], sc = st[1], sa = st[2], sb = st[3];
        if (so == 1 && sc == 1 && sa == 1 && sb == 1) {
          for (long i = 0; i < n; ++i) po[i] = pc[i] != 0 ? pa[i] : pb[i];
        } else {
          for (long i = 0; i < n; ++i) po[i * so] = pc[i * sc] != 0 ? pa[i * sa] : pb[i * sb];
        }
      });
    };
    parallel_for(L.total, 1, body);
  });
}

bool copy(DT xt, DT ot, const Layout& L, const void* xv, void* ov) {
  bool ok = false;
  with_type(xt, [&](auto itag) {
    using Ti = decltype(itag);
    ok = with_type(ot, [&](auto otag) {
      using To = decltype(otag);
      const Ti* x = static_cast<const Ti*>(xv);
      To* o = static_cast<To*>(ov);
      auto body = [&](long begin, long end) {
        walk(L, begin, end, [&](long n, const long* off, const long* st) {
          To* po = o + off[0];
          const Ti* px = x + off[1];
          const long so = st[0], sx = st[1];
          if (so == 1 && sx == 1) {
            for (long i = 0; i < n; ++i) po[i] = convert<To>(px[i]);
          } else if (so == 1) {
            for (long i = 0; i < n; ++i) po[i] = convert<To>(px[i * sx]);
          } else {
            for (long i = 0; i < n; ++i) po[i * so] = convert<To>(px[i * sx]);
          }
        });
      };
      parallel_for(L.total, 1, body);
    });
  });
  return ok;
}

bool fill(DT ot, const Layout& L, void* ov, double value) {
  return with_type(ot, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(ov);
    const T v = convert<T>(value);
    auto body = [&](long begin, long end) {
      walk(L, begin, end, [&](long n, const long* off, const long* st) {
        T* po = o + off[0];
        if (st[0] == 1) {
          for (long i = 0; i < n; ++i) po[i] = v;
        } else {
          for (long i = 0; i < n; ++i) po[i * st[0]] = v;
        }
      });
    };
    parallel_for(L.total, 1, body);
  });
}

}  // namespace ew
}  // namespace kiln
