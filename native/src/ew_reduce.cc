// Reductions, arg-reductions and softmax. Each follows the js kernel's order of operations
// (src/backend/js/reduce.ts) so that results are bit-identical, not merely close: sums visit
// the elements in x's row-major order and accumulate in double, one accumulator per output.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "ew.h"
#include "ew_ops.h"
#include "generated/ew_scalar.h"
#include "generated/op_codes.h"

namespace kiln {
namespace ew {
namespace {

template <int OP, class T>
void reduce_into(const Layout& L, double* acc, const T* x) {
  walk(L, 0, L.total, [&](long n, const long* off, const long* st) {
    double* pa = acc + off[0];
    const T* px = x + off[1];
    const long sa = st[0], sx = st[1];
    if (sa == 0) {
      // Reducing along the run: one accumulator, in order.
      double s = *pa;
      if (sx == 1)
        for (long i = 0; i < n; ++i) reduce_step<OP>(s, double(px[i]));
      else
        for (long i = 0; i < n; ++i) reduce_step<OP>(s, double(px[i * sx]));
      *pa = s;
    } else if (sa == 1 && sx == 1) {
      // Keeping the run (e.g. a bias gradient, sum over rows): independent accumulators.
      for (long i = 0; i < n; ++i) reduce_step<OP>(pa[i], double(px[i]));
    } else {
      for (long i = 0; i < n; ++i) reduce_step<OP>(pa[i * sa], double(px[i * sx]));
    }
  });
}

// reduce_into for every reduction code, indexed by code.
template <class T>
using ReduceFn = void (*)(const Layout&, double*, const T*);
template <class T, int... I>
const ReduceFn<T>* reduce_fns(std::integer_sequence<int, I...>) {
  static constexpr ReduceFn<T> fns[] = {reduce_into<I, T>...};
  return fns;
}

std::vector<double>& acc_buffer() {
  thread_local std::vector<double> buf;
  return buf;
}

// The layout over x's dims other than `dim` of (out lines, x line starts).
void line_layout(Layout& L, int nd, const long* shape, const long* ost, long ooff,
                 const long* xst, long xoff, int dim) {
  long sh[kMaxDims], so[kMaxDims], sx[kMaxDims];
  int m = 0;
  for (int d = 0; d < nd; ++d) {
    if (d == dim) continue;
    sh[m] = shape[d];
    so[m] = ost[d];
    sx[m] = xst[d];
    ++m;
  }
  const long* st[2] = {so, sx};
  const long off[2] = {ooff, xoff};
  coalesce(L, m, sh, st, off, 2);
}

template <class T>
void softmax_row(bool log, const T* x, long sx, T* o, long so, long n, double* row, double* e) {
  double max = -INFINITY;
  for (long i = 0; i < n; ++i) {
    double v = x[i * sx];
    row[i] = v;
    if (v > max || v != v) max = v;
  }
  if (max == -INFINITY) max = 0;  // an all -inf line gives NaN, as in PyTorch
  double sum = 0;
  for (long i = 0; i < n; ++i) {
    e[i] = std::exp(row[i] - max);
    sum += e[i];
  }
  if (log) {
    const double lse = max + std::log(sum);
    for (long i = 0; i < n; ++i) o[i * so] = static_cast<T>(row[i] - lse);
  } else {
    for (long i = 0; i < n; ++i) o[i * so] = static_cast<T>(e[i] / sum);
  }
}

}  // namespace

bool reduce(int op, DT t, int nd, const long* shape, const long* xst, long xoff, unsigned mask,
            const void* x, void* out, long out_off) {
  if ((t != DT::F32 && t != DT::F64) || op < 0 || op >= ops::kReduceCount) return false;
  // The accumulator has out's (keepDim) shape, viewed with stride 0 along the reduced dims.
  long ast[kMaxDims];
  long nout = 1;
  for (int d = nd - 1; d >= 0; --d) {
    bool red = (mask >> d) & 1u;
    ast[d] = red ? 0 : nout;
    if (!red) nout *= shape[d];
  }
  std::vector<double>& acc = acc_buffer();
  acc.assign(static_cast<size_t>(nout), ops::kReduceIdentity[op]);
  Layout L;
  const long* st[2] = {ast, xst};
  const long off[2] = {0, xoff};
  coalesce(L, nd, shape, st, off, 2);
  auto go = [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    if (L.total > 0)
      reduce_fns<T>(std::make_integer_sequence<int, ops::kReduceCount>{})[op](L, acc.data(), px);
    T* po = static_cast<T*>(out) + out_off;
    for (long i = 0; i < nout; ++i) po[i] = static_cast<T>(acc[i]);
  };
  if (t == DT::F32) go(float{});
  else go(double{});
  return true;
}

bool arg_reduce(int op, DT t, int nd, const long* shape, const long* xst, long xoff, int dim,
                const void* x, int32_t* out, long out_off) {
  if ((t != DT::F32 && t != DT::F64) || dim < 0 || dim >= nd) return false;
  if (op < 0 || op >= ops::kArgReduceCount) return false;
  const long n = shape[dim], stride = xst[dim];
  if (n == 0) return true;
  // Lines are numbered in row-major order of the other dims: contiguous "strides" over them.
  long lst[kMaxDims];
  long s = 1;
  for (int d = nd - 1; d >= 0; --d) {
    lst[d] = d == dim ? 0 : s;
    if (d != dim) s *= shape[d];
  }
  Layout L;
  line_layout(L, nd, shape, lst, out_off, xst, xoff, dim);
  const bool is_max = op == ops::kArgmax;
  auto go = [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    walk(L, 0, L.total, [&](long cnt, const long* off, const long* st) {
      for (long j = 0; j < cnt; ++j) {
        const T* line = px + off[1] + j * st[1];
        double best = line[0];
        int32_t best_i = 0;
        if (best == best) {
          for (long i = 1; i < n; ++i) {
            double v = line[i * stride];
            if (v != v) {
              best_i = static_cast<int32_t>(i);  // NaN wins, as in PyTorch
              break;
            }
            if (is_max ? v > best : v < best) {
              best = v;
              best_i = static_cast<int32_t>(i);
            }
          }
        }
        out[off[0] + j * st[0]] = best_i;
      }
    });
  };
  if (t == DT::F32) go(float{});
  else go(double{});
  return true;
}

bool softmax(bool log, DT t, int nd, const long* shape, const long* xst, long xoff,
             const long* ost, long ooff, int dim, const void* x, void* out) {
  if ((t != DT::F32 && t != DT::F64) || dim < 0 || dim >= nd) return false;
  const long n = shape[dim];
  if (n == 0) return true;
  Layout L;
  line_layout(L, nd, shape, ost, ooff, xst, xoff, dim);
  const long sx = xst[dim], so = ost[dim];
  auto go = [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* po = static_cast<T*>(out);
    auto body = [&](long begin, long end) {
      // Each thread keeps its own row buffers.
      std::vector<double>& buf = acc_buffer();
      if (buf.size() < size_t(2 * n)) buf.resize(size_t(2 * n));
      walk(L, begin, end, [&](long cnt, const long* off, const long* st) {
        for (long j = 0; j < cnt; ++j)
          softmax_row(log, px + off[1] + j * st[1], sx, po + off[0] + j * st[0], so, n,
                      buf.data(), buf.data() + n);
      });
    };
    // Threads pay per line of work, so weigh each line by its length.
    if (L.total * n * 16 >= par_min()) parallel_for(L.total, n * 16, body);
    else body(0, L.total);
  };
  if (t == DT::F32) go(float{});
  else go(double{});
  return true;
}

}  // namespace ew
}  // namespace kiln
