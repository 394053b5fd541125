// Kernel dispatch, batching and the split of work across the pool.
#include "gemm.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pool.h"

namespace kiln {
namespace {

std::atomic<const KernelSet*> g_kernels{nullptr};
char g_features[64] = "";

// Multiply-adds below which a GEMM stays on the calling thread. Inside a training step the
// hand-off to a worker costs more than it saves, far above the break-even of a hot GEMM loop
// (there, with a spinning worker, 48^3 already ran 1.3x faster on 2 threads). MNIST-MLP steps
// at batch 32 and 128 ran 20-35% faster single-threaded, while 512^3 and larger products keep
// their ~1.9x from two threads (KILN_GEMM_PAR_MIN overrides).
long g_par_min = 1L << 24;
// The same for products against pre-packed weights (frozen Linear layers: evaluation,
// prediction). Back to back, as in a serving loop, two threads already pay from 2^21 (the MNIST
// MLP's forward at batch 64 ran 1.6x faster); the default stays the training one until the lower
// value is measured inside training runs too (validation, AutoML's trials), where the calls come
// spaced out. KILN_GEMM_PACKED_PAR_MIN=2097152 suits a process that only predicts.
long g_packed_par_min = 1L << 24;

const KernelSet* detect() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  bool a512 = __builtin_cpu_supports("avx512f");
  bool a2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  std::strcpy(g_features, a512 ? "avx512f avx2 fma" : a2 ? "avx2 fma" : "sse2");
  if (a512 && kernels_avx512()) return kernels_avx512();
  if (a2 && kernels_avx2()) return kernels_avx2();
#elif defined(__aarch64__)
  std::strcpy(g_features, "neon");
#else
  std::strcpy(g_features, "scalar");
#endif
  return kernels_generic();
}

bool select_impl(const char* name);

const KernelSet* init() {
  g_kernels.store(detect());
  const char* forced = std::getenv("KILN_GEMM_KERNEL");
  if (forced && *forced) select_impl(forced);
  const char* pm = std::getenv("KILN_GEMM_PAR_MIN");
  if (pm && *pm) g_par_min = std::atol(pm);
  const char* ppm = std::getenv("KILN_GEMM_PACKED_PAR_MIN");
  if (ppm && *ppm) g_packed_par_min = std::atol(ppm);
  return g_kernels.load();
}

const KernelSet& ks() {
  static const KernelSet* once = init();  // thread-safe one-time detection
  (void)once;
  return *g_kernels.load(std::memory_order_relaxed);
}

template <class T>
struct Traits;
template <>
struct Traits<float> {
  static auto rect(const KernelSet& k) { return k.f32; }
  static int mr(const KernelSet& k) { return k.mr32; }
  static int nr(const KernelSet& k) { return k.nr32; }
};
template <>
struct Traits<double> {
  static auto rect(const KernelSet& k) { return k.f64; }
  static int mr(const KernelSet& k) { return k.mr64; }
  static int nr(const KernelSet& k) { return k.nr64; }
};

template <class T>
Gemm<T> batch_at(const Gemm<T>& g, const BatchPlan& p, long b) {
  Gemm<T> r = g;
  for (int d = p.ndims - 1; d >= 0; --d) {
    long i = b % p.shape[d];
    b /= p.shape[d];
    r.a += i * p.sa[d];
    r.b += i * p.sb[d];
    r.c += i * p.sc[d];
  }
  return r;
}

template <class T>
struct Job {
  const Gemm<T>* g;
  const BatchPlan* plan;
  void (*rect)(const Gemm<T>&, long, long, long, long);
  long tm, tn;          // thread grid over one product
  long mstep, nstep;    // rows / cols per grid cell, multiples of the register tile
  long ntasks;          // batch-parallel: number of batch chunks
};

template <class T>
void run_cell(void* ctx, long t) {
  auto& j = *static_cast<Job<T>*>(ctx);
  long ti = t / j.tn, tj = t % j.tn;
  long m0 = ti * j.mstep, n0 = tj * j.nstep;
  long m1 = m0 + j.mstep < j.g->m ? m0 + j.mstep : j.g->m;
  long n1 = n0 + j.nstep < j.g->n ? n0 + j.nstep : j.g->n;
  j.rect(*j.g, m0, m1, n0, n1);
}

template <class T>
void run_batches(void* ctx, long t) {
  auto& j = *static_cast<Job<T>*>(ctx);
  long nb = j.plan->nbatch;
  for (long b = t * nb / j.ntasks, e = (t + 1) * nb / j.ntasks; b < e; ++b) {
    Gemm<T> gb = batch_at(*j.g, *j.plan, b);
    j.rect(gb, 0, gb.m, 0, gb.n);
  }
}

// Picks a tm×tn grid (tm*tn <= threads) minimising the largest cell, counted in whole
// register tiles, plus the packing each cell repeats (its own A rows and B columns).
template <class T>
void choose_grid(Job<T>& j, int threads, int mr, int nr) {
  const Gemm<T>& g = *j.g;
  long um = (g.m + mr - 1) / mr, un = (g.n + nr - 1) / nr;
  double best = -1;
  for (long tm = 1; tm <= threads; ++tm) {
    long tn = threads / tm;
    if (tm > um || tn > un) continue;
    double cm = double((um + tm - 1) / tm) * mr, cn = double((un + tn - 1) / tn) * nr;
    double cost = cm * cn + 8.0 * (cm + cn);
    if (best < 0 || cost < best) {
      best = cost;
      j.tm = tm;
      j.tn = tn;
    }
  }
  if (best < 0) j.tm = j.tn = 1;
  j.mstep = ((um + j.tm - 1) / j.tm) * mr;
  j.nstep = ((un + j.tn - 1) / j.tn) * nr;
}

// Whole register tiles a product of this shape computes.
inline long tiled(long m, long n, int mr, int nr) {
  return (m + mr - 1) / mr * mr * ((n + nr - 1) / nr * nr);
}

// One whole product on the calling thread. A narrow product (n well below the register tile's
// width, as a convolution's weight gradient [O, C*kh*kw] with few input channels) wastes most of
// each tile; then C^T = B^T A^T is computed into a scratch and transposed into C. Every entry
// is still the same chain of multiply-adds over k, so the result is the same.
template <class T>
void rect_full(void (*rect)(const Gemm<T>&, long, long, long, long), const Gemm<T>& g, int mr,
               int nr) {
  if (g.n >= nr || g.k < 64 || tiled(g.n, g.m, mr, nr) * 5 > tiled(g.m, g.n, mr, nr) * 4) {
    rect(g, 0, g.m, 0, g.n);
    return;
  }
  thread_local std::vector<T> scratch;
  scratch.resize(static_cast<size_t>(g.n * g.m));
  Gemm<T> t{g.b, g.a, scratch.data(), g.n, g.m, g.k, g.sbn, g.sbk, g.sak, g.sam, g.m, false};
  rect(t, 0, t.m, 0, t.n);
  for (long i = 0; i < g.m; ++i) {
    T* c = g.c + i * g.ldc;
    const T* s = scratch.data() + i;
    if (g.accumulate)
      for (long j = 0; j < g.n; ++j) c[j] += s[j * g.m];
    else
      for (long j = 0; j < g.n; ++j) c[j] = s[j * g.m];
  }
}

template <class T>
void gemm(const Gemm<T>& g, const BatchPlan& plan) {
  const KernelSet& k = ks();
  if (plan.nbatch <= 0 || g.m <= 0 || g.n <= 0) return;
  Job<T> j{&g, &plan, Traits<T>::rect(k), 1, 1, g.m, g.n, 1};
  long work = g.m * g.n * (g.k > 0 ? g.k : 1);
  int threads = pool_threads();
  const int mr = Traits<T>::mr(k), nr = Traits<T>::nr(k);
  if (threads <= 1 || work * plan.nbatch < g_par_min) {
    for (long b = 0; b < plan.nbatch; ++b) rect_full(j.rect, batch_at(g, plan, b), mr, nr);
    return;
  }
  // Whole products per task when there are enough of them to balance, else split each one.
  bool by_batch = plan.nbatch >= threads &&
                  (plan.nbatch % threads == 0 || plan.nbatch >= 4L * threads || work < g_par_min);
  if (by_batch) {
    j.ntasks = plan.nbatch % threads == 0 ? threads
               : plan.nbatch < 8L * threads ? plan.nbatch
                                            : 8L * threads;
    pool_run(j.ntasks, run_batches<T>, &j);
    return;
  }
  for (long b = 0; b < plan.nbatch; ++b) {
    Gemm<T> gb = batch_at(g, plan, b);
    Job<T> jb = j;
    jb.g = &gb;
    if (work >= g_par_min) {
      choose_grid(jb, threads, mr, nr);
      pool_run(jb.tm * jb.tn, run_cell<T>, &jb);
    } else {
      rect_full(jb.rect, gb, mr, nr);
    }
  }
}

}  // namespace

