// Shared machinery of the elementwise, reduction and optimizer kernels: dims coalescing, a
// strided N-d walk over a range of linear indices (so work splits across the pool by range),
// and the parallel split itself. The kernels compile with -ffp-contract=off (binding.gyp):
// they must round every step exactly as the js backend does, and a fused multiply-add would
// change the last bit of `x * p0 + p1` or of the optimizer updates.
#pragma once
#include <cstdint>

#include "pool.h"

namespace kiln {
namespace ew {

constexpr int kMaxDims = 16;
constexpr int kMaxOps = 4;  // operand 0 is the output, then up to three inputs

// Element types the kernels take, numbered as the N-API entry points pass them.
enum class DT : int { F32 = 0, F64 = 1, I32 = 2, U8 = 3 };

// A walk over `nops` strided operands sharing one shape, after coalescing.
struct Layout {
  int nd = 0;
  int nops = 0;
  long shape[kMaxDims];
  long st[kMaxOps][kMaxDims];
  long off[kMaxOps];
  long total = 1;
};

// Merges adjacent dims that are contiguous in every operand and drops size-1 dims, as the js
// backend's `coalesce`; most walks then run over one or two dims. `st[k]` are operand k's
// strides over `shape` (nd dims).
inline void coalesce(Layout& L, int nd, const long* shape, const long* const* st,
                     const long* off, int nops) {
  L.nd = 0;
  L.nops = nops;
  L.total = 1;
  for (int k = 0; k < nops; ++k) L.off[k] = off[k];
  for (int d = 0; d < nd; ++d) {
    long n = shape[d];
    L.total *= n;
    if (n == 1) continue;
    int last = L.nd - 1;
    bool merge = last >= 0;
    for (int k = 0; merge && k < nops; ++k) merge = L.st[k][last] == st[k][d] * n;
    if (merge) {
      L.shape[last] *= n;
      for (int k = 0; k < nops; ++k) L.st[k][last] = st[k][d];
      continue;
    }
    L.shape[L.nd] = n;
    for (int k = 0; k < nops; ++k) L.st[k][L.nd] = st[k][d];
    ++L.nd;
  }
}

// Calls inner(count, off[], inner strides[]) for each run of the innermost dim that falls in
// linear indices [begin, end) of the layout, in row-major order.
template <class Inner>
void walk(const Layout& L, long begin, long end, Inner&& inner) {
  if (begin >= end) return;
  long off[kMaxOps];
  long ist[kMaxOps];
  const int nops = L.nops;
  for (int k = 0; k < nops; ++k) off[k] = L.off[k];
  if (L.nd == 0) {
    for (int k = 0; k < nops; ++k) ist[k] = 0;
    inner(1L, off, ist);
    return;
  }
  const int nd = L.nd;
  long idx[kMaxDims];
  long rem = begin;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rem % L.shape[d];
    rem /= L.shape[d];
    for (int k = 0; k < nops; ++k) off[k] += idx[d] * L.st[k][d];
  }
  const long n_in = L.shape[nd - 1];
  for (int k = 0; k < nops; ++k) ist[k] = L.st[k][nd - 1];
  for (long pos = begin; pos < end;) {
    long cnt = n_in - idx[nd - 1];
    if (cnt > end - pos) cnt = end - pos;
    inner(cnt, off, ist);
    pos += cnt;
    if (pos >= end) break;
    // The run ended at the end of the inner dim: rewind it and carry into the outer dims.
    for (int k = 0; k < nops; ++k) off[k] -= idx[nd - 1] * ist[k];
    idx[nd - 1] = 0;
    for (int d = nd - 2; d >= 0; --d) {
      for (int k = 0; k < nops; ++k) off[k] += L.st[k][d];
      if (++idx[d] < L.shape[d]) break;
      for (int k = 0; k < nops; ++k) off[k] -= L.st[k][d] * L.shape[d];
      idx[d] = 0;
    }
  }
}

// Elements below which a kernel stays on the calling thread (KILN_EW_PAR_MIN, test hook).
long par_min();
void set_par_min(long n);

// Runs body(begin, end) over [0, total), split across the pool when the work is large enough.
// `cost` weights an element (1 for a cheap op, more for transcendental ones).
template <class Body>
void parallel_for(long total, long cost, Body& body) {
  int threads = pool_threads();
  if (threads <= 1 || total * cost < par_min() || total < 2) {
    body(0L, total);
    return;
  }
  struct Ctx {
    Body* body;
    long total, ntasks;
  } ctx{&body, total, 0};
  // Chunks of whole cache lines (64 elements) so that no two threads write the same line.
  long chunks = (total + 63) / 64;
  ctx.ntasks = chunks < 4L * threads ? chunks : 4L * threads;
  pool_run(
      ctx.ntasks,
      [](void* c, long t) {
        auto& x = *static_cast<Ctx*>(c);
        long chunks = (x.total + 63) / 64;
        long b = (t * chunks / x.ntasks) * 64, e = ((t + 1) * chunks / x.ntasks) * 64;
        (*x.body)(b, e < x.total ? e : x.total);
      },
      &ctx);
}

}  // namespace ew
}  // namespace kiln
