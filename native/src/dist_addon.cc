// N-API face of the process group (build/Release/kiln_dist.node). Collectives return promises:
// they are queued to the group's communication thread and settle on the JS thread through a
// thread-safe function, so DDP can start a bucket's all-reduce and go on with backward. The
// typed arrays a queued collective reads or writes are pinned until it settles.
#include <napi.h>

#include <future>
#include <memory>
#include <string>

#include "dist_group.h"

namespace {

using kiln::dist::DType;
using kiln::dist::Group;
using kiln::dist::ReduceOp;

struct Pending {
  Napi::Promise::Deferred deferred;
  Napi::Reference<Napi::Value> keep[2];
  std::string error;
};

struct Buffer {
  void* data = nullptr;
  size_t count = 0;
  DType type = DType::F32;
};

bool readBuffer(const Napi::Value& v, Buffer* out) {
  if (!v.IsTypedArray()) return false;
  auto ta = v.As<Napi::TypedArray>();
  switch (ta.TypedArrayType()) {
    case napi_float32_array: out->type = DType::F32; break;
    case napi_float64_array: out->type = DType::F64; break;
    case napi_int32_array: out->type = DType::I32; break;
    default: return false;
  }
  out->count = ta.ElementLength();
  out->data = static_cast<char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return true;
}

class ProcessGroup : public Napi::ObjectWrap<ProcessGroup> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProcessGroup",
                       {InstanceMethod("init", &ProcessGroup::Init),
                        InstanceMethod("allReduce", &ProcessGroup::AllReduce),
                        InstanceMethod("broadcast", &ProcessGroup::Broadcast),
                        InstanceMethod("broadcastSync", &ProcessGroup::BroadcastSync),
                        InstanceMethod("allGather", &ProcessGroup::AllGather),
                        InstanceMethod("barrier", &ProcessGroup::Barrier),
                        InstanceMethod("close", &ProcessGroup::Close)});
  }

  explicit ProcessGroup(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessGroup>(info) {
    Napi::Env env = info.Env();
    auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
    tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "kiln_dist", 0, 1);
    tsfn_.Unref(env);
  }

  ~ProcessGroup() override {
    group_.reset();
    if (!closed_) tsfn_.Release();
  }

 private:
  // Queues `job`; the returned promise settles once it ran (rejects with its error message).
  Napi::Value Submit(Napi::Env env, std::function<void()> job, Napi::Value keep0 = Napi::Value(),
                     Napi::Value keep1 = Napi::Value()) {
    auto* p = new Pending{Napi::Promise::Deferred::New(env), {}, {}};
    if (!keep0.IsEmpty()) p->keep[0] = Napi::Persistent(keep0);
    if (!keep1.IsEmpty()) p->keep[1] = Napi::Persistent(keep1);
    auto promise = p->deferred.Promise();
    if (closed_) {
      p->deferred.Reject(Napi::Error::New(env, "the process group was destroyed").Value());
      delete p;
      return promise;
    }
    // The event loop stays alive while a collective is in flight, and only then.
    if (inFlight_++ == 0) tsfn_.Ref(env);
    auto tsfn = tsfn_;
    group_->post(std::move(job), [p, tsfn](const std::string& error) mutable {
      p->error = error;
      tsfn.BlockingCall(p, [](Napi::Env env, Napi::Function, Pending* p) {
        if (p->error.empty()) p->deferred.Resolve(env.Undefined());
        else p->deferred.Reject(Napi::Error::New(env, p->error).Value());
        delete p;
      });
    });
    // Counted down on the JS thread when the promise settles; then(f, f) rather than
    // finally(f), whose derived promise would reject again, unhandled.
    auto settled = Napi::Function::New(env, [this](const Napi::CallbackInfo& info) {
      if (--inFlight_ == 0 && !closed_) tsfn_.Unref(info.Env());
    });
    promise.As<Napi::Object>().Get("then").As<Napi::Function>().Call(promise, {settled, settled});
    return promise;
  }

  // init({ storeHost, storePort, filePath, prefix, bindHost, iface, rank, size, timeoutMs })
  Napi::Value Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
      Napi::TypeError::New(env, "ProcessGroup.init(options): options must be an object")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto o = info[0].As<Napi::Object>();
    auto str = [&](const char* k) {
      auto v = o.Get(k);
      return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
    };
    auto num = [&](const char* k, double dflt) {
      auto v = o.Get(k);
      return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : dflt;
    };
    kiln::dist::InitOptions opts;
    opts.storeHost = str("storeHost");
    opts.storePort = int(num("storePort", 0));
    opts.filePath = str("filePath");
    opts.prefix = str("prefix");
    opts.bindHost = str("bindHost");
    opts.iface = str("iface");
    opts.rank = int(num("rank", 0));
    opts.size = int(num("size", 1));
    opts.timeoutMs = long(num("timeoutMs", 1800000));
    timeoutMs_ = opts.timeoutMs;
    group_ = std::make_shared<Group>();
    auto g = group_;
    return Submit(env, [g, opts] { g->connect(opts); });
  }

  long timeoutOf(const Napi::Value& v) const {
    return v.IsNumber() ? long(v.As<Napi::Number>().DoubleValue()) : timeoutMs_;
  }

  bool ready(Napi::Env env) {
    if (group_ && !closed_) return true;
    Napi::Error::New(env, "the process group is not initialized (call initProcessGroup first)")
        .ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value BadArgs(Napi::Env env, const char* what) {
    Napi::TypeError::New(env, what).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // allReduce(array, op, timeoutMs?)
  Napi::Value AllReduce(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(env)) return env.Undefined();
    Buffer b;
    if (!readBuffer(info[0], &b) || !info[1].IsNumber())
      return BadArgs(env, "allReduce(array, op): a float32, float64 or int32 array");
    auto op = ReduceOp(info[1].As<Napi::Number>().Int32Value());
    long t = timeoutOf(info[2]);
    auto g = group_;
    return Submit(env, [g, b, op, t] { g->allReduce(b.data, b.count, b.type, op, t); }, info[0]);
  }

  // broadcast(array, root, timeoutMs?)
  Napi::Value Broadcast(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(env)) return env.Undefined();
    Buffer b;
    if (!readBuffer(info[0], &b) || !info[1].IsNumber())
      return BadArgs(env, "broadcast(array, root): a float32, float64 or int32 array");
    int root = info[1].As<Napi::Number>().Int32Value();
    long t = timeoutOf(info[2]);
    auto g = group_;
    return Submit(env, [g, b, root, t] { g->broadcast(b.data, b.count, b.type, root, t); },
                  info[0]);
  }

  // broadcastSync(array, root, timeoutMs?): blocks the JS thread until done (DDP's start-up
  // copy of rank 0's parameters, which PyTorch also does synchronously in the constructor).
  Napi::Value BroadcastSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(env)) return env.Undefined();
    Buffer b;
    if (!readBuffer(info[0], &b) || !info[1].IsNumber())
      return BadArgs(env, "broadcastSync(array, root): a float32, float64 or int32 array");
    int root = info[1].As<Napi::Number>().Int32Value();
    long t = timeoutOf(info[2]);
    auto g = group_;
    auto done = std::make_shared<std::promise<std::string>>();
    auto result = done->get_future();
    g->post([g, b, root, t] { g->broadcast(b.data, b.count, b.type, root, t); },
            [done](const std::string& error) { done->set_value(error); });
    std::string error = result.get();
    if (!error.empty()) Napi::Error::New(env, error).ThrowAsJavaScriptException();
    return env.Undefined();
  }

  // allGather(input, output, timeoutMs?): output holds worldSize copies of input's length.
  Napi::Value AllGather(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(env)) return env.Undefined();
    Buffer in, out;
    if (!readBuffer(info[0], &in) || !readBuffer(info[1], &out) || in.type != out.type)
      return BadArgs(env, "allGather(input, output): two arrays of one element type");
    long t = timeoutOf(info[2]);
    auto g = group_;
    return Submit(env, [g, in, out, t] { g->allGather(in.data, out.data, in.count, in.type, t); },
                  info[0], info[1]);
  }

  // barrier(timeoutMs?)
  Napi::Value Barrier(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ready(env)) return env.Undefined();
    long t = timeoutOf(info[0]);
    auto g = group_;
    return Submit(env, [g, t] { g->barrier(t); });
  }

  // close(): waits for queued collectives (each bounded by its timeout), then disconnects.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (closed_) return info.Env().Undefined();
    closed_ = true;
    if (group_) group_->shutdown();
    // Collectives that finished during shutdown still settle through the queue of the
    // thread-safe function; releasing it lets those calls run, then it finalizes.
    tsfn_.Release();
    return info.Env().Undefined();
  }

  std::shared_ptr<Group> group_;
  Napi::ThreadSafeFunction tsfn_;
  long timeoutMs_ = 1800000;
  int inFlight_ = 0;
  bool closed_ = false;
};

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("ProcessGroup", ProcessGroup::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(kiln_dist, InitAddon)
