/* Times cblas_sgemm (or cblas_dgemm after a "-d" first argument) for the shapes given as
 * arguments, "MxNxK" with an optional "At" / "Bt" suffix ("32x784x128Bt") for an operand stored
 * transposed. Thread count comes from OPENBLAS_NUM_THREADS. Prints one line per shape:
 * "M N K ta tb GFLOP/s" (best of N after one warmup run). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void gemm(int dbl, int ta, int tb, long m, long n, long k, const void *a, const void *b,
                 void *c) {
  enum CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans, trb = tb ? CblasTrans : CblasNoTrans;
  if (dbl)
    cblas_dgemm(CblasRowMajor, tra, trb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, c, n);
  else
    cblas_sgemm(CblasRowMajor, tra, trb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
}

int main(int argc, char **argv) {
  int dbl = argc > 1 && strcmp(argv[1], "-d") == 0;
  for (int i = 1 + dbl; i < argc; ++i) {
    long m, n, k;
    if (sscanf(argv[i], "%ldx%ldx%ld", &m, &n, &k) != 3) return 2;
    int ta = strstr(argv[i], "At") != NULL, tb = strstr(argv[i], "Bt") != NULL;
    size_t es = dbl ? sizeof(double) : sizeof(float);
    unsigned char *a = malloc(es * m * k), *b = malloc(es * k * n), *c = malloc(es * m * n);
    /* Small values of either width: the bytes only need to be finite numbers. */
    for (long j = 0; j < m * k; ++j) {
      if (dbl) ((double *)a)[j] = (double)rand() / RAND_MAX - 0.5;
      else ((float *)a)[j] = (float)rand() / RAND_MAX - 0.5f;
    }
    for (long j = 0; j < k * n; ++j) {
      if (dbl) ((double *)b)[j] = (double)rand() / RAND_MAX - 0.5;
      else ((float *)b)[j] = (float)rand() / RAND_MAX - 0.5f;
    }
    double flops = 2.0 * m * n * k, best = 1e30, spent = 0;
    /* Same budget rule as bench/gemm.ts: at least 5 runs, about 0.25 s per shape. */
    for (int r = 0; r < 5 || (spent < 0.25 && r < 2000); ++r) {
      double t0 = now();
      gemm(dbl, ta, tb, m, n, k, a, b, c);
      double t = now() - t0;
      if (r > 0 && t < best) best = t; /* the first run is warmup */
      spent += t;
    }
    printf("%ld %ld %ld %d %d %.2f\n", m, n, k, ta, tb, flops / best / 1e9);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
