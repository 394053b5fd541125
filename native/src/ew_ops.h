// Entry points of the elementwise, reduction and optimizer kernels (ew_*.cc, optim.cc), called
// by ops_addon.cc after it has decoded and bounds-checked the views. Each returns false for a
// dtype combination it does not implement (the JS side then uses the js kernel).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "ew.h"

namespace kiln {
namespace ew {

// Rounds a double result into the output type as a JS typed-array store does; bool outputs
// store 1 for any non-zero value, NaN included.
template <class To>
inline To store(double v) {
  if constexpr (sizeof(To) == 1) return v != 0 ? 1 : 0;
  else return static_cast<To>(v);
}

// A quiet NaN for the generated formulas (maximum, minimum).
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Math.pow: unlike C's pow, pow(1, NaN) and pow(±1, ±Infinity) are NaN in JavaScript.
inline double js_pow(double x, double y) {
  if (y != y) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(y) && std::fabs(x) == 1) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(x, y);
}

// Operand 0 of each layout is the output, then the inputs in argument order.
bool unary(int op, DT xt, DT ot, const Layout& L, const void* x, void* out, double p0, double p1);
bool binary(int op, DT at, DT bt, DT ot, const Layout& L, const void* a, const void* b, void* out);
bool where(DT ct, DT vt, const Layout& L, const void* c, const void* a, const void* b, void* out);
bool copy(DT xt, DT ot, const Layout& L, const void* x, void* out);
bool fill(DT ot, const Layout& L, void* out, double value);

// x viewed over `nd` dims; `mask` has bit d set for each reduced dim. out is contiguous with
// x's shape where reduced dims are 1, starting at out_off.
bool reduce(int op, DT t, int nd, const long* shape, const long* xst, long xoff, unsigned mask,
            const void* x, void* out, long out_off);
// Lines along `dim`: x strided; out (contiguous) strides `ost` (ignored for argReduce, whose
// int32 output holds one index per line in row-major order from out_off).
bool arg_reduce(int op, DT t, int nd, const long* shape, const long* xst, long xoff, int dim,
                const void* x, int32_t* out, long out_off);
bool softmax(bool log, DT t, int nd, const long* shape, const long* xst, long xoff,
             const long* ost, long ooff, int dim, const void* x, void* out);

// Scalars of one Adam/AdamW update, exactly those src/optim/adam.ts computes per step.
struct AdamArgs {
  long n;
  double beta1, beta2, step_size, bc2_sqrt, eps, l2, shrink, sign;
};
bool adam(DT t, const AdamArgs& a, void* p, const void* g, void* m, void* v);

// Scalars of one SGD update (src/optim/sgd.ts); buf is null without momentum.
struct SgdArgs {
  long n;
  double lr, momentum, dampening, wd, sign;
  bool nesterov, first;
};
bool sgd(DT t, const SgdArgs& a, void* p, const void* g, void* buf);

}  // namespace ew
}  // namespace kiln
