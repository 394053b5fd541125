// Measured FMA peak of this machine for bench/gemm.ts: GFLOP/s of independent float32 vector
// multiply-add chains (enough of them to cover FMA latency on every port) with the widest vectors
// the CPU runs, on 1 and on N threads at once. 12 chains: on the Zen 3 VM (2 FMA pipes, latency
// 4, so 8 chains suffice) 8, 10, 12 and 14 chains all measured 91-97 GFLOP/s, the same within
// run-to-run noise: the probe reaches the pipes' throughput, not a latency bound.
// Built at bench time:
//   cc -O3 -pthread bench/native/fma_peak.c -o fma_peak && ./fma_peak [threads] [--wall]
// Timed in thread CPU time by default, so other jobs on a shared machine do not lower it; with
// --wall in wall-clock time, the clock bench/gemm.ts times the GEMM with, so the two can be
// compared round by round (a vCPU the hypervisor takes away stops the GEMM's wall clock figure
// but not a thread CPU time figure). Prints "isa gflops_1thread gflops_Nthreads".
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
// Pins a vector register's value at this point of the program (zmm for 512-bit, ymm for 256).
#define BARRIER(v) __asm__ volatile("" : "+v"(v))
#define ITERS 4000000L

static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;

static double now(void) {
  struct timespec t;
  clock_gettime(clock_id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

__attribute__((target("avx512f"))) static double chains512(void) {
  __m512 a[CHAINS];
  for (int i = 0; i < CHAINS; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-7f);
  const __m512 b = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-8f);
  double t0 = now();
  // The chains touch no memory, so without these barriers the compiler may move part of the work
  // across the clock calls (bench/native/gemm_ab.cc saw that inflate its probe by ~20%).
  for (int j = 0; j < CHAINS; ++j) BARRIER(a[j]);
  for (long i = 0; i < ITERS; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; ++j) a[j] = _mm512_fmadd_ps(a[j], b, c);
  }
  for (int j = 0; j < CHAINS; ++j) BARRIER(a[j]);
  double t = now() - t0;
  for (int i = 0; i < CHAINS; ++i) sink += _mm512_reduce_add_ps(a[i]);
  return ITERS * CHAINS * 32.0 / t / 1e9;
}

__attribute__((target("avx2,fma"))) static double chains256(void) {
  __m256 a[CHAINS];
  for (int i = 0; i < CHAINS; ++i) a[i] = _mm256_set1_ps(1.0f + i * 1e-7f);
  const __m256 b = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-8f);
  double t0 = now();
  for (int j = 0; j < CHAINS; ++j) BARRIER(a[j]);
  for (long i = 0; i < ITERS; ++i) {
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; ++j) a[j] = _mm256_fmadd_ps(a[j], b, c);
  }
  for (int j = 0; j < CHAINS; ++j) BARRIER(a[j]);
  double t = now() - t0;
  float out[8];
  for (int i = 0; i < CHAINS; ++i) {
    _mm256_storeu_ps(out, a[i]);
    sink += out[0];
  }
  return ITERS * CHAINS * 16.0 / t / 1e9;
}

static int wide;

static double once(void) { return wide ? chains512() : chains256(); }

static void* worker(void* out) {
  *(double*)out = once();
  return NULL;
}

int main(int argc, char** argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  if (threads < 1 || argc > 3 || (argc == 3 && strcmp(argv[2], "--wall") != 0)) {
    fprintf(stderr, "usage: fma_peak [threads >= 1] [--wall]\n");
    return 2;
  }
  if (argc == 3) clock_id = CLOCK_MONOTONIC;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    puts("none 0 0");
    return 0;
  }
  wide = __builtin_cpu_supports("avx512f");
  double best1 = 0, bestN = 0;
  for (int r = 0; r < 7; ++r) {
    double g = once();
    if (g > best1) best1 = g;
  }
  pthread_t tid[64];
  double res[64];
  if (threads > 64) threads = 64;
  // One thread: the figure is best1 (bench/gemm.ts runs that in every round; no second pass).
  if (threads == 1) bestN = best1;
  for (int r = 0; r < 5 && threads > 1; ++r) {
    for (int i = 0; i < threads; ++i) pthread_create(&tid[i], NULL, worker, &res[i]);
    double sum = 0;
    for (int i = 0; i < threads; ++i) {
      pthread_join(tid[i], NULL);
      sum += res[i];
    }
    if (sum > bestN) bestN = sum;
  }
  printf("%s %.1f %.1f\n", wide ? "avx512f" : "avx2", best1, bestN);
  return 0;
}