void gemm_f32(const Gemm<float>& g, const BatchPlan& plan) { gemm(g, plan); }
void gemm_f64(const Gemm<double>& g, const BatchPlan& plan) { gemm(g, plan); }

void gemm_serial(const Gemm<float>& g) {
  const KernelSet& k = ks();
  if (g.m > 0 && g.n > 0) rect_full(k.f32, g, k.mr32, k.nr32);
}
void gemm_serial(const Gemm<double>& g) {
  const KernelSet& k = ks();
  if (g.m > 0 && g.n > 0) rect_full(k.f64, g, k.mr64, k.nr64);
}

int kernel_id() {
  const KernelSet* k = &ks();
  return k == kernels_avx512() ? 1 : k == kernels_avx2() ? 2 : 3;
}
long packed_len_f32(long k, long n) { return ks().packed_len32(k, n); }
void pack_f32(const float* b, long k, long n, long sbk, long sbn, float* dst) {
  ks().pack32(b, k, n, sbk, sbn, dst);
}

namespace {
struct PackedJob {
  const PackedGemm<float>* g;
  void (*rect)(const PackedGemm<float>&, long, long);
  long mstep;
};
void run_packed(void* ctx, long t) {
  auto& j = *static_cast<PackedJob*>(ctx);
  long m0 = t * j.mstep, m1 = m0 + j.mstep < j.g->m ? m0 + j.mstep : j.g->m;
  j.rect(*j.g, m0, m1);
}
}  // namespace

