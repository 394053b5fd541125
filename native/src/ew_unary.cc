// Unary elementwise kernels. Every op computes in double and rounds once into the output, as
// the js backend does (it reads typed arrays into doubles), so float32 results match it exactly
// wherever the libm function agrees with V8's to the last bit of the double.
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "ew.h"
#include "ew_ops.h"

namespace kiln {
namespace ew {
namespace {

// Codes follow the UnaryOp list of src/backend/backend.ts (UNARY_OPS in loader.ts).
enum U {
  kNeg, kAbs, kExp, kLog, kSqrt, kRsqrt, kSin, kCos, kSign, kErf, kRelu, kSigmoid, kTanh,
  kSoftplus, kLeakyRelu, kElu, kGelu, kGeluTanh, kClamp, kLog1p, kExpm1, kFloor, kCeil, kRound,
  kReciprocal, kSquare, kIsnan, kIsfinite, kLogicalNot, kPowScalar, kScale, kStep, kNumUnary
};

template <int OP>
inline double uop(double x, double p0, double p1) {
  if constexpr (OP == kNeg) return -x;
  if constexpr (OP == kAbs) return std::fabs(x);
  if constexpr (OP == kExp) return std::exp(x);
  if constexpr (OP == kLog) return std::log(x);
  if constexpr (OP == kSqrt) return std::sqrt(x);
  if constexpr (OP == kRsqrt) return 1 / std::sqrt(x);
  if constexpr (OP == kSin) return std::sin(x);
  if constexpr (OP == kCos) return std::cos(x);
  if constexpr (OP == kSign) return x > 0 ? 1 : x < 0 ? -1 : x;  // keeps ±0 and NaN
  if constexpr (OP == kErf) return std::erf(x);
  if constexpr (OP == kRelu) return x > 0 || x != x ? x : 0;
  if constexpr (OP == kSigmoid) return 1 / (1 + std::exp(-x));
  if constexpr (OP == kTanh) return std::tanh(x);
  if constexpr (OP == kSoftplus) return x * p0 > p1 ? x : std::log1p(std::exp(x * p0)) / p0;
  if constexpr (OP == kLeakyRelu) return x > 0 ? x : x * p0;
  if constexpr (OP == kElu) return x > 0 ? x : p0 * std::expm1(x);
  if constexpr (OP == kGelu) return 0.5 * x * (1 + std::erf(x * 0.7071067811865476));
  if constexpr (OP == kGeluTanh)
    return 0.5 * x * (1 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  if constexpr (OP == kClamp) return x < p0 ? p0 : x > p1 ? p1 : x;
  if constexpr (OP == kLog1p) return std::log1p(x);
  if constexpr (OP == kExpm1) return std::expm1(x);
  if constexpr (OP == kFloor) return std::floor(x);
  if constexpr (OP == kCeil) return std::ceil(x);
  // Round half to even, as torch.round: nearbyint in the default rounding mode does exactly that.
  if constexpr (OP == kRound) return std::nearbyint(x);
  if constexpr (OP == kReciprocal) return 1 / x;
  if constexpr (OP == kSquare) return x * x;
  if constexpr (OP == kIsnan) return x != x ? 1 : 0;
  if constexpr (OP == kIsfinite) return x - x == 0 ? 1 : 0;
  if constexpr (OP == kLogicalNot) return x == 0 ? 1 : 0;
  if constexpr (OP == kPowScalar) return js_pow(x, p0);
  if constexpr (OP == kScale) return x * p0 + p1;
  if constexpr (OP == kStep) return x > p0 ? 1 : 0;
  (void)p0;
  (void)p1;
}

// Rough cost of one element relative to an add, to decide when threads pay.
constexpr long cost_of(int op) {
  switch (op) {
    case kNeg: case kAbs: case kSign: case kRelu: case kLeakyRelu: case kClamp: case kFloor:
    case kCeil: case kRound: case kReciprocal: case kSquare: case kIsnan: case kIsfinite:
    case kLogicalNot: case kScale: case kStep: case kSqrt: case kRsqrt:
      return 1;
    default:
      return 16;
  }
}

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
        for (long i = 0; i < n; ++i) po[i] = store<To>(uop<OP>(double(px[i]), p0, p1));
      } else if (so == 1 && sx == 0) {
        const To v = store<To>(uop<OP>(double(px[0]), p0, p1));
        for (long i = 0; i < n; ++i) po[i] = v;
      } else {
        for (long i = 0; i < n; ++i) po[i * so] = store<To>(uop<OP>(double(px[i * sx]), p0, p1));
      }
    });
  };
  parallel_for(L.total, cost_of(OP), body);
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
  return Table<Ti, To, std::make_integer_sequence<int, kNumUnary>>::fns;
}

}  // namespace

bool unary(int op, DT xt, DT ot, const Layout& L, const void* x, void* out, double p0,
           double p1) {
  if (op < 0 || op >= kNumUnary) return false;
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
