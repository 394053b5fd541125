// A/B harness for the AVX2 or AVX-512 SGEMM kernel on a shared machine: several builds of
// gemm_avx2.cc or gemm_avx512.cc (each compiled into its own namespace by gemm_ab.sh) run interleaved in one process, timed in
// thread CPU time, best of many rounds, next to the FMA peak probed the same way in the same
// rounds. Prints each variant's share of that peak at 1024^3 and 2048^3 on one thread, and an
// estimate of the 2-thread speedup (halves run concurrently on two threads; the slower thread's
// CPU time stands for the wall time a quiet machine would see).
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "../../native/src/gemm.h"

#ifndef NVAR
#define NVAR 2
#endif

// The unit under test: gemm_ab.sh defines AB_ISA_avx512 when it built gemm_avx512.cc.
#ifdef AB_ISA_avx512
#define KERNELS kernels_avx512
#else
#define KERNELS kernels_avx2
#endif

#define DECL(N)                                    \
  namespace v##N {                                 \
  const kiln::KernelSet* KERNELS();                \
  void* scratch(int slot, size_t bytes);           \
  }
DECL(0)
DECL(1)
DECL(2)
DECL(3)
DECL(4)
DECL(5)

// Each variant's packing buffers (the addon's pool.cc provides these per thread).
static void* scratch_impl(int slot, size_t bytes) {
  thread_local void* ptr[4];
  thread_local size_t size[4];
  if (bytes > size[slot]) {
    std::free(ptr[slot]);
    size_t n = (bytes + 4096 + 63) & ~size_t(63);
    ptr[slot] = std::aligned_alloc(64, n);
    size[slot] = n - 4096;
  }
  return ptr[slot];
}
#define DEF(N) \
  void* v##N::scratch(int slot, size_t bytes) { return scratch_impl(slot, bytes); }
DEF(0)
DEF(1)
DEF(2)
DEF(3)
DEF(4)
DEF(5)

// AB_FIFO=1: every timed call runs under SCHED_FIFO (needs root or CAP_SYS_NICE), so on a
// shared machine it runs without being preempted (its L1/L2 are not refilled by other jobs
// halfway); then the thread sleeps AB_FIFO_IDLE (default 3) times as long as the call took, so
// it takes no more than its share of the machine.
static bool g_fifo = false;
static double g_idle = 3;
static void fifo(bool on) {
  if (!g_fifo) return;
  sched_param sp{};
  sp.sched_priority = on ? 1 : 0;
  if (pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &sp) != 0) {
    std::fprintf(stderr, "AB_FIFO: pthread_setschedparam failed\n");
    std::exit(1);
  }
}
static void rest(double seconds) {
  if (!g_fifo) return;
  double s = seconds * g_idle;
  timespec t{static_cast<time_t>(s), static_cast<long>((s - static_cast<time_t>(s)) * 1e9)};
  nanosleep(&t, nullptr);
}

static double cpu_now() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

// FMA peak: 12 independent chains of 8-wide float FMAs, as bench/native/fma_peak.c.
__attribute__((target("avx2,fma"))) __attribute__((noinline)) static double peak_once() {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(1.0f + i * 1e-7f);
  const __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-8f);
  const long iters = 1000000;
  double t0 = cpu_now();
  // The chains touch no memory, so without these barriers the compiler may move part of the
  // work across the clock calls (which inflated the figure by ~20%).
  for (int j = 0; j < 12; ++j) asm volatile("" : "+x"(a[j]));
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) a[j] = _mm256_fmadd_ps(a[j], b, c);
  }
  for (int j = 0; j < 12; ++j) asm volatile("" : "+x"(a[j]));
  double t = cpu_now() - t0;
  float out[8];
  for (int i = 0; i < 12; ++i) {
    _mm256_storeu_ps(out, a[i]);
    sink += out[0];
  }
  return iters * 12 * 16.0 / t / 1e9;
}

#ifdef AB_ISA_avx512
// The same probe with 16-wide chains, as bench/native/fma_peak.c runs where AVX-512 exists (on
// Zen 4 both widths reach the same 32 flops per cycle: 512-bit FMAs are split over 256-bit pipes).
__attribute__((target("avx512f"))) __attribute__((noinline)) static double peak512_once() {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-7f);
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-8f);
  const long iters = 500000;
  double t0 = cpu_now();
  for (int j = 0; j < 12; ++j) asm volatile("" : "+v"(a[j]));
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) a[j] = _mm512_fmadd_ps(a[j], b, c);
  }
  for (int j = 0; j < 12; ++j) asm volatile("" : "+v"(a[j]));
  double t = cpu_now() - t0;
  float out[16];
  for (int i = 0; i < 12; ++i) {
    _mm512_storeu_ps(out, a[i]);
    sink += out[0];
  }
  return iters * 12 * 32.0 / t / 1e9;
}
#endif

