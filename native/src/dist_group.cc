#include "dist_group.h"

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/transport/tcp/device.h>

#include <stdexcept>

#include "dist_store.h"

namespace kiln {
namespace dist {

namespace {

size_t itemSize(DType t) { return t == DType::F64 ? 8 : 4; }

template <class T>
gloo::AllreduceOptions::Func reducer(ReduceOp op) {
  void (*fn)(void*, const void*, const void*, size_t) = nullptr;
  switch (op) {
    case ReduceOp::Sum: fn = &gloo::sum<T>; break;
    case ReduceOp::Product: fn = &gloo::product<T>; break;
    case ReduceOp::Min: fn = &gloo::min<T>; break;
    case ReduceOp::Max: fn = &gloo::max<T>; break;
  }
  return fn;
}

}  // namespace

Group::Group() : thread_([this] { loop(); }) {}

Group::~Group() { shutdown(); }

void Group::post(std::function<void()> job, std::function<void(const std::string&)> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    done("the process group was destroyed");
    return;
  }
  queue_.emplace_back(std::move(job), std::move(done));
  cv_.notify_one();
}

void Group::loop() {
  for (;;) {
    std::pair<std::function<void()>, std::function<void(const std::string&)>> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string error;
    try {
      item.first();
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown error";
    }
    // Gloo's messages carry a "[file:line]" prefix that tells a user nothing.
    if (error.size() > 0 && error[0] == '[') {
      size_t end = error.find("] ");
      if (end != std::string::npos) error = error.substr(end + 2);
    }
    item.second(error);
  }
}

void Group::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  context_.reset();
}

std::shared_ptr<gloo::Context> Group::context() const {
  if (!context_) throw std::runtime_error("the process group is not initialized");
  return context_;
}

void Group::connect(const InitOptions& o) {
  const auto timeout = std::chrono::milliseconds(o.timeoutMs);
  std::unique_ptr<gloo::rendezvous::Store> store;
  std::string host = o.bindHost;
  if (!o.filePath.empty()) {
    store = std::make_unique<gloo::rendezvous::FileStore>(o.filePath);
    if (host.empty()) host = "127.0.0.1";
  } else {
    auto tcp = std::make_unique<TcpStore>(o.storeHost, o.storePort, timeout);
    if (host.empty()) host = tcp->localAddress();
    store = std::move(tcp);
  }
  gloo::rendezvous::PrefixStore prefixed(o.prefix, *store);
  gloo::transport::tcp::attr attr;
  if (!o.iface.empty()) attr.iface = o.iface;
  else attr.hostname = host;
  auto device = gloo::transport::tcp::CreateDevice(attr);
  auto ctx = std::make_shared<gloo::rendezvous::Context>(o.rank, o.size);
  ctx->setTimeout(timeout);
  ctx->connectFullMesh(prefixed, device);
  context_ = ctx;
}

void Group::allReduce(void* data, size_t count, DType type, ReduceOp op, long timeoutMs) {
  gloo::AllreduceOptions opts(context());
  opts.setTag(tag_++);
  opts.setTimeout(std::chrono::milliseconds(timeoutMs));
  switch (type) {
    case DType::F32:
      opts.setOutput(static_cast<float*>(data), count);
      opts.setReduceFunction(reducer<float>(op));
      break;
    case DType::F64:
      opts.setOutput(static_cast<double*>(data), count);
      opts.setReduceFunction(reducer<double>(op));
      break;
    case DType::I32:
      opts.setOutput(static_cast<int32_t*>(data), count);
      opts.setReduceFunction(reducer<int32_t>(op));
      break;
  }
  gloo::allreduce(opts);
}

void Group::broadcast(void* data, size_t count, DType type, int root, long timeoutMs) {
  gloo::BroadcastOptions opts(context());
  opts.setTag(tag_++);
  opts.setTimeout(std::chrono::milliseconds(timeoutMs));
  opts.setRoot(root);
  opts.setOutput(static_cast<char*>(data), count * itemSize(type));
  gloo::broadcast(opts);
}

void Group::allGather(const void* in, void* out, size_t count, DType type, long timeoutMs) {
  auto ctx = context();
  gloo::AllgatherOptions opts(ctx);
  opts.setTag(tag_++);
  opts.setTimeout(std::chrono::milliseconds(timeoutMs));
  const size_t bytes = count * itemSize(type);
  opts.setInput(const_cast<char*>(static_cast<const char*>(in)), bytes);
  opts.setOutput(static_cast<char*>(out), bytes * size_t(ctx->size));
  gloo::allgather(opts);
}

void Group::barrier(long timeoutMs) {
  gloo::BarrierOptions opts(context());
  opts.setTag(tag_++);
  opts.setTimeout(std::chrono::milliseconds(timeoutMs));
  gloo::barrier(opts);
}

}  // namespace dist
}  // namespace kiln
