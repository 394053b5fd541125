// Fused optimizer updates: one pass over parameter, gradient and state instead of the JS loop.
// Each line mirrors src/optim/adam.ts and src/optim/sgd.ts operation for operation, in double,
// re-reading every value stored into a float32 array, so trajectories are bit-identical to the
// JS path (built with -ffp-contract=off: no fused multiply-adds).
#include <cmath>
#include <cstdint>

#include "ew.h"
#include "ew_ops.h"

namespace kiln {
namespace ew {
namespace {

// float32 parameters are updated in float32 arithmetic, as PyTorch does: the loop vectorizes
// (sqrt and divide four or more lanes at a time) where the double form runs one element per
// divide. It agrees with the JS double-precision loop to float32 rounding, not bit for bit.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// One copy per ISA, chosen at load time (ifunc): 16 or 8 lanes of sqrt/divide instead of 4.
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void adam_range_f32(const AdamArgs& a, float* __restrict p, const float* __restrict g,
                    float* __restrict m, float* __restrict v, long b, long e) {
  const float beta1 = float(a.beta1), beta2 = float(a.beta2);
  const float omb1 = float(1 - a.beta1), omb2 = float(1 - a.beta2);
  const float step_size = float(a.step_size), bc2 = float(a.bc2_sqrt), eps = float(a.eps);
  const float l2 = float(a.l2), shrink = float(a.shrink), sign = float(a.sign);
  for (long i = b; i < e; ++i) {
    const float d = sign * g[i] + l2 * p[i];
    const float pi = p[i] * shrink;
    const float mi = m[i] * beta1 + omb1 * d;
    const float vi = v[i] * beta2 + omb2 * d * d;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - step_size * (mi / (std::sqrt(vi) / bc2 + eps));
  }
}

template <class T>
void adam_range(const AdamArgs& a, T* __restrict p, const T* __restrict g, T* __restrict m,
                T* __restrict v, long b, long e) {
  const double beta1 = a.beta1, beta2 = a.beta2, omb1 = 1 - a.beta1, omb2 = 1 - a.beta2;
  const double step_size = a.step_size, bc2 = a.bc2_sqrt, eps = a.eps, l2 = a.l2;
  const double shrink = a.shrink, sign = a.sign;
  if (shrink != 1) {
    for (long i = b; i < e; ++i) {
      const double d = sign * double(g[i]) + l2 * double(p[i]);
      p[i] = static_cast<T>(double(p[i]) * shrink);
      m[i] = static_cast<T>(double(m[i]) * beta1 + omb1 * d);
      v[i] = static_cast<T>(double(v[i]) * beta2 + omb2 * d * d);
      const double denom = std::sqrt(double(v[i])) / bc2 + eps;
      p[i] = static_cast<T>(double(p[i]) - step_size * (double(m[i]) / denom));
    }
    return;
  }
  for (long i = b; i < e; ++i) {
    const double d = sign * double(g[i]) + l2 * double(p[i]);
    m[i] = static_cast<T>(double(m[i]) * beta1 + omb1 * d);
    v[i] = static_cast<T>(double(v[i]) * beta2 + omb2 * d * d);
    const double denom = std::sqrt(double(v[i])) / bc2 + eps;
    p[i] = static_cast<T>(double(p[i]) - step_size * (double(m[i]) / denom));
  }
}

template <class T>
void sgd_range(const SgdArgs& a, T* __restrict p, const T* __restrict g, T* __restrict buf,
               long b, long e) {
  const double lr = a.lr, wd = a.wd, sign = a.sign, mom = a.momentum, omd = 1 - a.dampening;
  if (!buf) {
    for (long i = b; i < e; ++i) {
      const double d = sign * double(g[i]) + wd * double(p[i]);
      p[i] = static_cast<T>(double(p[i]) - lr * d);
    }
    return;
  }
  const bool first = a.first, nesterov = a.nesterov;
  for (long i = b; i < e; ++i) {
    double d = sign * double(g[i]) + wd * double(p[i]);
    const double bv = first ? d : double(buf[i]) * mom + omd * d;
    buf[i] = static_cast<T>(bv);
    // Re-read the stored buffer so float32 parameters see the rounded value, as the JS loop.
    d = nesterov ? d + mom * double(buf[i]) : double(buf[i]);
    p[i] = static_cast<T>(double(p[i]) - lr * d);
  }
}

}  // namespace

bool adam(DT t, const AdamArgs& a, void* p, const void* g, void* m, void* v) {
  auto go = [&](auto tag) {
    using T = decltype(tag);
    auto body = [&](long b, long e) {
      adam_range<T>(a, static_cast<T*>(p), static_cast<const T*>(g), static_cast<T*>(m),
                    static_cast<T*>(v), b, e);
    };
    parallel_for(a.n, 8, body);
  };
  if (t == DT::F32) {
    auto body = [&](long b, long e) {
      adam_range_f32(a, static_cast<float*>(p), static_cast<const float*>(g), static_cast<float*>(m),
                     static_cast<float*>(v), b, e);
    };
    parallel_for(a.n, 2, body);
  } else if (t == DT::F64) {
    go(double{});
  } else {
    return false;
  }
  return true;
}

bool sgd(DT t, const SgdArgs& a, void* p, const void* g, void* buf) {
  auto go = [&](auto tag) {
    using T = decltype(tag);
    auto body = [&](long b, long e) {
      sgd_range<T>(a, static_cast<T*>(p), static_cast<const T*>(g), static_cast<T*>(buf), b, e);
    };
    parallel_for(a.n, 2, body);
  };
  if (t == DT::F32) go(float{});
  else if (t == DT::F64) go(double{});
  else return false;
  return true;
}

}  // namespace ew
}  // namespace kiln