struct Mat {
  float* p;
  explicit Mat(long n) : p(static_cast<float*>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64))) {}
};

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  g_fifo = std::getenv("AB_FIFO") && std::atoi(std::getenv("AB_FIFO"));
  if (std::getenv("AB_FIFO_IDLE")) g_idle = std::atof(std::getenv("AB_FIFO_IDLE"));
  const char* names[6] = {};
  for (int v = 0; v < NVAR; ++v) names[v] = argc > 2 + v ? argv[2 + v] : "?";
  const kiln::KernelSet* ks[6] = {v0::KERNELS(), v1::KERNELS(), NVAR > 2 ? v2::KERNELS() : nullptr,
                                  NVAR > 3 ? v3::KERNELS() : nullptr, NVAR > 4 ? v4::KERNELS() : nullptr,
                                  NVAR > 5 ? v5::KERNELS() : nullptr};
  // AB_SIZES: comma-separated S (an S^3 product) or MxNxK, with a "Bt" suffix for B stored
  // transposed ([N, K] row-major), e.g. AB_SIZES=1024,128x784x128Bt.
  const char* sz = std::getenv("AB_SIZES");
  struct Shape {
    long m, n, k;
    bool tb;
  };
  std::vector<Shape> sizes;
  for (const char* s = sz && *sz ? sz : "1024,2048"; *s;) {
    char* e;
    Shape sh{};
    sh.m = sh.n = sh.k = std::strtol(s, &e, 10);
    if (*e == 'x') {
      sh.n = std::strtol(e + 1, &e, 10);
      if (*e == 'x') sh.k = std::strtol(e + 1, &e, 10);
    }
    if (e[0] == 'B' && e[1] == 't') {
      sh.tb = true;
      e += 2;
    }
    if (sh.m <= 0 || sh.n <= 0 || sh.k <= 0 || (*e && *e != ',')) {
      std::fprintf(stderr, "AB_SIZES: bad entry at \"%s\"\n", s);
      return 2;
    }
    sizes.push_back(sh);
    s = e;
    while (*s == ',') ++s;
  }
  // AB_2T=1: column halves on two threads; AB_2T=2: row halves. kiln::gemm (choose_grid) splits
  // 1024^3 by columns and 2048^3 by rows (there its two costs tie but for the packing term).
  int two = std::getenv("AB_2T") ? std::atoi(std::getenv("AB_2T")) : 0;
  // Node's large typed arrays come from glibc's mmap'd chunks: 16 bytes past a page boundary.
  long off = std::getenv("AB_OFFSET") ? std::atol(std::getenv("AB_OFFSET")) : 4;
  long ns = static_cast<long>(sizes.size());
  std::vector<Mat*> A, B, C, R;
  for (const Shape& sh : sizes) {
    long len[4] = {sh.m * sh.k, sh.k * sh.n, sh.m * sh.n, sh.m * sh.n};
    int w = 0;
    for (auto* v : {&A, &B, &C, &R}) {
      v->push_back(new Mat(len[w++] + off));
      v->back()->p += off;
    }
    for (long i = 0; i < len[0]; ++i) A.back()->p[i] = float(std::rand()) / RAND_MAX - 0.5f;
    for (long i = 0; i < len[1]; ++i) B.back()->p[i] = float(std::rand()) / RAND_MAX - 0.5f;
  }
  auto gemm_of = [&](long z, float* c) {
    const Shape& h = sizes[z];
    return kiln::Gemm<float>{A[z]->p, B[z]->p, c, h.m, h.n, h.k, h.k, 1,
                             h.tb ? 1 : h.n, h.tb ? h.k : 1, h.n, false};
  };
  // Small products run several times per timed sample (about 2e8 flops), so each sample is long
  // against the clock's cost.
  auto reps_of = [&](long z) {
    double f = 2.0 * sizes[z].m * sizes[z].n * sizes[z].k;
    return f >= 2e8 ? 1L : static_cast<long>(2e8 / f);
  };
  // Correctness: every variant against variant 0 (summation order may differ with KC).
  for (long z = 0; z < ns; ++z) {
    long m = sizes[z].m, n = sizes[z].n;
    auto g0 = gemm_of(z, R[z]->p);
    ks[0]->f32(g0, 0, m, 0, n);
    for (int v = 1; v < NVAR; ++v) {
      auto g = gemm_of(z, C[z]->p);
      ks[v]->f32(g, 0, m, 0, n);
      double maxerr = 0;
      for (long i = 0; i < m * n; ++i) maxerr = std::fmax(maxerr, std::fabs(double(C[z]->p[i]) - R[z]->p[i]));
      if (maxerr > 1e-3) std::printf("MISMATCH %s at shape %ld: %g\n", names[v], z, maxerr);
    }
  }
  double peak = 0;
  std::vector<double> best1(NVAR * ns, 1e30), best2(NVAR * ns, 1e30);
  // Per round, each variant's time over variant 0's in the same round: the median of these
  // paired ratios is steadier than the best times when the load changes between rounds.
  std::vector<std::vector<double>> ratio(NVAR * ns);
  std::vector<double> cur(NVAR);
  for (int r = 0; r < rounds; ++r) {
    for (int q = 0; q < 3; ++q) {
      fifo(true);
#ifdef AB_ISA_avx512
      double p = q == 2 ? peak512_once() : peak_once();
#else
      double p = peak_once();
#endif
      fifo(false);
      rest(0.003);
      peak = std::fmax(peak, p);
    }
    for (long z = 0; z < ns; ++z) {
      long m = sizes[z].m, n = sizes[z].n, reps = reps_of(z);
      for (int vv = 0; vv < NVAR; ++vv) {
        // Rotate which variant runs first: the first call after a size change finds the
        // matrices out of cache.
        int v = (vv + r) % NVAR;
        auto g = gemm_of(z, C[z]->p);
        fifo(true);
        double t0 = cpu_now();
        for (long q = 0; q < reps; ++q) ks[v]->f32(g, 0, m, 0, n);
        double t = (cpu_now() - t0) / reps;
        fifo(false);
        rest(t);
        if (t < best1[v * ns + z]) best1[v * ns + z] = t;
        cur[v] = t;
        if (two) {
          long nr = ks[v]->nr32, half = ((n / nr + 1) / 2) * nr;
          long mr = ks[v]->mr32, mhalf = ((m / mr + 1) / 2) * mr;
          double tt[2];
          auto work = [&](int h) {
            fifo(true);
            double u0 = cpu_now();
            for (long q = 0; q < reps; ++q) {
              if (two == 2) ks[v]->f32(g, h ? mhalf : 0, h ? m : mhalf, 0, n);
              else ks[v]->f32(g, 0, m, h ? half : 0, h ? n : half);
            }
            tt[h] = (cpu_now() - u0) / reps;
            fifo(false);
          };
          std::thread th(work, 1);
          work(0);
          th.join();
          rest(std::fmax(tt[0], tt[1]));
          double w = std::fmax(tt[0], tt[1]);
          if (w < best2[v * ns + z]) best2[v * ns + z] = w;
        }
      }
      for (int v = 0; v < NVAR; ++v) ratio[v * ns + z].push_back(cur[0] / cur[v]);
    }
  }
  std::printf("FMA peak (thread CPU time, best): %.1f GFLOP/s\n", peak);
  for (int v = 0; v < NVAR; ++v) {
    std::printf("%-28s", names[v]);
    for (long z = 0; z < ns; ++z) {
      const Shape& h = sizes[z];
      double gf = 2.0 * h.m * h.n * h.k / best1[v * ns + z] / 1e9;
      if (h.m == h.n && h.n == h.k && !h.tb) std::printf("  %ld:", h.m);
      else std::printf("  %ldx%ldx%ld%s:", h.m, h.n, h.k, h.tb ? "Bt" : "");
      std::printf(" %5.1f GF %.3f", gf, gf / peak);
      if (two) std::printf(" 2T x%.2f", best1[v * ns + z] / best2[v * ns + z]);
      auto& rv = ratio[v * ns + z];
      std::sort(rv.begin(), rv.end());
      if (v > 0) std::printf(" (x%.3f)", rv[rv.size() / 2]);
    }
    std::printf("\n");
  }
}
