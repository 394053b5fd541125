// AVX2+FMA direct convolution kernels (conv_direct.h). Built with -mavx2 -mfma in the
// kiln_avx2 library and only called after conv.cc has seen both at run time; like the GEMM
// units, nothing here instantiates a std template (a weak symbol built with AVX2 could be
// picked by the linker for code that runs anywhere).
#include "conv_direct.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "transpose_avx2.h"

namespace kiln {
namespace convd {
namespace {

constexpr int MR = 6;  // output positions per tile (one row)

// NaN handling follows the unfused ops (and PyTorch): the ReLU keeps a NaN, and a pooling
// window holding a NaN pools to NaN. _mm256_max_ps(a, b) returns b when either is NaN, so the
// ReLU is max(0, v) with v second, and the pool's max adds the lanes where either is NaN.
__attribute__((always_inline)) inline __m256 relu8(__m256 v) {
  return _mm256_max_ps(_mm256_setzero_ps(), v);
}
__attribute__((always_inline)) inline __m256 max_nan(__m256 a, __m256 b) {
  return _mm256_or_ps(_mm256_max_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}
inline float max_nan(float a, float b) { return a > b || a != a ? a : b; }

// 6 positions x 8 channels of one tile (acc[r] = 8 channels of position r): bias, ReLU, then a
// transpose in registers so each channel's 6 values go out as one 4-lane and one 2-lane store
// (masked stores are slow on some cores).
__attribute__((always_inline)) inline void store_tile(const __m256 acc[MR], __m256 b, bool relu,
                                                      long lanes, long plane, float* y) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 rows[8];
  for (int r = 0; r < MR; ++r) {
    const __m256 v = _mm256_add_ps(acc[r], b);
    rows[r] = relu ? relu8(v) : v;
  }
  rows[6] = rows[7] = zero;
  transpose8x8(rows);
  for (int q = 0; q < 8; ++q) {
    if (q >= lanes) break;
    float* p = y + q * plane;
    _mm_storeu_ps(p, _mm256_castps256_ps128(rows[q]));
    _mm_storel_pi(reinterpret_cast<__m64*>(p + 4), _mm256_extractf128_ps(rows[q], 1));
  }
}

void forward(const Image& img, long o, const float* wpk, const float* bias, bool relu,
             float* out) {
  const long kh = img.kh, kw = img.kw, taps = img.c * kh * kw, plane = img.oh * img.ow;
  // Offset of each tap from the tile's first input value, in the packed weights' order.
  long offs_local[512];
  long* offs = taps <= 512 ? offs_local : new long[static_cast<size_t>(taps)];
  for (long ci = 0, t = 0; ci < img.c; ++ci)
    for (long a = 0; a < kh; ++a)
      for (long bb = 0; bb < kw; ++bb) offs[t++] = ci * img.cs + a * img.rs + bb;
  const __m256 zero = _mm256_setzero_ps();
  for (long ob = 0; ob * 16 < o; ++ob) {
    const float* wb = wpk + ob * taps * 16;
    const __m256 b0 = bias ? _mm256_loadu_ps(bias + ob * 16) : zero;
    const __m256 b1 = bias ? _mm256_loadu_ps(bias + ob * 16 + 8) : zero;
    const long lanes = o - ob * 16 < 16 ? o - ob * 16 : 16;
    for (long i = 0; i < img.oh; ++i) {
      for (long j0 = 0; j0 < img.ow; j0 += MR) {
        // The last tile of a row overlaps the one before rather than running past the row.
        const long j = j0 + MR <= img.ow ? j0 : img.ow - MR;
        __m256 acc0[MR], acc1[MR];
        for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = zero;
        const float* xt = img.x + i * img.rs + j;
        const float* wp = wb;
        for (long t = 0; t < taps; ++t, wp += 16) {
          const float* xp = xt + offs[t];
          const __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8);
          for (int r = 0; r < MR; ++r) {
            const __m256 v = _mm256_broadcast_ss(xp + r);
            acc0[r] = _mm256_fmadd_ps(v, w0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(v, w1, acc1[r]);
          }
        }
        float* y = out + (ob * 16) * plane + i * img.ow + j;
        store_tile(acc0, b0, relu, lanes, plane, y);
        if (lanes > 8) store_tile(acc1, b1, relu, lanes - 8, plane, y + 8 * plane);
      }
    }
  }
  if (offs != offs_local) delete[] offs;
}

// Forward for few taps (a first layer on one or three input channels): the vectors run along
// an output row (16 positions; a row's last tile overlaps the one before) and 6 out channels
// broadcast their weights (packed [o / 6][tap][6]), so each tile stores straight into NCHW rows:
// with 9 taps the transposing tile above spends as long storing as multiplying.
void forward_few(const Image& img, long o, const float* w6, const float* bias, bool relu,
                 float* out) {
  const long taps = img.c * img.kh * img.kw, plane = img.oh * img.ow;
  long offs[32];
  for (long ci = 0, t = 0; ci < img.c; ++ci)
    for (long a = 0; a < img.kh; ++a)
      for (long bb = 0; bb < img.kw; ++bb) offs[t++] = ci * img.cs + a * img.rs + bb;
  const __m256 zero = _mm256_setzero_ps();
  for (long ob = 0; ob * 6 < o; ++ob) {
    const float* wb = w6 + ob * taps * 6;
    for (long i = 0; i < img.oh; ++i) {
      for (long j0 = 0; j0 < img.ow; j0 += 16) {
        const long j = j0 + 16 <= img.ow ? j0 : img.ow - 16;
        __m256 acc0[MR], acc1[MR];
        for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = zero;
        const float* xt = img.x + i * img.rs + j;
        for (long t = 0; t < taps; ++t) {
          const float* xp = xt + offs[t];
          const __m256 x0 = _mm256_loadu_ps(xp), x1 = _mm256_loadu_ps(xp + 8);
          for (int r = 0; r < MR; ++r) {
            const __m256 a = _mm256_broadcast_ss(wb + t * 6 + r);
            acc0[r] = _mm256_fmadd_ps(a, x0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(a, x1, acc1[r]);
          }
        }
        for (int r = 0; r < MR; ++r) {
          const long oc = ob * 6 + r;
          if (oc >= o) break;
          const __m256 b = _mm256_set1_ps(bias ? bias[oc] : 0.f);
          __m256 v0 = _mm256_add_ps(acc0[r], b), v1 = _mm256_add_ps(acc1[r], b);
          if (relu) {
            v0 = relu8(v0);
            v1 = relu8(v1);
          }
          float* y = out + oc * plane + i * img.ow + j;
          _mm256_storeu_ps(y, v0);
          _mm256_storeu_ps(y + 8, v1);
        }
      }
    }
  }
}

// Weight gradient of a 3-wide kernel: per input channel, kernel row and block of 32 output
// channels, a 3 x 32 tile of dwt accumulates over every position of the sample (3 broadcasts
// and 4 loads per 12 multiply-adds).
void wgrad3(const Image& img, const float* dyt, long ldo, float* dwt) {
  const long kh = img.kh;
  for (long ci = 0; ci < img.c; ++ci) {
    for (long a = 0; a < kh; ++a) {
      float* drow = dwt + (ci * kh + a) * 3 * ldo;
      for (long ob = 0; ob < ldo; ob += 32) {
        __m256 acc[3][4];
        for (int t = 0; t < 3; ++t)
          for (int v = 0; v < 4; ++v) acc[t][v] = _mm256_loadu_ps(drow + t * ldo + ob + v * 8);
        for (long i = 0; i < img.oh; ++i) {
          const float* xr = img.x + ci * img.cs + (i + a) * img.rs;
          const float* d = dyt + i * img.ow * ldo + ob;
          for (long j = 0; j < img.ow; ++j, d += ldo) {
            const __m256 d0 = _mm256_loadu_ps(d), d1 = _mm256_loadu_ps(d + 8);
            const __m256 d2 = _mm256_loadu_ps(d + 16), d3 = _mm256_loadu_ps(d + 24);
            for (int t = 0; t < 3; ++t) {
              const __m256 v = _mm256_broadcast_ss(xr + j + t);
              acc[t][0] = _mm256_fmadd_ps(v, d0, acc[t][0]);
              acc[t][1] = _mm256_fmadd_ps(v, d1, acc[t][1]);
              acc[t][2] = _mm256_fmadd_ps(v, d2, acc[t][2]);
              acc[t][3] = _mm256_fmadd_ps(v, d3, acc[t][3]);
            }
          }
        }
        for (int t = 0; t < 3; ++t)
          for (int v = 0; v < 4; ++v) _mm256_storeu_ps(drow + t * ldo + ob + v * 8, acc[t][v]);
      }
    }
  }
}

// Input gradient, scattered: per block of 16 input channels and kernel tap, a tile of 6 output
// positions x 16 channels sums w[o][c][tap] * dm[o][p] over the out channels o (6 broadcasts
// and 2 loads per 12 multiply-adds, the same tile as the forward), then is added into dxt at
// the positions the tap reaches. No zero border is multiplied, and dxt's rows are channel
// vectors, so the adds need no transpose.
void input_grad(const float* dm, long o, long ldp, long oh, long ow, long kh, long kw,
                const float* wt, long cblocks, float* dxt, long wp, long ldc) {
  const long plane = oh * ow;
  for (long cb = 0; cb < cblocks; ++cb) {
    for (long a = 0; a < kh; ++a) {
      for (long bb = 0; bb < kw; ++bb) {
        const float* wb = wt + ((cb * kh + a) * kw + bb) * o * 16;
        float* base = dxt + (a * wp + bb) * ldc + cb * 16;
        for (long p0 = 0; p0 < plane; p0 += MR) {
          __m256 acc0[MR], acc1[MR];
          for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
          const float* d = dm + p0;
          const float* wp2 = wb;
          for (long oc = 0; oc < o; ++oc, d += ldp, wp2 += 16) {
            const __m256 w0 = _mm256_loadu_ps(wp2), w1 = _mm256_loadu_ps(wp2 + 8);
            for (int r = 0; r < MR; ++r) {
              const __m256 v = _mm256_broadcast_ss(d + r);
              acc0[r] = _mm256_fmadd_ps(v, w0, acc0[r]);
              acc1[r] = _mm256_fmadd_ps(v, w1, acc1[r]);
            }
          }
          for (int r = 0; r < MR; ++r) {
            const long p = p0 + r;
            if (p >= plane) break;
            float* q = base + ((p / ow) * wp + p % ow) * ldc;
            _mm256_storeu_ps(q, _mm256_add_ps(_mm256_loadu_ps(q), acc0[r]));
            _mm256_storeu_ps(q + 8, _mm256_add_ps(_mm256_loadu_ps(q + 8), acc1[r]));
          }
        }
      }
    }
  }
}

// dst[c][r] = src[r][c] for r < rows, c < cols: 8 x 8 blocks in registers, the edges scalar.
void transpose(const float* src, long rows, long cols, long lds, float* dst, long ldd) {
  long r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {
    long c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) {
      __m256 v[8];
      for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + (r0 + i) * lds + c0);
      transpose8x8(v);
      for (int q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (c0 + q) * ldd + r0, v[q]);
    }
    for (; c0 < cols; ++c0)
      for (int i = 0; i < 8; ++i) dst[c0 * ldd + r0 + i] = src[(r0 + i) * lds + c0];
  }
  for (; r0 < rows; ++r0)
    for (long c = 0; c < cols; ++c) dst[c * ldd + r0] = src[r0 * lds + c];
}

// 2x2 max pool, stride 2: 16 inputs of a row pair to 8 outputs per step (max of the rows,
// then of even and odd lanes, put back in order), the row's tail scalar; a NaN wins.
void pool2(const float* y, long o, long oh, long ow, float* out) {
  const long ph = oh / 2, pw = ow / 2;
  for (long c = 0; c < o; ++c) {
    for (long i = 0; i < ph; ++i) {
      const float* r0 = y + (c * oh + 2 * i) * ow;
      const float* r1 = r0 + ow;
      float* d = out + (c * ph + i) * pw;
      long j = 0;
      for (; j + 8 <= pw; j += 8) {
        const __m256 a = max_nan(_mm256_loadu_ps(r0 + 2 * j), _mm256_loadu_ps(r1 + 2 * j));
        const __m256 b = max_nan(_mm256_loadu_ps(r0 + 2 * j + 8), _mm256_loadu_ps(r1 + 2 * j + 8));
        const __m256 m = max_nan(_mm256_shuffle_ps(a, b, 0x88), _mm256_shuffle_ps(a, b, 0xDD));
        const __m256d ordered = _mm256_permute4x64_pd(_mm256_castps_pd(m), 0xD8);
        _mm256_storeu_ps(d + j, _mm256_castpd_ps(ordered));
      }
      for (; j < pw; ++j) {
        d[j] = max_nan(max_nan(r0[2 * j], r0[2 * j + 1]), max_nan(r1[2 * j], r1[2 * j + 1]));
      }
    }
  }
}

const Kernels kSet = {forward, wgrad3, transpose, input_grad, pool2, forward_few};

}  // namespace

const Kernels* kernels_avx2() { return &kSet; }

}  // namespace convd
}  // namespace kiln

#else
namespace kiln {
namespace convd {
const Kernels* kernels_avx2() { return nullptr; }
}  // namespace convd
}  // namespace kiln
#endif
