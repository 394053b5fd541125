// Unary elementwise kernels, one instantiation per op code of the op table (codes and scalar
// formulas come from native/src/generated/, written by `npm run gen:ops`). Every op computes in
// double and rounds once into the output, as the js backend does (it reads typed arrays into
// doubles), so float32 results match it exactly wherever the libm function agrees with V8's to
// the last bit of the double.
#include <cmath>
#include <cstdint>
#include <utility>

#include "ew.h"
#include "ew_ops.h"
#include "generated/ew_scalar.h"
#include "generated/op_codes.h"

namespace kiln {
namespace ew {
namespace {

template <int OP, class Ti, class To>
void run(const Layout& L, const void* xv, void* ov, double p0, double p1) {
  const Ti* x = static_cast<const Ti*>(xv);
  To* o = static_cast<To*>(ov);
  auto body = [&](long begin, long end) {
    walk(L, begin, end, [&](long n, const long* off, const long* st) {
      To* po = o + off[0];
      const Ti* px = x + off[1];
      const long so = st[0], sx = st[1];
      if (so == 1 && sx == 1) {
        for (long i = 0; i < n; ++i) po[i] = store<To>(unary_scalar<OP>(double(px[i]), p0, p1));
      } else if (so == 1 && sx == 0) {
        const To v = store<To>(unary_scalar<OP>(double(px[0]), p0, p1));
        for (long i = 0; i < n; ++i) po[i] = v;
      } else {
        for (long i = 0; i < n; ++i) po[i * so] = store<To>(unary_scalar<OP>(double(px[i * sx]), p0, p1));
      }
    });
  };
  parallel_for(L.total, ops::kUnaryCost[OP], body);
}

using Fn = void (*)(const Layout&, const void*, void*, double, double);

template <class Ti, class To, class Seq>
struct Table;
template <class Ti, class To, int... I>
struct Table<Ti, To, std::integer_sequence<int, I...>> {
  static constexpr Fn fns[] = {run<I, Ti, To>...};
};

template <class Ti, class To>
const Fn* fns() {
  return Table<Ti, To, std::make_integer_sequence<int, ops::kUnaryCount>>::fns;
}

}  // namespace

bool unary(int op, DT xt, DT ot, const Layout& L, const void* x, void* out, double p0,
           double p1) {
  if (op < 0 || op >= ops::kUnaryCount) return false;
  const Fn* t = nullptr;
  if (xt == DT::F32 && ot == DT::F32) t = fns<float, float>();
  else if (xt == DT::F64 && ot == DT::F64) t = fns<double, double>();
  else if (xt == DT::F32 && ot == DT::U8) t = fns<float, uint8_t>();
  else if (xt == DT::F64 && ot == DT::U8) t = fns<double, uint8_t>();
  if (!t) return false;
  t[op](L, x, out, p0, p1);
  return true;
}

}  // namespace ew
}  // namespace kiln
