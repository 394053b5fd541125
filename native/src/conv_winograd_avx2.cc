// AVX2+FMA Winograd F(2x2, 3x3) kernels (conv_winograd.h). Built with -mavx2 -mfma in the
// kiln_avx2 library and only called after conv_winograd.cc has seen both at run time; nothing
// here instantiates a std template (see conv_direct_avx2.cc). The transforms run on 8 channels
// per vector (the data is channels last), the products as one small GEMM per transform
// position with a 5 tiles x 16 out channels register tile.
#include "conv_winograd.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace kiln {
namespace convw {
namespace {

// Lane-wise max where a NaN in either wins, so a pooling window holding a NaN pools to NaN (as
// maxPool); _mm256_max_ps(a, b) alone returns b. The ReLUs below are max(0, v), which keeps v's
// NaN for the same reason.
__attribute__((always_inline)) inline __m256 max_nan(__m256 a, __m256 b) {
  return _mm256_or_ps(_mm256_max_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}

constexpr int MR = 5;  // tiles per register tile

// B^T d B: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3), then the same on the columns.
void input(const float* x, long wp, long th, long tw, long cp, float* v, long tp) {
  const long xi_stride = tp * cp;
  for (long i = 0; i < th; ++i) {
    for (long j = 0; j < tw; ++j) {
      const float* base = x + (2 * i * wp + 2 * j) * cp;
      float* vt = v + (i * tw + j) * cp;
      for (long c = 0; c < cp; c += 8) {
        __m256 t[4][4];
        for (int q = 0; q < 4; ++q) {
          const __m256 d0 = _mm256_loadu_ps(base + q * cp + c);
          const __m256 d1 = _mm256_loadu_ps(base + (wp + q) * cp + c);
          const __m256 d2 = _mm256_loadu_ps(base + (2 * wp + q) * cp + c);
          const __m256 d3 = _mm256_loadu_ps(base + (3 * wp + q) * cp + c);
          t[0][q] = _mm256_sub_ps(d0, d2);
          t[1][q] = _mm256_add_ps(d1, d2);
          t[2][q] = _mm256_sub_ps(d2, d1);
          t[3][q] = _mm256_sub_ps(d1, d3);
        }
        for (int k = 0; k < 4; ++k) {
          float* o = vt + 4 * k * xi_stride + c;
          _mm256_storeu_ps(o, _mm256_sub_ps(t[k][0], t[k][2]));
          _mm256_storeu_ps(o + xi_stride, _mm256_add_ps(t[k][1], t[k][2]));
          _mm256_storeu_ps(o + 2 * xi_stride, _mm256_sub_ps(t[k][2], t[k][1]));
          _mm256_storeu_ps(o + 3 * xi_stride, _mm256_sub_ps(t[k][1], t[k][3]));
        }
      }
    }
  }
}

// Per transform position and block of 16 out channels, the block's u rows stay in L1 while
// register tiles of 5 tiles x 16 channels sweep the tiles (5 broadcasts and 2 loads per 10
// multiply-adds).
void gemm(const float* v, const float* u, long tp, long cp, long op, float* m) {
  for (long xi = 0; xi < 16; ++xi) {
    const float* vx = v + xi * tp * cp;
    const float* ux = u + xi * cp * op;
    float* mx = m + xi * tp * op;
    for (long ob = 0; ob < op; ob += 16) {
      for (long t0 = 0; t0 < tp; t0 += MR) {
        __m256 a0[MR], a1[MR];
        for (int r = 0; r < MR; ++r) a0[r] = a1[r] = _mm256_setzero_ps();
        const float* vp = vx + t0 * cp;
        const float* up = ux + ob;
        for (long c = 0; c < cp; ++c, up += op) {
          const __m256 w0 = _mm256_loadu_ps(up), w1 = _mm256_loadu_ps(up + 8);
          for (int r = 0; r < MR; ++r) {
            const __m256 b = _mm256_broadcast_ss(vp + r * cp + c);
            a0[r] = _mm256_fmadd_ps(b, w0, a0[r]);
            a1[r] = _mm256_fmadd_ps(b, w1, a1[r]);
          }
        }
        for (int r = 0; r < MR; ++r) {
          float* o = mx + (t0 + r) * op + ob;
          _mm256_storeu_ps(o, a0[r]);
          _mm256_storeu_ps(o + 8, a1[r]);
        }
      }
    }
  }
}

// A^T m A: rows (m0 + m1 + m2, m1 - m2 - m3), then the same on the columns; the four outputs
// are one pooling window, so only their max (plus the bias, then the ReLU) is stored.
void output(const float* m, long tp, long tiles, long op, const float* bias, float* p) {
  const long xi_stride = tp * op;
  const __m256 zero = _mm256_setzero_ps();
  for (long t = 0; t < tiles; ++t) {
    const float* mt = m + t * op;
    for (long q = 0; q < op; q += 8) {
      __m256 s[2][4];
      for (int l = 0; l < 4; ++l) {
        const __m256 m0 = _mm256_loadu_ps(mt + l * xi_stride + q);
        const __m256 m1 = _mm256_loadu_ps(mt + (4 + l) * xi_stride + q);
        const __m256 m2 = _mm256_loadu_ps(mt + (8 + l) * xi_stride + q);
        const __m256 m3 = _mm256_loadu_ps(mt + (12 + l) * xi_stride + q);
        s[0][l] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        s[1][l] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
      }
      __m256 best = zero;
      for (int k = 0; k < 2; ++k) {
        const __m256 y0 = _mm256_add_ps(_mm256_add_ps(s[k][0], s[k][1]), s[k][2]);
        const __m256 y1 = _mm256_sub_ps(_mm256_sub_ps(s[k][1], s[k][2]), s[k][3]);
        const __m256 y = max_nan(y0, y1);
        best = k ? max_nan(best, y) : y;
      }
      const __m256 r = _mm256_add_ps(best, _mm256_loadu_ps(bias + q));
      _mm256_storeu_ps(p + t * op + q, _mm256_max_ps(zero, r));
    }
  }
}

// Two conv rows (2i, 2i + 1) x 16 columns x 3 out channels in 12 accumulators; per tap 3
// weight broadcasts and 4 input vectors (which the FMAs may read from memory) feed 12
// multiply-adds. The epilogue takes the max of the two rows, then of neighbouring columns (even
// and odd lanes, put back in order), adds the bias and applies the ReLU: 8 pooled outputs per
// channel. A row's last tile overlaps the one before rather than running past it.
void pool_few(const float* x, long cs, long rs, long c, long kh, long kw, long th, long tw,
              long o, const float* w3, const float* bias, float* out) {
  const long taps = c * kh * kw;
  long offs[32];
  for (long ci = 0, t = 0; ci < c; ++ci)
    for (long a = 0; a < kh; ++a)
      for (long b = 0; b < kw; ++b) offs[t++] = ci * cs + a * rs + b;
  const __m256 zero = _mm256_setzero_ps();
  for (long ob = 0; ob < o; ob += 3) {
    const float* wb = w3 + ob * taps;
    for (long i = 0; i < th; ++i) {
      for (long jp0 = 0; jp0 < tw; jp0 += 8) {
        const long jp = jp0 + 8 <= tw ? jp0 : tw - 8;
        const float* xt = x + 2 * i * rs + 2 * jp;
        __m256 acc[2][3][2];
        for (int u = 0; u < 2; ++u)
          for (int r = 0; r < 3; ++r) acc[u][r][0] = acc[u][r][1] = zero;
        for (long t = 0; t < taps; ++t) {
          const float* xp = xt + offs[t];
          __m256 wv[3];
          for (int r = 0; r < 3; ++r) wv[r] = _mm256_broadcast_ss(wb + t * 3 + r);
          for (int u = 0; u < 2; ++u) {
            for (int h = 0; h < 2; ++h) {
              const __m256 xv = _mm256_loadu_ps(xp + u * rs + h * 8);
              for (int r = 0; r < 3; ++r) acc[u][r][h] = _mm256_fmadd_ps(wv[r], xv, acc[u][r][h]);
            }
          }
        }
        for (int r = 0; r < 3 && ob + r < o; ++r) {
          const __m256 a = max_nan(acc[0][r][0], acc[1][r][0]);
          const __m256 b = max_nan(acc[0][r][1], acc[1][r][1]);
          const __m256 m = max_nan(_mm256_shuffle_ps(a, b, 0x88), _mm256_shuffle_ps(a, b, 0xDD));
          const __m256 ordered =
              _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(m), 0xD8));
          const __m256 v = _mm256_add_ps(ordered, _mm256_set1_ps(bias ? bias[ob + r] : 0.f));
          _mm256_storeu_ps(out + ((ob + r) * th + i) * tw + jp, _mm256_max_ps(zero, v));
        }
      }
    }
  }
}

const Kernels kSet = {input, gemm, output, pool_few};

}  // namespace

const Kernels* kernels_avx2() { return &kSet; }

}  // namespace convw
}  // namespace kiln

#else
namespace kiln {
namespace convw {
const Kernels* kernels_avx2() { return nullptr; }
}  // namespace convw
}  // namespace kiln
#endif
