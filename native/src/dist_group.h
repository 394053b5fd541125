// A Gloo process group and the one communication thread that runs its collectives, in the
// order they were issued (every rank issues them in the same order, as Gloo requires).
#pragma once

#include <gloo/context.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kiln {
namespace dist {

struct InitOptions {
  std::string storeHost;  // TCP store (rank 0's server), or empty with filePath set
  int storePort = 0;
  std::string filePath;   // file store directory (init method file://)
  std::string prefix;     // key prefix, so one store can serve several groups
  std::string bindHost;   // this rank's address for Gloo; empty: the store connection's
  std::string iface;      // or a network interface name (GLOO_SOCKET_IFNAME)
  int rank = 0;
  int size = 1;
  long timeoutMs = 1800000;
};

// Element types and reductions the collectives support; values shared with the TypeScript side.
enum class DType { F32 = 0, F64 = 1, I32 = 2 };
enum class ReduceOp { Sum = 0, Product = 1, Min = 2, Max = 3 };

class Group {
 public:
  Group();
  ~Group();

  // Runs `job` on the communication thread after every job queued before it. The job's
  // exceptions are caught and passed to `done` as a one-line message ("" on success);
  // `done` runs on the communication thread.
  void post(std::function<void()> job, std::function<void(const std::string&)> done);

  // These run on the communication thread (inside posted jobs).
  void connect(const InitOptions& opts);
  void allReduce(void* data, size_t count, DType type, ReduceOp op, long timeoutMs);
  void broadcast(void* data, size_t count, DType type, int root, long timeoutMs);
  void allGather(const void* in, void* out, size_t count, DType type, long timeoutMs);
  void barrier(long timeoutMs);

  // Stops the thread after the queued jobs and drops the connections.
  void shutdown();

 private:
  void loop();
  std::shared_ptr<gloo::Context> context() const;

  std::shared_ptr<gloo::Context> context_;
  uint32_t tag_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::function<void()>, std::function<void(const std::string&)>>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dist
}  // namespace kiln
