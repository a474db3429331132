// register_op: the Sync / Async / sequence entry points shared by every op.
#include "op_registry.h"

#include <exception>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "args.h"

namespace tessera_binding {
namespace {

// Op name -> unpacker. Filled at addon initialisation (once per environment: the main
// thread and each worker thread), read by runSequence.
std::map<std::string, OpUnpacker>& registry() {
  static std::map<std::string, OpUnpacker> ops;
  return ops;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

OpUnpacker find_op(Napi::Env env, const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto it = registry().find(name);
  if (it == registry().end()) {
    throw status_error(env, tessera::Status::Invalid("op: unknown op '" + name + "'"));
  }
  return it->second;
}

// Runs calls in order on a libuv worker; `keep` (the JS arguments holding every buffer) stays
// referenced until the promise settles. The first failing call stops the job.
class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(Napi::Env env, std::vector<OpCall> calls, std::vector<std::string> names,
           const Napi::Object& keep)
      : Napi::AsyncWorker(env, "tessera.op"),
        deferred_(Napi::Promise::Deferred::New(env)),
        calls_(std::move(calls)),
        names_(std::move(names)),
        keep_(Napi::Persistent(keep)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    for (size_t i = 0; i < calls_.size() && status_.ok(); ++i) {
      status_ = run_guarded(calls_[i]);
      failed_ = i;
    }
  }

  void OnOK() override {
    if (status_.ok()) {
      deferred_.Resolve(Env().Undefined());
      return;
    }
    tessera::Status status = status_;
    if (!names_.empty()) {  // a sequence: say which step failed
      status = tessera::Status(status_.code(), "step " + std::to_string(failed_) + " (" +
                                                   names_[failed_] + "): " + status_.message());
    }
    deferred_.Reject(status_error(Env(), status).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::vector<OpCall> calls_;
  std::vector<std::string> names_;  // empty for a single op
  Napi::ObjectReference keep_;
  tessera::Status status_;
  size_t failed_ = 0;
};

Napi::Value run_sync(const Napi::CallbackInfo& info, OpUnpacker unpack) {
  OpCall call = unpack(require_object(info[0], "args"));
  tessera::Status status = run_guarded(call);
  if (!status.ok()) throw status_error(info.Env(), status);
  return info.Env().Undefined();
}

Napi::Value run_async(const Napi::CallbackInfo& info, OpUnpacker unpack) {
  Napi::Object args = require_object(info[0], "args");
  auto* worker = new OpWorker(info.Env(), {unpack(args)}, {}, args);
  Napi::Promise promise = worker->promise();
  worker->Queue();  // the worker deletes itself once settled
  return promise;
}

// Unpacks every step before anything runs, so a bad step fails the whole call up front.
Napi::Value run_sequence(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) {
    throw status_error(env, tessera::Status::Invalid("steps: expected an array of { op, args }"));
  }
  Napi::Array steps = info[0].As<Napi::Array>();
  std::vector<OpCall> calls;
  std::vector<std::string> names;
  for (uint32_t i = 0; i < steps.Length(); ++i) {
    Napi::Object step = require_object(steps.Get(i), "steps[i]");
    const std::string name = optional_string(step, "op", "");
    calls.push_back(find_op(env, name)(require_object(step.Get("args"), "args")));
    names.push_back(name);
  }
  Napi::Object keep = Napi::Object::New(env);
  keep.Set("steps", steps);
  auto* worker = new OpWorker(env, std::move(calls), std::move(names), keep);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

tessera::Status run_guarded(const OpCall& call) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    return tessera::Status(tessera::StatusCode::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    return tessera::Status(tessera::StatusCode::kInternal, e.what());
  }
}

void register_op(Napi::Env env, Napi::Object exports, const char* name, OpUnpacker unpack) {
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    registry()[name] = unpack;
  }
  const std::string base(name);
  exports.Set(base + "Sync",
              Napi::Function::New(
                  env, [unpack](const Napi::CallbackInfo& info) { return run_sync(info, unpack); },
                  base + "Sync"));
  exports.Set(base + "Async",
              Napi::Function::New(
                  env, [unpack](const Napi::CallbackInfo& info) { return run_async(info, unpack); },
                  base + "Async"));
}

void register_sequence(Napi::Env env, Napi::Object exports) {
  exports.Set("runSequence", Napi::Function::New(env, run_sequence, "runSequence"));
}

}  // namespace tessera_binding
