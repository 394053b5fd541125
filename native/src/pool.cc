#include "pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KILN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define KILN_PAUSE() __asm__ __volatile__("yield")
#else
#define KILN_PAUSE() ((void)0)
#endif

namespace kiln {
namespace {

// The job word packs generation (24 bits), task count (20) and next task (20). Claiming a
// task is one CAS on it, so a worker still holding an old generation can never claim a task
// of a newer job, and the count it checks always belongs to the generation it sees.
constexpr int kNextBits = 20;
constexpr uint64_t kNextMask = (uint64_t(1) << kNextBits) - 1;
inline uint64_t gen_of(uint64_t s) { return s >> (2 * kNextBits); }
inline uint64_t count_of(uint64_t s) { return (s >> kNextBits) & kNextMask; }
inline uint64_t next_of(uint64_t s) { return s & kNextMask; }

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  int n = std::atoi(v);
  return n > 0 ? n : fallback;
}

class Pool {
 public:
  Pool() {
    unsigned hw = std::thread::hardware_concurrency();
    threads_ = env_int("KILN_NUM_THREADS", hw ? static_cast<int>(hw) : 1);
    // How long an idle worker spins before sleeping: long enough to bridge the gap between
    // back-to-back matmuls of a training step, short enough not to steal a core for long.
    spin_us_ = env_int("KILN_SPIN_US", 200);
  }

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void set_threads(int n) {
    if (n < 1) n = 1;
    while (busy_.exchange(true, std::memory_order_acquire)) std::this_thread::yield();
    if (n != threads_) {
      stop_workers();
      threads_ = n;
    }
    busy_.store(false, std::memory_order_release);
  }

  void run(long ntasks, TaskFn fn, void* ctx) {
    if (ntasks <= 0) return;
    // The pool serves one job at a time; a second caller (a Node worker thread sharing this
    // addon) runs its tasks itself rather than waiting.
    if (ntasks == 1 || threads_ == 1 || busy_.exchange(true, std::memory_order_acquire)) {
      for (long t = 0; t < ntasks; ++t) fn(ctx, t);
      return;
    }
    run_job(ntasks, fn, ctx);
    busy_.store(false, std::memory_order_release);
  }

  ~Pool() { stop_workers(); }

 private:
  void run_job(long ntasks, TaskFn fn, void* ctx) {
    if (static_cast<int>(workers_.size()) != threads_.load() - 1) start_workers();
    fn_ = fn;
    ctx_ = ctx;
    done_.store(0, std::memory_order_relaxed);
    uint64_t gen = (gen_of(state_.load(std::memory_order_relaxed)) + 1) & 0xffffff;
    state_.store((gen << (2 * kNextBits)) | (uint64_t(ntasks) << kNextBits),
                 std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      // Taking the lock orders this publish against a worker between its check and its wait.
      { std::lock_guard<std::mutex> lk(mu_); }
      cv_.notify_all();
    }
    work(gen);
    // A worker may have been preempted mid-task on a busy machine: stop burning the core
    // after a short spin so it can get scheduled.
    for (int i = 0; done_.load(std::memory_order_acquire) < ntasks; ++i) {
      if (i < 4096) KILN_PAUSE();
      else std::this_thread::yield();
    }
  }

  void work(uint64_t gen) {
    for (;;) {
      uint64_t s = state_.load(std::memory_order_acquire);
      if (gen_of(s) != gen || next_of(s) >= count_of(s)) return;
      if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) continue;
      fn_(ctx_, static_cast<long>(next_of(s)));
      done_.fetch_add(1, std::memory_order_release);
    }
  }

  void worker_loop() {
    uint64_t seen = gen_of(state_.load(std::memory_order_acquire));
    for (;;) {
      if (!wait_for_change(seen)) return;
      seen = gen_of(state_.load(std::memory_order_acquire));
      work(seen);
    }
  }

  // Spins, then sleeps, until the generation moves past `seen`; false when told to stop.
  bool wait_for_change(uint64_t seen) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + std::chrono::microseconds(spin_us_);
    for (int i = 0;; ++i) {
      if (stop_.load(std::memory_order_relaxed)) return false;
      if (gen_of(state_.load(std::memory_order_acquire)) != seen) return true;
      KILN_PAUSE();
      if ((i & 63) == 63 && clock::now() > deadline) break;
    }
    std::unique_lock<std::mutex> lk(mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(lk, [&] {
      return stop_.load(std::memory_order_relaxed) ||
             gen_of(state_.load(std::memory_order_seq_cst)) != seen;
    });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return !stop_.load(std::memory_order_relaxed);
  }

  void start_workers() {
    stop_workers();
    for (int i = 1, n = threads_.load(); i < n; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    if (workers_.empty()) return;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_.store(true);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_.store(false);
  }

  std::atomic<int> threads_;
  int spin_us_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> state_{0};
  std::atomic<long> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> busy_{false};
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
};

Pool& pool() {
  // Leaked on purpose: joining workers from a static destructor at process exit can hang
  // if the runtime is already tearing threads down.
  static Pool* p = new Pool();
  return *p;
}

struct Scratch {
  void* ptr[2] = {nullptr, nullptr};
  size_t size[2] = {0, 0};
};
thread_local Scratch tls_scratch;

}  // namespace

void pool_run(long ntasks, TaskFn fn, void* ctx) { pool().run(ntasks, fn, ctx); }
int pool_threads() { return pool().threads(); }
void pool_set_threads(int n) { pool().set_threads(n); }

void* scratch(int slot, size_t bytes) {
  Scratch& s = tls_scratch;
  if (bytes > s.size[slot]) {
    std::free(s.ptr[slot]);
    // Extra room lets the kernel's last aligned vector loads run past the packed data.
    size_t n = (bytes + 4096 + 63) & ~size_t(63);
    s.ptr[slot] = std::aligned_alloc(64, n);
    s.size[slot] = s.ptr[slot] ? n - 4096 : 0;
  }
  return s.ptr[slot];
}

}  // namespace kiln