void gemm_packed_f32(const PackedGemm<float>& g) {
  const KernelSet& k = ks();
  if (g.m <= 0 || g.n <= 0) return;
  int threads = pool_threads();
  long tiles = (g.m + k.mr32 - 1) / k.mr32;
  // B is packed once for all, so rows split across threads with nothing repeated.
  if (threads <= 1 || g.m * g.n * g.k < g_packed_par_min || tiles < 2) {
    k.rect_packed32(g, 0, g.m);
    return;
  }
  long tasks = tiles < threads ? tiles : threads;
  PackedJob j{&g, k.rect_packed32, (tiles + tasks - 1) / tasks * k.mr32};
  pool_run((g.m + j.mstep - 1) / j.mstep, run_packed, &j);
}

namespace {
bool select_impl(const char* name) {
  const KernelSet* cands[] = {kernels_avx512(), kernels_avx2(), kernels_generic()};
  for (const KernelSet* c : cands) {
    if (!c || std::strcmp(c->name, name) != 0) continue;
#if defined(__x86_64__)
    if (c == kernels_avx512() && !__builtin_cpu_supports("avx512f")) return false;
    if (c == kernels_avx2() &&
        !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
      return false;
#endif
    g_kernels.store(c);
    return true;
  }
  return false;
}
}  // namespace

bool select_kernels(const char* name) {
  ks();
  return select_impl(name);
}

const char* kernel_name() { return ks().name; }
const char* cpu_features() {
  ks();
  return g_features;
}

}  // namespace kiln
